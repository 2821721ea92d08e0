"""The WSGI entry point for production servers (``wsgi_app`` in gunicorn.conf.py).

Every gunicorn worker imports this after forking (``preload_app = False``), so each builds its
own application and database pool.
"""

from __future__ import annotations

from survey import create_app

app = create_app()
