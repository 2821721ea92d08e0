"""A staff session ends for good: a copy of its cookie is refused after logout and after reset.

Flask's session is a signed cookie: logging out only tells this browser to forget it, so a copy
taken before (from a shared computer, a proxy log, malware) stayed valid until the secret
key changed. Each account's session version is part of the session's user id; logging out or
setting a new password raises it.
"""

from __future__ import annotations

from survey.accounts.services import LIFETIMES, LinkKind, issue_password_token
from survey.models import Role
from tests.conftest import csrf_token, login

NEW_PASSWORD = "een-lange-nieuwe-zin"


def _signed_in(client) -> bool:
    return client.get("/home").status_code == 200


def _copy_of(client, app):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_session_cookie_is_refused_after_logout(app, client, make):
    user = make.user(make.centre(), Role.COORDINATOR)
    login(client, user.email)
    thief = _copy_of(client, app)
    assert _signed_in(thief), "the copy works while the session lasts"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})
    assert not _signed_in(client)
    assert not _signed_in(thief)


def test_logging_out_ends_the_sessions_on_other_devices_too(app, client, make):
    user = make.user(make.centre(), Role.COACH)
    phone = app.test_client()
    login(client, user.email)
    login(phone, user.email)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})
    assert not _signed_in(phone)
    login(phone, user.email)
    assert _signed_in(phone), "logging in again works"


def test_a_new_password_ends_every_session_of_the_account(app, client, make, db):
    user = make.user(make.centre(), Role.COORDINATOR)
    login(client, user.email)
    thief = _copy_of(client, app)
    token = issue_password_token(user, LIFETIMES[LinkKind.RESET])
    reset = app.test_client()
    saved = reset.post(
        f"/password/{token}",
        data={
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(reset, f"/password/{token}"),
        },
    )
    assert saved.status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(thief)
    login(client, user.email, NEW_PASSWORD)
    assert _signed_in(client)


def test_a_session_without_a_version_is_refused(app, client, make):
    """Sessions made before session versions (user id alone) end at the upgrade."""
    user = make.user(make.centre(), Role.COORDINATOR)
    login(client, user.email)
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert not _signed_in(client)
