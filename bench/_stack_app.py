"""The second floor for bench/load.py: Klankbord's request stack around the bare app's pages.

This is Klankbord's own application object (``create_app()``, configured from the
environment like survey.wsgi), so every request passes through everything the app puts around
a page: CSRF protection, Flask-Limiter (the app-wide check and the link-guessing throttle on
the route), Flask-Login, Flask-Babel and the respondent's language, the signed session cookie,
the security headers, the database session with pool pre-ping, and the redacting access log.
Only the two respondent views are swapped for the bare app's pages: the same form with a real
CSRF token, the POST checks it and does the one INSERT through ``db.session``, the thank-you
page is a constant.

So bench/load.py can tell apart what the stack costs (this app against bench/_bare_app.py)
from what Klankbord's own page work costs (the real app against this one). Served by gunicorn
with the project's gunicorn.conf.py:

    gunicorn -c gunicorn.conf.py bench._stack_app:app
"""

from __future__ import annotations

from flask import redirect, request
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import text
from wtforms import ValidationError

from bench._pages import THANKS, form_page
from survey import create_app
from survey.extensions import db
from survey.limits import throttle_link_guessing

app = create_app()


def _never_exempt() -> bool:
    return False


@throttle_link_guessing(exempt_when=_never_exempt)
def answer(token: str):
    if request.method == "GET":
        return form_page(token, generate_csrf())
    # The raw body first (kept for the form parser), as the bare app stores it.
    answers = request.get_data(cache=True, as_text=True)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        raise CSRFError(str(error)) from error
    db.session.execute(
        text("INSERT INTO bare_submission (token, answers) VALUES (:token, :answers)"),
        {"token": token, "answers": answers},
    )
    db.session.commit()
    return redirect(f"/r/{token}/thanks")


@throttle_link_guessing(exempt_when=_never_exempt)
def thanks(token: str) -> str:
    return THANKS


# The URL rules, blueprint hooks and error handlers of /r/<token> stay; only the views change.
app.view_functions["respond.answer"] = answer
app.view_functions["respond.thanks"] = thanks
