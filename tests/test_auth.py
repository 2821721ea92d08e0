"""Logging in and out, in Dutch, with CSRF and safe redirects."""

from __future__ import annotations

from survey.models import Role
from tests.conftest import csrf_token, login


def test_login_page_is_dutch_and_has_csrf(client):
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="nl">' in page
    assert "Aanmelden" in page
    assert 'name="csrf_token"' in page


def test_wrong_password_keeps_email_and_says_why_in_dutch(client, make):
    centre = make.centre()
    user = make.user(centre, Role.COORDINATOR)
    response = login(client, user.email, "not-the-password")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "klopt niet" in page
    assert f'value="{user.email}"' in page


def test_unknown_account_gets_the_same_message(client):
    page = login(client, "nobody@example.org", "whatever-password").get_data(as_text=True)
    assert "klopt niet" in page


def test_login_then_home_then_logout(client, make):
    centre = make.centre(name="LSC Testland")
    user = make.user(centre, Role.COORDINATOR)
    response = login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")
    home = client.get("/home").get_data(as_text=True)
    assert "LSC Testland" in home
    token = csrf_token(client, "/home")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/home").status_code == 302


def test_post_without_csrf_token_is_refused(client, make):
    user = make.user(make.centre(), Role.COORDINATOR)
    response = client.post(
        "/login", data={"email": user.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 400
    assert client.get("/home").status_code == 302


def test_logout_needs_a_post(client, make):
    user = make.user(make.centre(), Role.COORDINATOR)
    login(client, user.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/home").status_code == 200


def test_offsite_next_is_ignored(app, client, make):
    user = make.user(make.centre(), Role.COORDINATOR)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = app.test_client()
        token = csrf_token(client, "/login")
        response = client.post(
            f"/login?next={target}",
            data={"email": user.email, "password": "correct-horse-battery", "csrf_token": token},
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/home"), target


def test_local_next_is_followed(client, make):
    user = make.user(make.centre(), Role.COORDINATOR)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/trajectories/",
        data={"email": user.email, "password": "correct-horse-battery", "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/trajectories/")


def test_disabled_account_cannot_log_in(client, make, db):
    user = make.user(make.centre(), Role.COACH)
    user.is_enabled = False
    db.session.flush()
    assert login(client, user.email).status_code == 200
    assert client.get("/home").status_code == 302
