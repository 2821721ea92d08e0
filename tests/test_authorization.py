"""Every staff route x every role x owner or not: generated from the URL map.

A route missing from EXPECTED fails the coverage test, so a new page cannot ship without
saying who may open it.
"""

from __future__ import annotations

import pytest

from survey.api.services import create_token
from survey.models import Role
from tests.conftest import FreshGlobalsClient, login

ACTORS = ("anonymous", "admin", "coordinator", "owner", "other_coach", "school", "outsider")
PUBLIC = {
    "static",
    "staff.index",
    "health.healthz",
    "auth.login",
    "auth.logout",
    "respond.answer",
    "respond.thanks",
    "accounts.forgot_password",
    "accounts.forgot_password_sent",
    "accounts.set_password",
}
# The JSON API authenticates with bearer tokens, not sessions, so it is outside the role
# matrix: endpoint -> (path, status without a token). tests/test_api.py covers its tokens.
API_ROUTES = {
    "api.openapi": ("/api/v1/openapi.json", 200),
    "api.school_years_list": ("/api/v1/school-years", 401),
    "api.schools": ("/api/v1/schools", 401),
    "api.results": ("/api/v1/results", 401),
    "api.trajectory_figures": ("/api/v1/trajectory-figures", 401),
}
CENTRE_STAFF = {
    "admin": 200,
    "coordinator": 200,
    "owner": 200,
    "other_coach": 200,
    "school": 200,
    "outsider": 200,
}
TRAJECTORY_OBJECT = {
    "admin": 200,
    "coordinator": 200,
    "owner": 200,
    "other_coach": 404,
    "school": 403,
    "outsider": 404,
}
COORDINATION = {
    "admin": 200,
    "coordinator": 200,
    "owner": 403,
    "other_coach": 403,
    "school": 403,
    "outsider": 200,
}
COORDINATION_OBJECT = {**COORDINATION, "outsider": 404}
ADMIN_ONLY = {
    "admin": 200,
    "coordinator": 403,
    "owner": 403,
    "other_coach": 403,
    "school": 403,
    "outsider": 403,
}
# endpoint -> (path template, expected GET status per actor; anonymous always goes to login)
EXPECTED = {
    "staff.home": ("/home", CENTRE_STAFF),
    "trajectories.index": ("/trajectories/", {**CENTRE_STAFF, "school": 403}),
    "trajectories.detail": ("/trajectories/{code}", TRAJECTORY_OBJECT),
    "feedback.matrix": ("/trajectories/{code}/matrix", TRAJECTORY_OBJECT),
    "feedback.ask_feedback": ("/trajectories/{code}/ask-feedback", TRAJECTORY_OBJECT),
    "evaluation.new_goal": ("/trajectories/{code}/goals/new", TRAJECTORY_OBJECT),
    "evaluation.new_evaluation": ("/trajectories/{code}/evaluations/new", TRAJECTORY_OBJECT),
    "evaluation.record": ("/trajectories/{code}/evaluations/{evaluation}", TRAJECTORY_OBJECT),
    "evaluation.record_pdf": (
        "/trajectories/{code}/evaluations/{evaluation}.pdf",
        TRAJECTORY_OBJECT,
    ),
    "manage.status": ("/trajectories/{code}/status", TRAJECTORY_OBJECT),
    "manage.edit": ("/trajectories/{code}/edit", COORDINATION_OBJECT),
    "manage.new": ("/trajectories/new", COORDINATION),
    "imports.upload": ("/trajectories/import", COORDINATION),
    "campaigns.index": ("/campaigns/", COORDINATION),
    "campaigns.detail": ("/campaigns/{campaign}", COORDINATION_OBJECT),
    "audit.index": ("/audit/", COORDINATION),
    # Everyone on the staff sees the report, cut to their role (see tests/test_reports.py).
    "reports.index": ("/reports/", CENTRE_STAFF),
    "reports.export": ("/reports/report.csv", CENTRE_STAFF),
    "api_tokens.index": ("/api-tokens/", COORDINATION),
    "accounts.users": ("/accounts/users", ADMIN_ONLY),
    "accounts.user": ("/accounts/users/{user}", ADMIN_ONLY),
}
POST_ONLY = {
    "campaigns.close": "/campaigns/{campaign}/close",
    "api_tokens.revoke": "/api-tokens/{api_token}/revoke",
    "accounts.disable_user": "/accounts/users/{user}/disable",
    "accounts.enable_user": "/accounts/users/{user}/enable",
    "accounts.send_link": "/accounts/users/{user}/link",
}


def test_every_route_is_covered(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - PUBLIC - set(EXPECTED) - set(POST_ONLY) - set(API_ROUTES) == set()


@pytest.fixture
def world(app, make, db):
    app.test_client_class = FreshGlobalsClient
    centre = make.centre()
    school = make.school(centre)
    owner = make.user(centre, Role.COACH)
    users = {
        "admin": make.user(centre, Role.ADMIN),
        "coordinator": make.user(centre, Role.COORDINATOR),
        "owner": owner,
        "other_coach": make.user(centre, Role.COACH),
        "school": make.user(centre, Role.SCHOOL, school=school),
        "outsider": make.user(make.centre(), Role.COORDINATOR),
    }
    trajectory = make.active_trajectory(school, "AUTH-1", owner)
    evaluation = make.evaluation(trajectory)
    campaign = make.school_campaign(school)
    api_token, _secret = create_token(centre, "Dashboard")
    db.session.flush()
    values = {
        "code": "AUTH-1",
        "evaluation": evaluation.id,
        "campaign": campaign.id,
        "user": users["other_coach"].id,
        "api_token": api_token.id,
    }
    return users, values


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_who_may_open_each_page(app, world, endpoint):
    users, values = world
    template, expected = EXPECTED[endpoint]
    path = template.format(**values)
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    for actor, status in expected.items():
        client = app.test_client()
        login(client, users[actor].email)
        assert client.get(path).status_code == status, (endpoint, actor)


@pytest.mark.parametrize("endpoint", sorted(POST_ONLY))
def test_state_changing_posts_need_login_and_a_csrf_token(app, world, endpoint):
    users, values = world
    path = POST_ONLY[endpoint].format(**values)
    assert app.test_client().post(path).status_code in (302, 400)
    client = app.test_client()
    login(client, users["admin"].email)
    assert client.post(path).status_code == 400  # no CSRF token


@pytest.mark.parametrize("endpoint", sorted(API_ROUTES))
def test_a_staff_session_opens_no_api_route(app, world, endpoint):
    users, _values = world
    path, status = API_ROUTES[endpoint]
    assert app.test_client().get(path).status_code == status
    for actor in ("admin", "coordinator"):
        client = app.test_client()
        login(client, users[actor].email)
        assert client.get(path).status_code == status, (endpoint, actor)
