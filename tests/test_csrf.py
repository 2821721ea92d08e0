"""Every state-changing route refuses a request without a CSRF token: generated from the URL map.

Each POST route gets a submission that would change something (a valid form, a real object in
the URL) but no ``csrf_token``. Staff forms must answer 400 with the "form expired" page; the
respondent and set-password forms, which check their token themselves (FORM_CHECKED), show
their page again. Nothing in the database or the session may have changed. A new POST route fails
``test_every_state_changing_route_is_exercised`` until it is added here.

The JSON API under /api/v1/ is left out: it is read-only, sets no cookie, reads no session and
authenticates with a bearer token, so a forged cross-site request has nothing to ride on.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey.accounts.services import issue_password_token
from survey.api.services import create_token
from survey.campaigns.services import campaign_for_trajectory, issue_invitations
from survey.extensions import db as _db
from survey.models import Audience, Role, StaffUser
from tests.conftest import TODAY, FreshGlobalsClient, login
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.usefixtures("today")

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/v1/"
NEW_PASSWORD = "een-nieuw-lang-wachtwoord"
IMPORT_CSV = (
    "code;school;focus;verslag;type;niveau;startdatum;coach\r\n"
    "CSRF-9;{school_number};leerlinggericht;GC;type 9;lager;15/09/2025;{coach_email}\r\n"
)

# endpoint -> (path, form), posted by a logged-in administrator (who may do all of these).
# Values are formatted with the world's ids; a callable value is called for a fresh one.
STAFF_POSTS: dict[str, tuple[str, dict[str, object]]] = {
    "accounts.users": (
        "/accounts/users",
        {"email": "nieuw@example.org", "name": "Nieuwe Coach", "role": "coach", "school": ""},
    ),
    "accounts.user": ("/accounts/users/{user}", {"role": "coordinator", "school": ""}),
    "accounts.disable_user": ("/accounts/users/{user}/disable", {}),
    "accounts.enable_user": ("/accounts/users/{disabled_user}/enable", {}),
    "accounts.send_link": ("/accounts/users/{user}/link", {}),
    "api_tokens.index": ("/api-tokens/", {"name": "Power BI"}),
    "api_tokens.revoke": ("/api-tokens/{api_token}/revoke", {}),
    "campaigns.index": (
        "/campaigns/",
        {
            "questionnaire": "tevredenheid-ouders",
            "audience": "parent",
            "school": "{school}",
            "opens_on": "2026-03-10",
            "closes_on": "2026-06-30",
        },
    ),
    "campaigns.detail": (
        "/campaigns/{campaign}",
        {"count": "3", "language": "nl", "output": "links"},
    ),
    "campaigns.close": ("/campaigns/{campaign}/close", {}),
    "auth.logout": ("/logout", {}),
    "feedback.ask_feedback": (
        "/trajectories/{code}/ask-feedback",
        {"roles": ["parent", "teacher"], "parents": "2", "language": "nl", "links": "1"},
    ),
    "manage.new": (
        "/trajectories/new",
        {
            "code": "CSRF-2",
            "school": "{school}",
            "focus": "pupil",
            "report_type": "GC",
            "disability_type": "9",
            "level": "lager",
            "start_date": "2026-03-01",
        },
    ),
    "manage.edit": (
        "/trajectories/{code}/edit",
        {
            "code": "{code}",
            "school": "{school}",
            "focus": "teacher",
            "report_type": "IAC",
            "disability_type": "2",
            "level": "lager",
            "start_date": "2025-09-01",
        },
    ),
    "manage.status": (
        "/trajectories/{code}/status",
        {"status": "closed", "close_reason": "goals_reached", "changed_on": "2026-03-10"},
    ),
    "evaluation.new_goal": (
        "/trajectories/{code}/goals/new",
        {
            "target": "pupil",
            "description": "Leest zelfstandig een opdracht.",
            "success_criterion": "Start binnen twee minuten zonder hulp.",
        },
    ),
    "evaluation.new_evaluation": (
        "/trajectories/{code}/evaluations/new",
        {
            "held_on": "2026-03-10",
            "decision": "continue",
            "next_evaluation_on": "2026-06-10",
            "reflection": "Gaat vooruit.",
        },
    ),
    "imports.upload": ("/trajectories/import", {"file": "import"}),
}
# endpoint -> (path, form), posted without a session: the forms one fills in before logging in.
ANONYMOUS_POSTS: dict[str, tuple[str, dict[str, object]]] = {
    "auth.login": ("/login", {"email": "{admin_email}", "password": TEST_PASSWORD}),
    "accounts.forgot_password": ("/password/forgot", {"email": "{admin_email}"}),
    "accounts.set_password": (
        "/password/{password_token}",
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
}
# Exempt from the global check (which over HTTPS also demands a Referer, and these pages send
# none: their address holds a token), so their form checks the token itself and shows the page
# again: endpoint -> status. The respondent form has its own test below.
FORM_CHECKED = {"accounts.set_password": 200}
RESPONDENT_POSTS = {"respond.answer"}


def _state_changing_endpoints(app: Flask) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods & STATE_CHANGING and not rule.rule.startswith(API_PREFIX)
    }


def test_every_state_changing_route_is_exercised(app):
    exercised = set(STAFF_POSTS) | set(ANONYMOUS_POSTS) | RESPONDENT_POSTS
    assert _state_changing_endpoints(app) == exercised
    # Only POST is used (no PUT, PATCH or DELETE that the cases above would miss).
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX):
            assert rule.methods & STATE_CHANGING <= {"POST"}, rule.rule
    # The API, left out above, changes nothing.
    api_methods = {
        method
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX)
        for method in rule.methods
    }
    assert api_methods & STATE_CHANGING == set()


@pytest.fixture
def world(app, make, db) -> dict[str, object]:
    app.test_client_class = FreshGlobalsClient
    centre = make.centre()
    school = make.school(centre)
    admin = make.user(centre, Role.ADMIN)
    coach = make.user(centre, Role.COACH)
    # Targets of the account pages; they never log in, so they need no (slow) password hash.
    user = StaffUser(centre=centre, email="doel@example.org", name="Doel", role=Role.COACH)
    disabled = StaffUser(
        centre=centre, email="weg@example.org", name="Weg", role=Role.COACH, is_enabled=False
    )
    db.session.add_all([user, disabled])
    trajectory = make.active_trajectory(school, "CSRF-1", coach)
    campaign = make.school_campaign(school)
    api_token, _secret = create_token(centre, "Dashboard")
    password_token = issue_password_token(user, timedelta(days=7))
    db.session.flush()
    return {
        "admin_email": admin.email,
        "coach_email": coach.email,
        "school": school.id,
        "school_number": school.institution_number,
        "user": user.id,
        "disabled_user": disabled.id,
        "code": trajectory.code,
        "campaign": campaign.id,
        "api_token": api_token.id,
        "password_token": password_token,
        "trajectory": trajectory,
    }


def _fill(value: object, world: dict[str, object]) -> object:
    if isinstance(value, list):
        return [_fill(item, world) for item in value]
    return str(value).format(**world)


def _form(form: dict[str, object], world: dict[str, object]) -> dict[str, object]:
    data = {name: _fill(value, world) for name, value in form.items() if name != "file"}
    if "file" in form:
        csv = IMPORT_CSV.format(**world).encode("utf-8")
        data["file"] = (io.BytesIO(csv), "export.csv")
    return data


def _database() -> dict[str, list[str]]:
    """Every row of every table, as text: any write anywhere shows up as a difference."""
    _db.session.expire_all()
    return {
        table.name: sorted(repr(tuple(row)) for row in _db.session.execute(select(table)))
        for table in _db.metadata.sorted_tables
    }


# The "form expired" page (templates/errors/csrf.html): a CSRF refusal, not any other 400.
REFUSED = "Voor je veiligheid kon dit formulier niet aanvaard worden"


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/home").status_code == 200


@pytest.mark.parametrize("endpoint", sorted(STAFF_POSTS))
def test_staff_post_without_csrf_token_is_refused(app, world, endpoint):
    path, form = STAFF_POSTS[endpoint]
    client = app.test_client()
    login(client, str(world["admin_email"]))
    before = _database()
    response = client.post(path.format(**world), data=_form(form, world))
    assert response.status_code == 400, endpoint
    assert REFUSED in response.get_data(as_text=True)
    assert _database() == before, endpoint
    assert _logged_in(client)  # not even the logout went through


@pytest.mark.parametrize("endpoint", sorted(ANONYMOUS_POSTS))
def test_public_form_without_csrf_token_is_refused(app, world, endpoint):
    path, form = ANONYMOUS_POSTS[endpoint]
    client = app.test_client()
    before = _database()
    response = client.post(path.format(**world), data=_form(form, world))
    assert response.status_code == FORM_CHECKED.get(endpoint, 400), endpoint
    if endpoint not in FORM_CHECKED:
        assert REFUSED in response.get_data(as_text=True)
    assert _database() == before, endpoint
    assert not _logged_in(client)  # the login form above used the right password


def _answers(page: str) -> dict[str, str]:
    data = dict.fromkeys(sorted(set(re.findall(r'name="(item-[^"]+)"', page))), "3")
    data["page"] = re.search(r'name="page" value="(\d+)"', page).group(1)
    return data


@pytest.mark.parametrize("action", ["submit", "next", "save", "back"])
def test_respondent_form_without_csrf_token_stores_nothing(app, world, action):
    # A pupil's form has one statement per page, so every action (back too) is possible.
    campaign = campaign_for_trajectory(world["trajectory"], Audience.PUPIL, TODAY)
    issued = issue_invitations(campaign, Audience.PUPIL, 1, TODAY)[0]
    client = app.test_client()
    page = 1 if action == "back" else 0
    html = client.get(f"{issued.path}?page={page}").get_data(as_text=True)
    data = _answers(html) | {"action": action}
    before = _database()
    response = client.post(issued.path, data=data)
    assert response.status_code == 422, action
    html = response.get_data(as_text=True)
    # The page says why, in the respondent's words, and keeps the answer that was given.
    assert "Voor je veiligheid: verstuur je antwoorden nog een keer." in html
    checked = [tag for tag in re.findall(r"<input[^>]*>", html) if " checked" in tag]
    assert any('value="3"' in tag for tag in checked)
    assert _database() == before, action
