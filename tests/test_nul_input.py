"""A NUL character in any form field is dropped before anything reads it: never a 500.

PostgreSQL text cannot hold NUL (the driver refuses the whole statement), so one NUL typed or
pasted into a staff form used to make a 500 there, and on SQLite it was stored. Every form that
has a text field is posted here with NUL in each text value; the request must succeed as if the
NUL had not been typed, and no row of any table may hold a NUL afterwards. The list of forms is
checked against the URL map (as in tests/test_csrf.py), so a new POST route must be sorted in.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import select

from survey.accounts.services import issue_password_token
from survey.api.services import create_token
from survey.extensions import db as _db
from survey.models import Focus, Goal, Role, StaffUser
from tests.conftest import FreshGlobalsClient, csrf_token, login

pytestmark = pytest.mark.usefixtures("today")

NUL = "\x00"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/v1/"
NEW_PASSWORD = "een-nieuw-lang-wachtwoord"


def nul(text: str) -> str:
    """``text`` with a NUL after its first character and one at its end."""
    return f"{text[:1]}{NUL}{text[1:]}{NUL}"


# endpoint -> (path, form, stored). Values in ``form`` that are wrapped in nul() are the
# form's text fields; ``stored`` are texts that must be in the database afterwards, NUL-free.
# Posted by a logged-in administrator.
STAFF_TEXT_POSTS: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "accounts.users": (
        "/accounts/users",
        {
            "email": nul("nieuw@example.org"),
            "name": nul("Nieuwe Coach"),
            "role": "coach",
            "school": "",
        },
        ("nieuw@example.org", "Nieuwe Coach"),
    ),
    "api_tokens.index": ("/api-tokens/", {"name": nul("Power BI")}, ("Power BI",)),
    "manage.new": (
        "/trajectories/new",
        {
            "code": nul("NUL-2"),
            "school": "{school}",
            "focus": "pupil",
            "report_type": "GC",
            "disability_type": "9",
            "level": "lager",
            "start_date": "2026-03-01",
        },
        ("NUL-2",),
    ),
    "manage.edit": (
        "/trajectories/{code}/edit",
        {
            "code": nul("NUL-1B"),
            "school": "{school}",
            "focus": "teacher",
            "report_type": "IAC",
            "disability_type": "2",
            "level": "lager",
            "start_date": "2025-09-01",
        },
        ("NUL-1B",),
    ),
    "manage.status": (
        "/trajectories/{code}/status",
        {
            "status": "closed",
            "close_reason": "other",
            "note": nul("Verhuisd naar het buitenland"),
            "changed_on": "2026-03-10",
        },
        ("Verhuisd naar het buitenland",),
    ),
    "evaluation.new_goal": (
        "/trajectories/{code}/goals/new",
        {
            "target": "pupil",
            "description": nul("Leest zelfstandig een opdracht."),
            "success_criterion": nul("Start binnen twee minuten zonder hulp."),
        },
        ("Leest zelfstandig een opdracht.", "Start binnen twee minuten zonder hulp."),
    ),
    "evaluation.new_evaluation": (
        "/trajectories/{code}/evaluations/new",
        {
            "held_on": "2026-03-10",
            "decision": "on_hold",
            "hold_reason": "other",
            "decision_note": nul("Op vraag van de ouders"),
            "reflection": nul("Gaat vooruit."),
            "adjustments": nul("Minder vaak, langere sessies."),
            "goal-{goal}": "partly",
            "evidence-{goal}": nul("Leest twee opdrachten alleen."),
        },
        (
            "Op vraag van de ouders",
            "Gaat vooruit.",
            "Minder vaak, langere sessies.",
            "Leest twee opdrachten alleen.",
        ),
    ),
}
# A new API token is shown on the answer page itself (once), not behind a redirect.
SUCCESS = {"api_tokens.index": 200}
# The forms one fills in before logging in; they store no text of their own, so each has its
# own proof that the NUL-free value was used (see test_public_forms_drop_nul).
PUBLIC_TEXT_POSTS = {"auth.login", "accounts.forgot_password", "accounts.set_password"}
# State-changing routes whose forms have no text field (buttons, choices, dates, numbers), and
# the two with their own NUL tests: the respondent form (tests/test_hostile_input.py) and the
# file import (below).
WITHOUT_TEXT = {
    "accounts.user",
    "accounts.disable_user",
    "accounts.enable_user",
    "accounts.send_link",
    "api_tokens.revoke",
    "auth.logout",
    "campaigns.index",
    "campaigns.detail",
    "campaigns.close",
    "feedback.ask_feedback",
}
OWN_TESTS = {"respond.answer", "imports.upload"}


def test_every_state_changing_route_is_sorted_in(app: Flask):
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods & STATE_CHANGING and not rule.rule.startswith(API_PREFIX)
    }
    sorted_in = set(STAFF_TEXT_POSTS) | PUBLIC_TEXT_POSTS | WITHOUT_TEXT | OWN_TESTS
    assert endpoints == sorted_in


@pytest.fixture
def world(app, make, db) -> dict[str, object]:
    app.test_client_class = FreshGlobalsClient
    centre = make.centre()
    school = make.school(centre)
    admin = make.user(centre, Role.ADMIN)
    coach = make.user(centre, Role.COACH)
    trajectory = make.active_trajectory(school, "NUL-1", coach)
    goal = Goal(
        trajectory=trajectory,
        target=Focus.PUPIL,
        description="Leest een opdracht",
        success_criterion="Zonder hulp",
        created_on=date(2025, 9, 15),
    )
    db.session.add(goal)
    db.session.flush()
    return {
        "centre": centre,
        "admin": admin,
        "school": school.id,
        "code": trajectory.code,
        "goal": goal.id,
    }


def _stored_texts() -> list[str]:
    """Every text in every row of every table, JSON members included."""
    _db.session.expire_all()
    texts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for key, member in value.items():
                walk(key)
                walk(member)
        elif isinstance(value, list | tuple):
            for member in value:
                walk(member)

    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(select(table)):
            walk(tuple(row))
    return texts


def _text_fields(html: str) -> set[str]:
    """The names of the free-text fields (text, e-mail, password, textarea) of a page's forms."""
    names = set(re.findall(r'<textarea[^>]*\bname="([^"]+)"', html))
    for tag in re.findall(r"<input\b[^>]*>", html):
        kind = re.search(r'\btype="([^"]+)"', tag)
        name = re.search(r'\bname="([^"]+)"', tag)
        if name and kind and kind.group(1) in {"text", "email", "password", "search"}:
            names.add(name.group(1))
    return names


def _fill(form: dict[str, str], world: dict[str, object]) -> dict[str, str]:
    return {name.format(**world): value.format(**world) for name, value in form.items()}


@pytest.mark.parametrize("endpoint", sorted(STAFF_TEXT_POSTS))
def test_staff_forms_drop_nul_and_store_the_rest(app, world, smtp, endpoint):
    path_template, form, stored = STAFF_TEXT_POSTS[endpoint]
    path = path_template.format(**world)
    client: FlaskClient = app.test_client()
    login(client, world["admin"].email)
    page = client.get(path).get_data(as_text=True)
    data = _fill(form, world)
    # Every text field on the page gets a NUL, not just the ones this table thought of.
    with_nul = {name for name, value in data.items() if NUL in value}
    assert _text_fields(page) - {"csrf_token"} <= with_nul, endpoint
    data["csrf_token"] = csrf_token(client, path)

    response = client.post(path, data=data)

    assert response.status_code == SUCCESS.get(endpoint, 302), endpoint
    texts = _stored_texts()
    assert not [text for text in texts if NUL in text]
    for text in stored:
        assert text in texts, text


def test_public_forms_drop_nul(app, world, smtp, db):
    admin: StaffUser = world["admin"]
    client: FlaskClient = app.test_client()

    # The forgotten-password form finds the account: its link is mailed.
    token = csrf_token(client, "/password/forgot")
    response = client.post(
        "/password/forgot", data={"email": nul(admin.email), "csrf_token": token}
    )
    assert response.status_code == 302
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["To"] == admin.email

    # The set-password form saves the password without the NUL...
    path = f"/password/{issue_password_token(admin, timedelta(days=7))}"
    db.session.commit()
    data = {"password": nul(NEW_PASSWORD), "confirm": nul(NEW_PASSWORD)}
    response = client.post(path, data=data | {"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")

    # ...and the login form accepts it, with or without the NUL typed.
    response = login(client, nul(admin.email), nul(NEW_PASSWORD))
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    assert not [text for text in _stored_texts() if NUL in text]


def _workbook_with(cell: bytes) -> bytes:
    """A valid export whose first code cell holds ``cell`` as raw XML."""
    book = Workbook()
    header = ["code", "school", "focus", "verslag", "type", "niveau", "startdatum", "coach"]
    book.active.append(header)
    book.active.append(["PLAATSHOUDER", "1", "leerlinggericht", "GC", "9", "lager", "15/09/2025"])
    packed = io.BytesIO()
    book.save(packed)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(packed.getvalue())) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"PLAATSHOUDER" in content
                content = content.replace(b"PLAATSHOUDER", cell)
            target.writestr(item, content)
    return out.getvalue()


# An XLSX cell cannot hold NUL (XML forbids it, raw or as a character reference), and openpyxl
# does not turn a cell's "_x0000_" escape back into one; a file that tries is refused as
# unreadable. (A CSV with a NUL byte is refused in tests/test_import.py.)
@pytest.mark.parametrize("cell", [b"A\x00B", b"A&#0;B", b"A&#x0;B"])
def test_an_xlsx_with_nul_in_a_cell_is_refused_clearly(app, world, cell):
    client: FlaskClient = app.test_client()
    login(client, world["admin"].email)
    before = _stored_texts()
    response = client.post(
        "/trajectories/import",
        data={
            "csrf_token": csrf_token(client, "/trajectories/import"),
            "file": (io.BytesIO(_workbook_with(cell)), "export.xlsx"),
        },
    )
    assert response.status_code == 200
    assert "Dit is geen leesbaar Excelbestand" in response.get_data(as_text=True)
    assert _stored_texts() == before


# Query parameters are not form data: the API checks each one strictly (survey.api.forms), so
# a NUL in one is a 400 that names it, never a lookup that PostgreSQL would refuse.
API_QUERIES = {
    "/api/v1/schools": ("page", "per_page"),
    "/api/v1/results": (
        "school_year",
        "audience",
        "school_id",
        "group_type",
        "measure_type",
        "page",
    ),
    "/api/v1/trajectory-figures": ("school_year", "page"),
}
API_VALUES = {
    "school_year": "2025-2026",
    "audience": "parent",
    "school_id": "1",
    "group_type": "school",
    "measure_type": "item",
    "page": "1",
    "per_page": "10",
}


def test_api_refuses_nul_in_a_query_parameter_or_token(app, world):
    _token, secret = create_token(world["centre"], "Dashboard")
    _db.session.commit()
    client: FlaskClient = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/schools", headers=auth).status_code == 200
    for path, names in API_QUERIES.items():
        for name in names:
            response = client.get(path, query_string={name: nul(API_VALUES[name])}, headers=auth)
            assert response.status_code == 400, (path, name)
            assert response.mimetype == "application/problem+json"
            assert response.get_json()["parameter"] == name
    response = client.get("/api/v1/schools", headers={"Authorization": f"Bearer {nul(secret)}"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
