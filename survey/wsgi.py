"""The WSGI entry point for production servers (``wsgi_app`` in gunicorn.conf.py).

gunicorn imports it once in the master (``preload_app = True``) and forks its workers from it;
``post_fork`` in gunicorn.conf.py gives each worker its own database pool, so the one query
made here (the anonymity key's check) leaves no connection for the workers to share.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from survey import create_app
from survey.extensions import db
from survey.privacy.keys import verify_key

app = create_app()
# Refuse to serve with an anonymity key other than the one the stored spent links and waiting
# answers were made with (KeyMismatchError stops gunicorn's master). A database that does not
# answer yet cannot be asked; /healthz reports it, and `klankbord daily` checks again.
with app.app_context():
    try:
        verify_key()
    except OperationalError:
        logging.getLogger(__name__).warning("anonymity key not checked: database unavailable")
    finally:
        db.session.remove()
