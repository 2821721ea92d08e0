"""Password links by e-mail (through a real local SMTP server) and the administrators' pages."""

from __future__ import annotations

import hashlib
import re
import socket
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey.accounts.services import LinkKind, issue_password_token
from survey.models import PasswordToken, Role, StaffUser
from survey.models.base import utcnow
from survey.privacy.tokens import hash_token
from tests.conftest import Inbox, csrf_token, login

NEW_PASSWORD = "een-lange-nieuwe-zin"
_LINK = re.compile(r"http://[^/\s]+/password/([A-Za-z0-9_-]+)")


def link_token(inbox: Inbox, index: int = -1) -> str:
    match = _LINK.search(inbox.body(index))
    assert match, inbox.body(index)
    return match.group(1)


@pytest.fixture
def smtp_down(app):
    """A port nobody listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    old = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    yield
    app.config.update(old)


def post_form(client, path: str, data: dict, follow: bool = False, form_page: str | None = None):
    """POST with the CSRF token of the page that shows the form (``path`` itself by default)."""
    token = csrf_token(client, form_page or path)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=follow)


def token_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(PasswordToken))


# --------------------------------------------------------------------------- forgotten password


def test_login_page_links_to_forgotten_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page
    assert "Wachtwoord vergeten?" in page


def test_forgot_mail_link_set_then_login(client, make, smtp, db):
    user = make.user(make.centre(name="LSC Kempen"), Role.COACH, email="an@lsc.be")
    response = post_form(client, "/password/forgot", {"email": "  AN@lsc.be "}, follow=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Als er een account bestaat voor dit e-mailadres" in page

    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "an@lsc.be"
    assert message["Subject"] == "Stel je wachtwoord voor Klankbord opnieuw in"
    body = smtp.body()
    assert "Dag Gebruiker" in body
    assert "Kies een nieuw wachtwoord met deze link" in body
    assert "LSC Kempen" in body

    # Only the token's SHA-256 is stored, valid for one hour.
    token = link_token(smtp)
    record = db.session.scalar(select(PasswordToken).where(PasswordToken.user_id == user.id))
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in record.token_hash
    assert timedelta(minutes=59) < record.expires_at - utcnow() <= timedelta(hours=1)

    form = client.get(f"/password/{token}")
    assert form.status_code == 200
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert "Kies een wachtwoord" in form.get_data(as_text=True)
    done = post_form(
        client, f"/password/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login")
    assert "Je wachtwoord is bewaard" in client.get("/login").get_data(as_text=True)

    assert login(client, "an@lsc.be", NEW_PASSWORD).headers["Location"].endswith("/home")


def test_a_used_link_cannot_be_used_again(client, make, smtp, db):
    user = make.user(make.centre(), Role.COACH)
    post_form(client, "/password/forgot", {"email": user.email})
    token = link_token(smtp)
    path = f"/password/{token}"
    csrf = csrf_token(client, path)
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf}
    assert client.post(path, data=data).status_code == 302

    again = client.get(path)
    assert again.status_code == 410
    assert "Deze link werkt niet meer" in again.get_data(as_text=True)
    data["password"] = data["confirm"] = "nog-een-ander-wachtwoord"
    assert client.post(path, data=data).status_code == 410
    assert user.check_password(NEW_PASSWORD)


def test_an_expired_link_fails(client, make, smtp, db):
    user = make.user(make.centre(), Role.COACH)
    post_form(client, "/password/forgot", {"email": user.email})
    token = link_token(smtp)
    record = db.session.scalar(select(PasswordToken).where(PasswordToken.user_id == user.id))
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    response = client.get(f"/password/{token}")
    assert response.status_code == 410
    assert "verlopen" in response.get_data(as_text=True)


def test_an_unknown_link_is_404(client, db):
    for token in ("niet-bestaand", "x" * 500):
        response = client.get(f"/password/{token}")
        assert response.status_code == 404
        assert "We kennen deze link niet" in response.get_data(as_text=True)
    token = csrf_token(client, "/password/forgot")
    response = client.post("/password/niet-bestaand", data={"csrf_token": token})
    assert response.status_code == 404


def test_unknown_or_disabled_address_gets_the_same_page_and_no_mail(client, make, smtp, db):
    disabled = make.user(make.centre(), Role.COACH)
    disabled.is_enabled = False
    known = make.user(make.centre(), Role.COACH)
    pages = []
    for address in ("niemand@example.org", disabled.email, known.email):
        response = post_form(client, "/password/forgot", {"email": address})
        assert response.status_code == 302
        pages.append(client.get(response.headers["Location"]).get_data(as_text=True))
    assert pages[0] == pages[1] == pages[2]
    assert [m["To"] for m in smtp.messages] == [known.email]


def test_forgot_form_checks_the_address(client, db):
    response = post_form(client, "/password/forgot", {"email": "geen-adres"})
    assert response.status_code == 200
    assert "Dit is geen geldig e-mailadres." in response.get_data(as_text=True)


def test_mail_server_down_shows_the_same_page_and_keeps_no_link(client, make, smtp_down, db):
    user = make.user(make.centre(), Role.COACH)
    response = post_form(client, "/password/forgot", {"email": user.email})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/password/forgot/sent")
    assert token_count(db) == 0


def test_new_password_must_be_long_enough_and_repeated(client, make, db):
    user = make.user(make.centre(), Role.COACH)
    token = issue_password_token(user, timedelta(hours=1))
    path = f"/password/{token}"
    short = post_form(client, path, {"password": "kort", "confirm": "kort"})
    assert short.status_code == 200
    assert "Gebruik minstens 12 tekens" in short.get_data(as_text=True)
    mismatch = post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert "De twee wachtwoorden zijn niet hetzelfde." in mismatch.get_data(as_text=True)
    # Failed attempts do not spend the link.
    assert client.get(path).status_code == 200
    assert not user.check_password(NEW_PASSWORD)


def test_setting_a_password_spends_every_other_link(client, make, db):
    user = make.user(make.centre(), Role.COACH)
    first = issue_password_token(user, timedelta(hours=1))
    second = issue_password_token(user, timedelta(days=7))
    other_user = make.user(make.centre(), Role.COACH)
    others = issue_password_token(other_user, timedelta(hours=1))
    post_form(client, f"/password/{second}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get(f"/password/{first}").status_code == 410
    assert client.get(f"/password/{second}").status_code == 410
    assert client.get(f"/password/{others}").status_code == 200


def test_link_of_a_disabled_account_does_not_work(client, make, db):
    user = make.user(make.centre(), Role.COACH)
    token = issue_password_token(user, timedelta(hours=1))
    user.is_enabled = False
    db.session.flush()
    assert client.get(f"/password/{token}").status_code == 410


# --------------------------------------------------------------------------- command line


def test_cli_sends_a_seven_day_link(runner, make, smtp, db):
    user = make.user(make.centre(), Role.COORDINATOR, email="kc@lsc.be")
    result = runner.invoke(args=["send-password-link", "--email", "KC@lsc.be"])
    assert result.exit_code == 0, result.output
    assert "kc@lsc.be" in result.output
    assert "7 dagen" in result.output
    assert smtp.messages[0]["Subject"] == "Kies je wachtwoord voor Klankbord"
    assert "Er is voor jou een account aangemaakt" in smtp.body()
    record = db.session.scalar(
        select(PasswordToken).where(PasswordToken.token_hash == hash_token(link_token(smtp)))
    )
    assert record.user_id == user.id
    assert timedelta(days=6, hours=23) < record.expires_at - utcnow() <= timedelta(days=7)


def test_cli_fails_for_an_unknown_account(runner, smtp, db):
    result = runner.invoke(args=["send-password-link", "--email", "niemand@example.org"])
    assert result.exit_code == 1
    assert "Er is geen account met e-mailadres niemand@example.org." in result.output
    assert smtp.messages == []


def test_cli_fails_when_the_mail_server_is_down(runner, make, smtp_down, db):
    user = make.user(make.centre(), Role.COACH)
    result = runner.invoke(args=["send-password-link", "--email", user.email])
    assert result.exit_code == 1
    assert "De mailserver weigerde of was niet bereikbaar" in result.output
    assert token_count(db) == 0


# --------------------------------------------------------------------------- user management


@pytest.fixture
def centre(make):
    return make.centre(name="LSC Noord")


@pytest.fixture
def admin(client, make, centre):
    user = make.user(centre, Role.ADMIN, email="beheer@noord.be")
    login(client, user.email)
    return user


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.COACH, Role.SCHOOL])
def test_only_admins_manage_users(client, make, centre, role):
    school = make.school(centre) if role is Role.SCHOOL else None
    user = make.user(centre, role, school=school)
    other = make.user(centre, Role.COACH)
    login(client, user.email)
    token = csrf_token(client, "/password/forgot")
    refused = client.get("/accounts/users")
    assert refused.status_code == 403
    assert "Gebruikers" not in refused.get_data(as_text=True)  # nor in the menu
    assert client.get(f"/accounts/users/{other.id}").status_code == 403
    for action in ("disable", "enable", "link"):
        response = client.post(f"/accounts/users/{other.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 403
    response = client.post(
        f"/accounts/users/{other.id}", data={"role": "admin", "school": "", "csrf_token": token}
    )
    assert response.status_code == 403
    assert other.is_enabled is True


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get("/accounts/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admin_lists_only_their_centre(client, make, centre, admin):
    school = make.school(centre, name="VBS De Linde")
    make.user(centre, Role.SCHOOL, email="directie@linde.be", school=school)
    make.user(make.centre(), Role.COACH, email="elders@zuid.be")
    page = client.get("/accounts/users").get_data(as_text=True)
    assert '<a href="/accounts/users">Gebruikers</a>' in page
    assert '<a href="/audit/">Auditlog</a>' in page
    assert "directie@linde.be" in page
    assert "VBS De Linde" in page
    assert "<td>Beheerder</td>" in page
    assert "elders@zuid.be" not in page


def test_admin_creates_a_user_who_sets_a_password(app, client, make, centre, admin, smtp, db):
    response = post_form(
        client,
        "/accounts/users",
        {"email": "Nieuw@Noord.be", "name": "Nieuwe Collega", "role": "coach", "school": ""},
    )
    assert response.status_code == 302
    page = client.get("/accounts/users").get_data(as_text=True)
    assert "Account aangemaakt. nieuw@noord.be kreeg een link" in page
    created = db.session.scalar(select(StaffUser).where(StaffUser.email == "nieuw@noord.be"))
    assert created.centre_id == centre.id
    assert created.role is Role.COACH
    assert created.password_hash is None
    assert "Nog geen wachtwoord" in page

    assert smtp.messages[0]["To"] == "nieuw@noord.be"
    token = link_token(smtp)
    record = db.session.scalar(select(PasswordToken).where(PasswordToken.user_id == created.id))
    assert record.expires_at - utcnow() > timedelta(days=6)

    other = app.test_client()
    post_form(other, f"/password/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert login(other, "nieuw@noord.be", NEW_PASSWORD).headers["Location"].endswith("/home")


def test_school_account_needs_a_school_of_the_centre(client, make, centre, admin, smtp, db):
    foreign_school = make.school(make.centre())
    data = {"email": "school@noord.be", "name": "Directie", "role": "school", "school": ""}
    page = post_form(client, "/accounts/users", data).get_data(as_text=True)
    assert "Een schoolaccount hoort bij een school" in page
    data["school"] = str(foreign_school.id)
    response = post_form(client, "/accounts/users", data)
    assert response.status_code == 200  # not one of the choices
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "school@noord.be")) is None

    school = make.school(centre)
    data["school"] = str(school.id)
    assert post_form(client, "/accounts/users", data).status_code == 302
    created = db.session.scalar(select(StaffUser).where(StaffUser.email == "school@noord.be"))
    assert created.school_id == school.id


def test_a_school_is_ignored_for_other_roles(client, make, centre, admin, smtp, db):
    school = make.school(centre)
    data = {"email": "kc@noord.be", "name": "KC", "role": "coordinator", "school": str(school.id)}
    assert post_form(client, "/accounts/users", data).status_code == 302
    created = db.session.scalar(select(StaffUser).where(StaffUser.email == "kc@noord.be"))
    assert created.school_id is None


def test_duplicate_address_and_bad_input_are_form_errors(client, make, centre, admin, smtp, db):
    make.user(make.centre(), Role.COACH, email="bestaat@zuid.be")
    page = post_form(
        client,
        "/accounts/users",
        {"email": "BESTAAT@zuid.be", "name": "X", "role": "coach", "school": ""},
    ).get_data(as_text=True)
    assert "Er bestaat al een account met dit e-mailadres." in page
    for data in (
        {"email": "geen-adres", "name": "X", "role": "coach", "school": ""},
        {"email": "a@b.be", "name": "", "role": "coach", "school": ""},
        {"email": "a@b.be", "name": "X", "role": "superuser", "school": ""},
        {"email": "a@b.be", "name": "X" * 201, "role": "coach", "school": ""},
        {"email": "a@b.be", "name": "X", "role": "coach", "school": "not-a-number"},
    ):
        assert post_form(client, "/accounts/users", data).status_code == 200, data
    assert smtp.messages == []


def test_mail_server_down_creates_no_account(client, make, centre, admin, smtp_down, db):
    data = {"email": "nieuw@noord.be", "name": "Nieuw", "role": "coach", "school": ""}
    response = post_form(client, "/accounts/users", data)
    assert response.status_code == 200
    assert "Het account is niet aangemaakt" in response.get_data(as_text=True)
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "nieuw@noord.be")) is None
    assert token_count(db) == 0


def test_disable_and_enable_a_user(app, client, make, centre, admin, db):
    coach = make.user(centre, Role.COACH)
    coach_client = app.test_client()
    login(coach_client, coach.email)
    assert coach_client.get("/trajectories/").status_code == 200
    token = issue_password_token(coach, timedelta(hours=1))

    response = post_form(
        client,
        f"/accounts/users/{coach.id}/disable",
        {},
        follow=True,
        form_page=f"/accounts/users/{coach.id}",
    )
    assert "Het account is uitgeschakeld." in response.get_data(as_text=True)
    assert coach.is_enabled is False
    # The running session ends, the login is refused and the mailed link is spent.
    assert coach_client.get("/trajectories/").status_code == 302
    assert login(coach_client, coach.email).status_code == 200
    assert client.get(f"/password/{token}").status_code == 410

    response = post_form(
        client,
        f"/accounts/users/{coach.id}/enable",
        {},
        follow=True,
        form_page=f"/accounts/users/{coach.id}",
    )
    assert "Het account is ingeschakeld." in response.get_data(as_text=True)
    assert coach.is_enabled is True
    assert login(coach_client, coach.email).headers["Location"].endswith("/home")


def test_admin_cannot_disable_or_demote_themselves(client, admin, db):
    response = post_form(
        client,
        f"/accounts/users/{admin.id}/disable",
        {},
        follow=True,
        form_page=f"/accounts/users/{admin.id}",
    )
    assert "Je kunt je eigen account niet uitschakelen." in response.get_data(as_text=True)
    assert admin.is_enabled is True
    response = post_form(
        client, f"/accounts/users/{admin.id}", {"role": "coach", "school": ""}, follow=True
    )
    assert "Je kunt je eigen rol niet wijzigen." in response.get_data(as_text=True)
    assert admin.role is Role.ADMIN


def test_change_role(client, make, centre, admin, db):
    coach = make.user(centre, Role.COACH)
    school = make.school(centre)
    path = f"/accounts/users/{coach.id}"
    response = post_form(client, path, {"role": "school", "school": ""})
    assert "Een schoolaccount hoort bij een school" in response.get_data(as_text=True)
    assert coach.role is Role.COACH

    response = post_form(client, path, {"role": "school", "school": str(school.id)}, follow=True)
    assert "De rol is bewaard." in response.get_data(as_text=True)
    assert (coach.role, coach.school_id) == (Role.SCHOOL, school.id)

    post_form(client, path, {"role": "coordinator", "school": str(school.id)})
    assert (coach.role, coach.school_id) == (Role.COORDINATOR, None)


def test_another_centres_user_is_404(client, make, admin, smtp, db):
    stranger = make.user(make.centre(), Role.COACH)
    token = csrf_token(client, "/accounts/users")
    assert client.get(f"/accounts/users/{stranger.id}").status_code == 404
    assert client.get("/accounts/users/999999").status_code == 404
    for action in ("disable", "enable", "link"):
        response = client.post(
            f"/accounts/users/{stranger.id}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 404, action
    response = client.post(
        f"/accounts/users/{stranger.id}",
        data={"role": "admin", "school": "", "csrf_token": token},
    )
    assert response.status_code == 404
    assert stranger.role is Role.COACH
    assert stranger.is_enabled is True
    assert smtp.messages == []


def test_admin_sends_a_new_link(client, make, centre, admin, smtp, db):
    coach = make.user(centre, Role.COACH)
    response = post_form(
        client,
        f"/accounts/users/{coach.id}/link",
        {},
        follow=True,
        form_page=f"/accounts/users/{coach.id}",
    )
    page = response.get_data(as_text=True)
    assert f"{coach.email} kreeg een nieuwe link" in page
    assert "Openstaande link" in page
    assert smtp.messages[0]["To"] == coach.email


def test_posts_need_a_csrf_token(client, make, centre, admin, db):
    # Flask-WTF refuses before the view runs, for every role.
    coach = make.user(centre, Role.COACH)
    assert client.post(f"/accounts/users/{coach.id}/disable").status_code == 400
    assert coach.is_enabled is True


def test_link_kinds_have_their_lifetimes():
    from survey.accounts.services import LIFETIMES

    assert LIFETIMES[LinkKind.RESET] == timedelta(hours=1)
    assert LIFETIMES[LinkKind.SET] == timedelta(days=7)


def test_password_tokens_are_kept_out_of_the_access_log():
    import logging

    from survey.privacy.logs import RedactTokens

    def logged(line: str) -> str:
        record = logging.LogRecord("werkzeug", logging.INFO, "", 0, "%s", (line,), None)
        RedactTokens().filter(record)
        return record.getMessage()

    assert logged('"GET /password/abc_DEF-123 HTTP/1.1" 200') == (
        '"GET /password/[token] HTTP/1.1" 200'
    )
    assert logged('"POST /password/forgot HTTP/1.1" 302') == '"POST /password/forgot HTTP/1.1" 302'


def test_a_password_link_works_over_https_without_a_referer(app, db, make):
    """The page sends no Referer (the token is in its address); HTTPS must not refuse it."""
    from survey.accounts.services import issue_password_token

    user = make.user(make.centre())
    token = issue_password_token(user, timedelta(hours=1))
    db.session.flush()
    client = app.test_client()
    base = "https://klankbord.example"
    page = client.get(f"/password/{token}", base_url=base).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    refused = client.post(f"/password/{token}", base_url=base, data=data)
    assert refused.status_code == 200  # without the form's CSRF field: re-rendered, not saved
    done = client.post(f"/password/{token}", base_url=base, data={**data, "csrf_token": csrf})
    assert done.status_code == 302
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("sent_token", ["none", "wrong", "stale"])
def test_a_refused_csrf_token_on_the_password_page_says_so_and_the_page_still_works(
    app, db, make, monkeypatch, sent_token
):
    user = make.user(make.centre())
    token = issue_password_token(user, timedelta(hours=1))
    db.session.flush()
    client = app.test_client()
    path = f"/password/{token}"
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    if sent_token == "wrong":
        data["csrf_token"] = "niet-het-juiste-token"
    if sent_token == "stale":
        # The page's own token, sent after it expired (the page stood open too long).
        data["csrf_token"] = csrf_token(client, path)
        monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", -1)
    refused = client.post(path, data=data)
    monkeypatch.undo()
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert (
        '<p class="error" role="alert">'
        "Voor je veiligheid: typ je nieuwe wachtwoord nog een keer en bewaar het.</p>"
    ) in page
    assert not user.check_password(NEW_PASSWORD)
    # The page that says so carries a fresh token: sending the form from it works.
    fresh = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    done = client.post(path, data={**data, "csrf_token": fresh})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login")
    assert user.check_password(NEW_PASSWORD)


def test_the_password_page_shows_no_security_message_for_a_field_error(client, db, make):
    user = make.user(make.centre())
    token = issue_password_token(user, timedelta(hours=1))
    db.session.flush()
    response = post_form(
        client, f"/password/{token}", {"password": NEW_PASSWORD, "confirm": "iets-anders-lang"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "De twee wachtwoorden zijn niet hetzelfde." in page
    assert "Voor je veiligheid" not in page
