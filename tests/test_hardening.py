"""Security headers, the session at login, and trusting a load balancer's X-Forwarded-*."""

from __future__ import annotations

import re

import pytest
from flask import request
from flask_limiter.util import get_remote_address

from survey.campaigns.services import campaign_for_trajectory, issue_invitations
from survey.models import Audience, Role
from tests.conftest import TODAY, csrf_in, csrf_token, login, make_app

HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture
def respondent_path(make, today) -> str:
    centre = make.centre()
    trajectory = make.trajectory(make.school(centre), coaches=[make.user(centre)])
    campaign = campaign_for_trajectory(trajectory, Audience.PARENT, TODAY, "feedbackmatrix")
    return issue_invitations(campaign, Audience.PARENT, 1, TODAY)[0].path


@pytest.fixture
def staff_client(client, make):
    login(client, make.user(make.centre(), Role.COORDINATOR).email)
    return client


def _assert_strict_csp(response) -> None:
    policy = response.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_staff_and_respondent_pages_forbid_inline_code_and_framing(staff_client, respondent_path):
    home = staff_client.get("/home")
    assert home.status_code == 200
    _assert_strict_csp(home)
    form = staff_client.get(respondent_path)
    assert form.status_code == 200
    assert 'type="radio"' in form.get_data(as_text=True)
    _assert_strict_csp(form)


def test_referrer_policy_keeps_respondent_tokens_home(client, respondent_path):
    assert client.get(respondent_path).headers["Referrer-Policy"] == "no-referrer"
    # An unknown token, and a /r/ address that matches no page at all.
    assert client.get("/r/no-such-token").status_code == 404
    assert client.get("/r/no-such-token").headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/r/a/b/c").status_code == 404
    assert client.get("/r/a/b/c").headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/login").headers["Referrer-Policy"] == "same-origin"


def test_hsts_only_on_secure_requests(client, respondent_path):
    for path in ("/login", respondent_path):
        secure = client.get(path, base_url="https://klankbord.example")
        assert secure.headers["Strict-Transport-Security"] == HSTS
        assert "Strict-Transport-Security" not in client.get(path).headers


def test_respondent_can_answer_over_https_without_a_referer(client, respondent_path):
    # The form page sends no-referrer, so the browser's POST carries no Referer; the
    # respondent form must not depend on one (Flask-WTF's strict HTTPS check would).
    https = "https://klankbord.example"
    page = client.get(respondent_path, base_url=https).get_data(as_text=True)
    data = dict.fromkeys(set(re.findall(r'name="(item-[^"]+)"', page)), "3")
    data["csrf_token"] = csrf_in(page)
    data["page"] = "0"
    data["action"] = "next"
    answered = client.post(respondent_path, data=data, base_url=https)
    assert answered.status_code == 302
    assert "?page=1" in answered.headers["Location"]


def test_login_starts_a_new_session(client, make):
    user = make.user(make.centre(), Role.COORDINATOR)
    csrf = csrf_token(client, "/login")
    with client.session_transaction() as session:
        session["planted"] = "before-login"
        csrf_secret = session["csrf_token"]
    before = client.get_cookie("session").value
    response = client.post(
        "/login",
        data={"email": user.email, "password": "correct-horse-battery", "csrf_token": csrf},
    )
    assert response.status_code == 302
    assert client.get_cookie("session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != csrf_secret
        assert session["_user_id"] == user.get_id() == f"{user.id}:{user.session_version}"


# --------------------------------------------------------------------------- behind a proxy


def _app_reporting_the_client(tmp_path, **extra):
    app = make_app(f"sqlite:///{tmp_path / 'proxied.sqlite'}", **extra)

    @app.route("/_client")
    def client_seen() -> dict[str, object]:
        # The address Flask-Limiter counts attempts under, and the scheme HSTS depends on.
        return {"limiter_key": get_remote_address(), "secure": request.is_secure}

    return app.test_client()


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def test_proxy_fix_trusts_the_balancer_for_address_and_scheme(tmp_path):
    client = _app_reporting_the_client(tmp_path, PROXY_FIX=1)
    response = client.get("/_client", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.json == {"limiter_key": "203.0.113.7", "secure": True}
    assert response.headers["Strict-Transport-Security"] == HSTS


def test_without_proxy_fix_forwarded_headers_are_ignored(tmp_path):
    client = _app_reporting_the_client(tmp_path)
    response = client.get("/_client", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.json == {"limiter_key": "10.0.0.2", "secure": False}
    assert "Strict-Transport-Security" not in response.headers


def test_proxy_fix_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KLANKBORD_PROXY_FIX", "2")
    app = make_app(f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert app.config["PROXY_FIX"] == 2
    monkeypatch.setenv("KLANKBORD_PROXY_FIX", "-1")
    with pytest.raises(RuntimeError, match="KLANKBORD_PROXY_FIX"):
        make_app(f"sqlite:///{tmp_path / 'env.sqlite'}")
