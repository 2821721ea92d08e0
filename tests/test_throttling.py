"""Login throttling (Flask-Limiter) and the secure-cookie switch."""

from __future__ import annotations

import pytest

from survey.limits import limiter
from tests.conftest import csrf_token, login, make_app

LIMIT_KEYS = (
    "RATELIMIT_ENABLED",
    "LOGIN_RATE_LIMIT_PER_ADDRESS",
    "LOGIN_RATE_LIMIT_PER_EMAIL",
    "PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS",
    "PASSWORD_RESET_RATE_LIMIT_PER_EMAIL",
)


@pytest.fixture
def limits(app):
    """Switch throttling on for one test, with its counters empty before and after."""
    saved = {key: app.config.get(key) for key in LIMIT_KEYS}
    limiter.reset()
    app.config["RATELIMIT_ENABLED"] = True
    yield app.config
    app.config.update(saved)
    limiter.reset()


def assert_throttled(response) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Te veel pogingen" in page
    assert "Wacht enkele minuten en probeer het dan opnieuw." in page
    assert 'class="topbar"' in page  # the staff layout
    assert response.headers["Retry-After"] == "300"


def test_tests_are_not_throttled_by_default(app, client, make):
    assert app.config["RATELIMIT_ENABLED"] is False
    user = make.user(make.centre())
    for _ in range(12):
        assert login(client, user.email, "wrong-password-123").status_code == 200


def test_login_is_throttled_per_email_address(limits, client, make):
    limits["LOGIN_RATE_LIMIT_PER_EMAIL"] = "3/minute"
    user = make.user(make.centre())
    for _ in range(3):
        assert login(client, user.email, "wrong-password-123").status_code == 200
    # Even the right password is refused now, and the address is normalised first.
    assert_throttled(login(client, user.email.upper()))
    # Another account from the same address is not affected.
    other = make.user(make.centre())
    assert login(client, other.email).status_code == 302


def test_login_is_throttled_per_client_address(limits, client, make):
    limits["LOGIN_RATE_LIMIT_PER_ADDRESS"] = "4/minute"
    for number in range(4):
        assert login(client, f"poging{number}@example.org", "wrong-password-123").status_code == 200
    assert_throttled(login(client, "nog-een@example.org", "wrong-password-123"))
    # Showing the form is not counted.
    assert client.get("/login").status_code == 200
    # The address is what counts, not the browser session: a fresh client is refused too.
    fresh = client.application.test_client()
    assert login(fresh, "nog-een@example.org", "wrong-password-123").status_code == 429


def test_forgotten_password_is_throttled(limits, client, db):
    limits["PASSWORD_RESET_RATE_LIMIT_PER_EMAIL"] = "2/hour"
    for _ in range(2):
        token = csrf_token(client, "/password/forgot")
        response = client.post(
            "/password/forgot", data={"email": "iemand@example.org", "csrf_token": token}
        )
        assert response.status_code == 302
    token = csrf_token(client, "/password/forgot")
    assert_throttled(
        client.post("/password/forgot", data={"email": "iemand@example.org", "csrf_token": token})
    )


def test_secure_cookies_are_off_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("KLANKBORD_SECURE_COOKIES", raising=False)
    app = make_app(f"sqlite:///{tmp_path / 'cookies.sqlite'}")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert not app.config.get("REMEMBER_COOKIE_SECURE")
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert "Secure" not in cookie


def test_secure_cookies_switch(monkeypatch, tmp_path):
    monkeypatch.setenv("KLANKBORD_SECURE_COOKIES", "true")
    app = make_app(f"sqlite:///{tmp_path / 'cookies.sqlite'}")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert "; Secure" in cookie
    assert "HttpOnly" in cookie


def test_storage_uri_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KLANKBORD_RATELIMIT_STORAGE_URI", "memory://")
    app = make_app(f"sqlite:///{tmp_path / 'limits.sqlite'}", RATELIMIT_STORAGE_URI="redis://x")
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
