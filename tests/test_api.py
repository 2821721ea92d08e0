"""The read-only JSON API: tokens, scoping, pagination, filters, refusals and the contract.

The last tests hold every operation to its OpenAPI document with Schemathesis: generated
queries (valid and invalid) go through the app, and each answer must be documented, JSON of
the documented type, and no server error.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from survey.api.openapi import openapi_document
from survey.api.services import create_token
from survey.limits import limiter
from survey.models import (
    AnonymousAnswer,
    AnonymousResponse,
    ApiToken,
    Audience,
    Centre,
    Role,
    School,
)
from survey.questionnaire_versions.services import current_version
from survey.reports.exports import COLUMNS
from tests.conftest import csrf_token, login

YEAR = "2025-2026"
PARENT_ITEMS = ("communicatie-uitleg", "gehoord", "algemeen-tevreden")
TEACHER_ITEMS = ("samenwerking-goed", "algemeen-tevreden")
TOO_FEW = "tag:klankbord.be,2026:problems/too-few-respondents"
INVALID_PARAMETER = "tag:klankbord.be,2026:problems/invalid-parameter"


@dataclass
class World:
    centre: Centre
    schools: dict[str, School]
    token: str
    other_centre: Centre
    other_school: School
    other_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _respond(db, centre, audience, school, items, version, year, rng) -> None:
    response = AnonymousResponse(
        questionnaire_version_id=version.id,
        centre_id=centre.id,
        school_id=school.id if school else None,
        school_year=year,
        audience=audience,
        published_on=date(int(year[:4]) + 1, 3, 1),
    )
    response.answers = [AnonymousAnswer(item_id=i, value=rng.choice([1, 2, 3, 4])) for i in items]
    db.session.add(response)


@pytest.fixture
def world(db, make, today) -> World:
    """Parents of four schools (12, 9, 3 and 7: the last two suppressed), two teachers."""
    rng = random.Random(11)
    centre = make.centre(code="lsc-api", name="LSC Api")
    sizes = {"Groot": 12, "Midden": 9, "Klein": 3, "Zeven": 7}
    schools = {name: make.school(centre, name=f"School {name}") for name in sizes}
    parents = current_version("tevredenheid-ouders")
    teachers = current_version("tevredenheid-leraren")
    for name, size in sizes.items():
        for _ in range(size):
            _respond(db, centre, Audience.PARENT, schools[name], PARENT_ITEMS, parents, YEAR, rng)
    for _ in range(2):  # a centre total below k: the teacher audience is refused
        _respond(db, centre, Audience.TEACHER, schools["Groot"], TEACHER_ITEMS, teachers, YEAR, rng)
    for _ in range(6):
        _respond(
            db, centre, Audience.PARENT, schools["Groot"], PARENT_ITEMS, parents, "2024-2025", rng
        )
    other = make.centre(code="lsc-ander", name="LSC Ander")
    other_school = make.school(other, name="School Elders")
    for _ in range(8):
        _respond(db, other, Audience.PARENT, other_school, PARENT_ITEMS, parents, YEAR, rng)
    _, secret = create_token(centre, "Dashboard Noord")
    _, other_secret = create_token(other, "Dashboard Elders")
    db.session.flush()
    return World(centre, schools, secret, other, other_school, other_secret)


def _problem(response, status: int, type_uri: str = "about:blank") -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == type_uri
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def _all_rows(client, world, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/results?per_page=1000&{query}", headers=world.auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["meta"]["total"] == len(body["data"])
    return body["data"]


# ------------------------------------------------------------------------------- tokens


def test_a_token_is_stored_only_as_its_hash(db, make):
    centre = make.centre()
    token, secret = create_token(centre, "  Dashboard  ")
    assert secret.startswith("kb_")
    assert len(secret) > 40
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.name == "Dashboard"
    stored = db.session.execute(select(ApiToken.__table__)).mappings().all()
    assert not any(secret in str(value) for row in stored for value in row.values())


def test_coordinator_makes_a_token_sees_it_once_and_revokes_it(client, world, make, db):
    coordinator = make.user(world.centre, Role.COORDINATOR)
    login(client, coordinator.email)
    page = client.get("/api-tokens/")
    assert page.status_code == 200
    assert "Dashboard Noord" in page.get_data(as_text=True)
    created = client.post(
        "/api-tokens/",
        data={"name": "Rapportage", "csrf_token": csrf_token(client, "/api-tokens/")},
    )
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    assert 'id="shown-once"' in html
    secret = html.split('<code id="api-token">')[1].split("</code>")[0]
    assert secret.startswith("kb_")
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Rapportage"))
    assert token.created_by_id == coordinator.id
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in client.get("/api-tokens/").get_data(as_text=True)

    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/school-years", headers=bearer).status_code == 200
    assert token.last_used_on == date(2026, 3, 10)

    revoked = client.post(
        f"/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/api-tokens/")}
    )
    assert revoked.status_code == 302
    assert token.revoked_at is not None
    assert client.get("/api-tokens/").status_code == 200
    refused = client.get("/api/v1/school-years", headers=bearer)
    _problem(refused, 401)
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="Klankbord", error="invalid_token"'


def test_another_centres_token_cannot_be_revoked(client, world, make, db):
    outsider = make.user(world.other_centre, Role.COORDINATOR)
    token = db.session.scalar(select(ApiToken).where(ApiToken.centre_id == world.centre.id))
    login(client, outsider.email)
    listing = client.get("/api-tokens/").get_data(as_text=True)
    assert "Dashboard Noord" not in listing
    assert "Dashboard Elders" in listing
    response = client.post(
        f"/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/api-tokens/")}
    )
    assert response.status_code == 404
    assert token.revoked_at is None


def test_coaches_and_school_users_cannot_manage_tokens(client, world, make):
    coach = make.user(world.centre, Role.COACH)
    login(client, coach.email)
    assert client.get("/api-tokens/").status_code == 403


def test_command_line_creates_lists_and_revokes(runner, world, db):
    result = runner.invoke(args=["api-tokens", "create", "--centre", "lsc-api", "--name", "Cron"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("kb_")
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Cron"))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()

    listing = runner.invoke(args=["api-tokens", "list", "--centre", "lsc-api"])
    assert listing.exit_code == 0
    lines = [line.split("\t") for line in listing.stdout.splitlines()]
    assert [line[1] for line in lines] == ["Cron", "Dashboard Noord"]
    assert secret not in listing.output

    assert runner.invoke(args=["api-tokens", "revoke", str(token.id)]).exit_code == 0
    assert token.revoked_at is not None
    assert runner.invoke(args=["api-tokens", "revoke", str(token.id)]).exit_code == 0
    assert runner.invoke(args=["api-tokens", "revoke", "999999"]).exit_code == 1
    unknown = runner.invoke(args=["api-tokens", "create", "--centre", "nope", "--name", "X"])
    assert unknown.exit_code == 1


# ------------------------------------------------------------------------ authentication


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Basic a2I6eA==", "Bearer", "Bearer kb_unknown", "kb_unknown", "Bearer a b"],
)
def test_no_valid_token_no_data(client, world, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    for path in ("/api/v1/school-years", "/api/v1/schools", "/api/v1/results"):
        response = client.get(path, headers=headers)
        _problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="Klankbord"')


def test_a_staff_session_is_no_api_credential(client, world, make):
    login(client, make.user(world.centre, Role.ADMIN).email)
    _problem(client.get("/api/v1/results"), 401)


def test_a_token_in_the_query_string_is_refused(client, world):
    body = _problem(
        client.get(f"/api/v1/school-years?access_token={world.token}", headers=world.auth),
        400,
        INVALID_PARAMETER,
    )
    assert body["parameter"] == "access_token"


def test_the_api_sets_no_cookie(client, world):
    for headers in (world.auth, {}, {"Authorization": "Bearer kb_nope"}):
        for path in ("/api/v1/results", "/api/v1/openapi.json", "/api/v1/nope"):
            response = client.get(path, headers=headers)
            assert "Set-Cookie" not in response.headers, path
    assert not client.get_cookie("session")


def test_last_use_is_written_at_most_once_a_day(client, world, db):
    token = db.session.scalar(select(ApiToken).where(ApiToken.centre_id == world.centre.id))
    assert token.last_used_on is None
    client.get("/api/v1/school-years", headers=world.auth)
    assert token.last_used_on == date(2026, 3, 10)
    token.last_used_on = date(2026, 3, 9)
    db.session.flush()
    client.get("/api/v1/school-years", headers=world.auth)
    assert token.last_used_on == date(2026, 3, 10)


# --------------------------------------------------------------------------------- scope


def test_each_token_sees_only_its_own_centre(client, world):
    mine = client.get("/api/v1/schools", headers=world.auth).get_json()["data"]
    assert {s["name"] for s in mine} == {
        f"School {n}" for n in ("Groot", "Midden", "Klein", "Zeven")
    }
    other_auth = {"Authorization": f"Bearer {world.other_token}"}
    theirs = client.get("/api/v1/schools", headers=other_auth).get_json()["data"]
    assert theirs == [
        {
            "id": world.other_school.id,
            "name": "School Elders",
            "institution_number": world.other_school.institution_number,
        }
    ]
    rows = client.get("/api/v1/results?per_page=1000", headers=other_auth).get_json()["data"]
    assert rows
    assert {row["centre"] for row in rows} == {"lsc-ander"}
    assert not {row["group_name"] for row in rows} & {s["name"] for s in mine}
    # This centre's school is unknown to the other centre's token.
    groot = world.schools["Groot"].id
    _problem(client.get(f"/api/v1/results?school_id={groot}", headers=other_auth), 404)


def test_school_years_newest_first_and_the_default(client, world):
    years = client.get("/api/v1/school-years", headers=world.auth).get_json()
    assert years == {"data": ["2025-2026", "2024-2025"]}
    body = client.get("/api/v1/results", headers=world.auth).get_json()
    assert body["meta"]["school_year"] == "2025-2026"
    assert body["meta"]["threshold"] == 5
    assert "school_year=2025-2026" in body["links"]["self"]


# ------------------------------------------------------------------- pages and filters


def test_pages_follow_next_links_to_the_whole_list(client, world):
    everything = _all_rows(client, world)
    assert len(everything) > 25
    first = client.get("/api/v1/results?per_page=10", headers=world.auth).get_json()
    assert first["meta"] == {
        "page": 1,
        "per_page": 10,
        "total": len(everything),
        "threshold": 5,
        "school_year": YEAR,
    }
    assert first["links"]["prev"] is None
    assert first["links"]["self"].startswith("http://127.0.0.1:5000/api/v1/results?")
    collected, body, pages = [], first, 0
    while True:
        collected.extend(body["data"])
        pages += 1
        if body["links"]["next"] is None:
            break
        parts = urlsplit(body["links"]["next"])
        query = parse_qs(parts.query)
        assert query["page"] == [str(pages + 1)]
        assert query["per_page"] == ["10"]
        body = client.get(f"{parts.path}?{parts.query}", headers=world.auth).get_json()
        assert body["links"]["prev"] is not None
    assert collected == everything
    assert pages == -(-len(everything) // 10)
    beyond = client.get(f"/api/v1/results?per_page=10&page={pages + 5}", headers=world.auth)
    assert beyond.get_json()["data"] == []
    assert beyond.get_json()["links"]["next"] is None


def test_filters_narrow_the_rows(client, world):
    everything = _all_rows(client, world)
    parents = _all_rows(client, world, "audience=parent")
    assert parents
    assert {row["audience"] for row in parents} == {"parent"}
    assert parents == [row for row in everything if row["audience"] == "parent"]
    items = _all_rows(client, world, "measure_type=item&group_type=school")
    assert {(row["measure_type"], row["group_type"]) for row in items} == {("item", "school")}
    groot = world.schools["Groot"].id
    own = _all_rows(client, world, f"school_id={groot}")
    assert own
    assert {(row["group_type"], row["group_id"]) for row in own} == {("school", groot)}
    assert any(row["measure_type"] == "trajectories" for row in own)
    figures = client.get("/api/v1/trajectory-figures", headers=world.auth).get_json()
    assert figures["data"]
    assert {row["measure_type"] for row in figures["data"]} == {"trajectories"}
    assert {row["group_type"] for row in figures["data"]} == {"centre"}


def test_a_suppressed_group_has_no_numbers(client, world):
    rows = _all_rows(client, world, "audience=parent")
    for name in ("School Klein", "School Zeven"):
        own = [row for row in rows if row["group_name"] == name]
        assert own
        for row in own:
            assert row["suppressed"] is True
            assert row["value"] is None
            assert row["ci_low"] is None
            assert row["ci_high"] is None
            assert row["n"] is None
    groot = [
        r for r in rows if r["group_name"] == "School Groot" and r["statistic"] == "respondents"
    ]
    assert groot[0]["value"] == 12
    assert groot[0]["suppressed"] is False


# -------------------------------------------------------------------------- refusals


def test_a_selection_below_the_threshold_is_refused(client, world):
    klein = world.schools["Klein"].id
    body = _problem(
        client.get(f"/api/v1/results?school_id={klein}", headers=world.auth), 422, TOO_FEW
    )
    assert body["threshold"] == 5
    # Hidden by complementary suppression, so refused alike.
    zeven = world.schools["Zeven"].id
    _problem(client.get(f"/api/v1/results?school_id={zeven}", headers=world.auth), 422, TOO_FEW)
    _problem(client.get("/api/v1/results?audience=teacher", headers=world.auth), 422, TOO_FEW)
    _problem(client.get("/api/v1/results?audience=pupil", headers=world.auth), 422, TOO_FEW)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("page=%201", "page"),
        ("page=1_0", "page"),
        ("per_page=1001", "per_page"),
        ("per_page=abc", "per_page"),
        ("per_page=", "per_page"),
        ("school_year=2025-2027", "school_year"),
        ("school_year=25-26", "school_year"),
        ("school_year=2025-2026%0A", "school_year"),
        ("school_year=%D9%A2%D9%A0%D9%A2%D9%A5-%D9%A2%D9%A0%D9%A2%D9%A6", "school_year"),
        ("school_year=0000-0001", "school_year"),
        ("audience=coach", "audience"),
        ("audience=", "audience"),
        ("group_type=trajectory", "group_type"),
        ("measure_type=ITEM", "measure_type"),
        ("school_id=0", "school_id"),
        ("school_id=99999999999999999999999", "school_id"),
    ],
)
def test_invalid_parameters_are_named(client, world, query, parameter):
    body = _problem(
        client.get(f"/api/v1/results?{query}", headers=world.auth), 400, INVALID_PARAMETER
    )
    assert body["parameter"] == parameter


def test_unknown_addresses_and_methods_answer_json(client, world):
    _problem(client.get("/api/v1/nothing-here", headers=world.auth), 404)
    _problem(client.get("/api/v2/results", headers=world.auth), 404)
    _problem(client.get("/api/v1/results?school_id=2147483647", headers=world.auth), 404)
    response = client.post("/api/v1/results", headers=world.auth)
    _problem(response, 405)
    assert "GET" in response.headers["Allow"]
    _problem(client.delete("/api/v1/openapi.json"), 405)
    # The staff site keeps its HTML error pages.
    assert client.get("/nothing-here").mimetype == "text/html"


# ------------------------------------------------------------------------- throttling


@pytest.fixture
def limits(app):
    keys = ("RATELIMIT_ENABLED", "API_RATE_LIMIT", "API_AUTH_FAILURE_RATE_LIMIT")
    saved = {key: app.config.get(key) for key in keys}
    limiter.reset()
    app.config["RATELIMIT_ENABLED"] = True
    yield app.config
    app.config.update(saved)
    limiter.reset()


def test_each_token_has_its_own_budget(limits, client, world):
    limits["API_RATE_LIMIT"] = "3/minute"
    for _ in range(3):
        assert client.get("/api/v1/school-years", headers=world.auth).status_code == 200
    throttled = client.get("/api/v1/schools", headers=world.auth)
    _problem(throttled, 429)
    assert throttled.headers["Retry-After"] == "60"
    other = {"Authorization": f"Bearer {world.other_token}"}
    assert client.get("/api/v1/school-years", headers=other).status_code == 200


def test_guessing_tokens_is_throttled_per_address(limits, client, world):
    limits["API_AUTH_FAILURE_RATE_LIMIT"] = "3/minute"
    for number in range(3):
        bad = {"Authorization": f"Bearer kb_guess{number}"}
        _problem(client.get("/api/v1/results", headers=bad), 401)
    _problem(client.get("/api/v1/results", headers={"Authorization": "Bearer kb_x"}), 429)
    # Good answers were never counted as failures, but this address is now blocked a while.
    _problem(client.get("/api/v1/school-years", headers=world.auth), 429)


# ----------------------------------------------------------------------- the contract


API_PATHS = (
    "/api/v1/openapi.json",
    "/api/v1/school-years",
    "/api/v1/schools",
    "/api/v1/results",
    "/api/v1/trajectory-figures",
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def test_the_openapi_document_is_valid_openapi_3_1(client, db):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document == openapi_document()
    assert document["openapi"] == "3.1.0"
    validate(document)
    # The rows are the exports' columns, no more and no fewer.
    row = openapi_document()["components"]["schemas"]["Row"]
    assert list(row["properties"]) == list(COLUMNS)
    # Every operation is fuzzed below.
    assert set(document["paths"]) == set(API_PATHS)
    responses = {
        code
        for path in document["paths"].values()
        for code in path["get"]["responses"]
        if path["get"].get("security") != []
    }
    assert responses == {"200", "400", "401", "404", "422", "429"}


@pytest.mark.parametrize("path", API_PATHS)
def test_every_answer_matches_the_openapi_document(app, client, world, path):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path]["GET"]
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    if len(operation.query):
        # Invalid values too: each must be refused with a documented problem, never a 500.
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))

    # The world's rows are shared by every example: the API only reads them.
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=st.one_of(strategies))
    def check(case):
        case.call_and_validate(session=client, headers=world.auth, checks=CHECKS)

    check()
