"""The WSGI entry point for production servers (``wsgi_app`` in gunicorn.conf.py).

gunicorn imports it once in the master (``preload_app = True``) and forks its workers from it;
``post_fork`` in gunicorn.conf.py gives each worker its own database pool.
"""

from __future__ import annotations

from survey import create_app

app = create_app()
