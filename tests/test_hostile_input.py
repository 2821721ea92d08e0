"""Hostile input through the real routes: oversized bodies, broken UTF-8, NUL bytes, huge
answers, markup and formulas in comments, and a sweep of every GET route with odd queries.

None of it may give a 500; what a respondent typed is kept or refused with a clear message;
what staff read back is escaped (HTML), neutralised (spreadsheets) or literal text (PDF).
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

import pytest
from flask import Flask
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from survey.api.services import create_token
from survey.campaigns.services import campaign_for_trajectory, issue_invitations
from survey.models import AnonymousComment, Audience, Role
from survey.privacy.inbox import Waiting, open_waiting
from survey.privacy.keys import subkey
from survey.privacy.models import ResponseInbox
from survey.privacy.publication import publish
from survey.privacy.spending import is_spent
from survey.privacy.tokens import read_link
from tests.conftest import TODAY, checked_radios, csrf_in, csrf_token, login, radio_names

pytestmark = pytest.mark.usefixtures("today")

MAX_CONTENT_LENGTH = 2 * 1024 * 1024
FORM = "application/x-www-form-urlencoded"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","klik")'


@pytest.fixture
def trajectory(make):
    centre = make.centre()
    coach = make.user(centre)
    return make.trajectory(make.school(centre), coaches=[coach])


def _link(trajectory, role="parent", questionnaire="tevredenheid-ouders"):
    campaign = campaign_for_trajectory(trajectory, Audience(role), TODAY, questionnaire)
    return issue_invitations(campaign, Audience(role), 1, TODAY)[0]


def _spent(db, issued) -> bool:
    """Whether the link was spent: its nullifier, recomputed from the token, is stored."""
    return is_spent(read_link(issued.token))


def _inbox(db) -> list[Waiting]:
    """The answers waiting in the inbox, opened under the inbox key."""
    key = subkey("inbox")
    return [open_waiting(row, key) for row in db.session.execute(select(ResponseInbox.__table__))]


# --------------------------------------------------------------------------- oversized bodies


TOO_LARGE_FOR_RESPONDENTS = {
    "nl": (
        "We konden je antwoorden niet ontvangen",
        "Wat je verstuurde, is veel te lang. Ga terug, maak je langste antwoord korter en "
        "verstuur je antwoorden opnieuw.",
    ),
    "tr": (
        "Yanıtlarınız alınamadı",
        "Gönderdiğiniz metin çok uzun. Geri dönün, en uzun yanıtınızı kısaltın ve "
        "yanıtlarınızı yeniden gönderin.",
    ),
}


@pytest.mark.parametrize("language", sorted(TOO_LARGE_FOR_RESPONDENTS))
def test_an_oversized_respondent_form_is_a_413_page(client, db, trajectory, language):
    issued = _link(trajectory)
    page = client.get(f"{issued.path}?lang={language}").get_data(as_text=True)
    body = f"csrf_token={csrf_in(page)}&open-nog-iets=".encode() + b"x" * MAX_CONTENT_LENGTH
    response = client.post(issued.path, data=body, content_type=FORM)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    # The respondent's own page, in the language they chose, not Werkzeug's English one.
    assert f'<html lang="{language}"' in html
    for text in TOO_LARGE_FOR_RESPONDENTS[language]:
        assert text in html
    assert "Request Entity Too Large" not in html
    assert response.headers["Cache-Control"] == "no-store"  # still the respondent's headers
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert not _spent(db, issued)
    assert _inbox(db) == []


def test_an_oversized_upload_is_a_413_page(client, db, make):
    from survey.imports.routes import UPLOAD_LIMIT

    centre = make.centre()
    login(client, make.user(centre, Role.COORDINATOR).email)
    token = csrf_token(client, "/trajectories/import")
    boundary = "hostileboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode() + b"x" * UPLOAD_LIMIT
    response = client.post(
        "/trajectories/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "Het bestand is groter dan 5 MB." in response.get_data(as_text=True)


TOO_LARGE_FOR_STAFF = (
    "Te veel in één keer verstuurd",
    "Wat je verstuurde, is groter dan Klankbord aanvaardt. Ga terug, verstuur minder in één keer "
    "(een kortere tekst of een kleiner bestand) en probeer het opnieuw.",
)


def test_an_oversized_login_post_is_a_413_page(client, db):
    response = client.post("/login", data=b"email=" + b"a" * MAX_CONTENT_LENGTH, content_type=FORM)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert '<html lang="nl">' in html
    for text in TOO_LARGE_FOR_STAFF:
        assert text in html
    assert "Request Entity Too Large" not in html


def test_an_oversized_staff_form_is_a_413_page(client, db, make):
    """Logged in, on a form field over Flask's per-field limit (well under the body limit)."""
    centre = make.centre()
    coordinator = make.user(centre, Role.COORDINATOR)
    trajectory = make.trajectory(make.school(centre), coaches=[coordinator])
    login(client, coordinator.email)
    path = f"/trajectories/{trajectory.code}/goals/new"
    token = csrf_token(client, path)
    # Flask's MAX_FORM_MEMORY_SIZE (500 kB) applies to the fields of a multipart form.
    boundary = "hostileboundary"
    fields = {"csrf_token": token, "target": "pupil", "description": "x" * 600_000}
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ).encode()
        + f"--{boundary}--\r\n".encode()
    )
    response = client.post(
        path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    for text in TOO_LARGE_FOR_STAFF:
        assert text in html
    assert "Afmelden" in html  # the staff page with its menu, still logged in


def test_an_oversized_body_under_the_api_is_a_problem_document(tmp_path):
    """Every API route only reads (GET), so none takes a body today; a route under /api/ that
    did, or one added later, must still answer JSON. The app's handler is checked with such a
    route on a throwaway app."""
    from flask import request

    from survey.extensions import csrf
    from tests.conftest import make_app

    def echo() -> dict[str, int]:
        return {"size": len(request.get_data())}

    app = make_app(f"sqlite:///{tmp_path}/klankbord.sqlite")
    # As the API blueprint is: a bearer token, not a cookie, would authenticate it.
    csrf.exempt(echo)
    app.add_url_rule("/api/v1/echo", view_func=echo, methods=["POST"])
    client = app.test_client()
    assert client.post("/api/v1/echo", data=b"x" * 10).get_json() == {"size": 10}
    response = client.post("/api/v1/echo", data=b"x" * (MAX_CONTENT_LENGTH + 1))
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 413
    assert problem["detail"] == "De aanvraag is groter dan deze API aanvaardt."


# --------------------------------------------------------------------------- broken encodings


def _urlencoded(pairs: list[tuple[str, str]], raw_tail: bytes = b"") -> bytes:
    body = "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs).encode("ascii")
    return body + raw_tail


def test_invalid_utf8_in_a_comment_keeps_the_answer(client, db, trajectory):
    issued = _link(trajectory)
    page = client.get(f"{issued.path}?page=%ff&lang=%ff%fe").get_data(as_text=True)
    assert 'lang="nl"' in page
    names = radio_names(page)
    pairs = [(name, "3") for name in names] + [("csrf_token", csrf_in(page)), ("page", "0")]
    # Percent-encoded bytes that are no UTF-8: kept as the characters that were sent.
    body = _urlencoded(pairs, b"&open-nog-iets=Goed%FF%FEzo")
    response = client.post(issued.path, data=body, content_type=FORM)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/thanks")
    [waiting] = _inbox(db)
    assert waiting.values == dict.fromkeys((n.removeprefix("item-") for n in names), 3)
    assert waiting.texts == {"nog-iets": "Goed%FF%FEzo"}


def test_raw_invalid_utf8_in_a_multipart_form_keeps_the_answers(client, db, trajectory):
    issued = _link(trajectory)
    page = client.get(issued.path).get_data(as_text=True)
    names = radio_names(page)
    fields = dict.fromkeys(names, "2") | {"csrf_token": csrf_in(page), "page": "0"}
    boundary = "hostileboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="open-nog-iets"\r\n\r\n'.encode()
        + b"Goed\xff\xc3( zo\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    response = client.post(
        issued.path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302
    [waiting] = _inbox(db)
    assert set(waiting.values.values()) == {2}
    assert waiting.texts["nog-iets"] == "Goed\ufffd\ufffd( zo"  # undecodable bytes replaced


def test_raw_invalid_utf8_in_a_urlencoded_form_is_a_clear_error(client, db, trajectory):
    """Werkzeug drops an urlencoded body that is not UTF-8 as a whole (no browser sends one):
    the respondent is asked to send again, nothing is stored, no 500."""
    issued = _link(trajectory)
    page = client.get(issued.path).get_data(as_text=True)
    pairs = [(name, "3") for name in radio_names(page)] + [("csrf_token", csrf_in(page))]
    body = _urlencoded(pairs, b"&open-nog-iets=Goed\xff\xc3(")
    response = client.post(issued.path, data=body, content_type=FORM)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Kijk de gemarkeerde vragen hieronder na." in html
    assert "verstuur je antwoorden nog een keer" in html
    assert not _spent(db, issued)
    assert _inbox(db) == []


def test_invalid_utf8_as_an_answer_is_refused_with_the_others_kept(client, db, trajectory):
    issued = _link(trajectory)
    page = client.get(issued.path).get_data(as_text=True)
    names = radio_names(page)
    pairs = [(name, "2") for name in names[1:]] + [("csrf_token", csrf_in(page)), ("page", "0")]
    body = _urlencoded(pairs, f"&{names[0]}=%ff%fe&open-nog-iets=%C3%A9%ff".encode())
    response = client.post(issued.path, data=body, content_type=FORM)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dit antwoord is geen van de mogelijkheden. Kies opnieuw." in html
    assert checked_radios(html) == dict.fromkeys(names[1:], "2")
    assert not _spent(db, issued)
    assert _inbox(db) == []


@pytest.mark.parametrize(
    "value",
    [
        "²",  # str.isdigit() says yes, int() says no
        "٣",  # an Arabic-Indic three: isdigit() and int() both say yes
        "1" * 5000,  # more digits than int() converts
        "\x00",
        " 3",
    ],
)
def test_odd_digits_are_refused_not_crashed_on(client, db, trajectory, value):
    issued = _link(trajectory)
    page = client.get(issued.path).get_data(as_text=True)
    names = radio_names(page)
    data = dict.fromkeys(names, "4") | {names[0]: value, "csrf_token": csrf_in(page), "page": "0"}
    for action in ("submit", "save"):
        response = client.post(issued.path, data=data | {"action": action})
        assert response.status_code == 422, action
        assert checked_radios(response.get_data(as_text=True)) == dict.fromkeys(names[1:], "4")
    assert not _spent(db, issued)


def test_nul_bytes_in_a_comment_are_dropped_before_storage(app, client, db, trajectory):
    """PostgreSQL text cannot hold NUL: a comment with one must not block publication."""
    threshold = app.config["ANONYMITY_THRESHOLD"]
    links = [_link(trajectory) for _ in range(threshold)]
    for number, issued in enumerate(links):
        page = client.get(issued.path).get_data(as_text=True)
        data = dict.fromkeys(radio_names(page), "3")
        data |= {"csrf_token": csrf_in(page), "page": "0", "open-nog-iets": f"Goed\x00 {number}"}
        response = client.post(issued.path, data=data)
        assert response.status_code == 302, number
    assert sorted(waiting.texts["nog-iets"] for waiting in _inbox(db)) == [
        f"Goed {number}" for number in range(len(links))
    ]
    # Published by the daily run (never in a respondent's request), in one batch of k.
    assert publish(TODAY, threshold).published == threshold
    assert _inbox(db) == []
    texts = sorted(db.session.scalars(select(AnonymousComment.text)))
    assert texts == [f"Goed {number}" for number in range(len(links))]


def test_invalid_utf8_and_nul_at_the_login_are_no_500(client, db, make):
    user = make.user(make.centre(), Role.COORDINATOR)
    token = b"&csrf_token=" + csrf_token(client, "/login?next=%ff%00").encode()
    wrong = "Het e-mailadres of het wachtwoord klopt niet."
    no_password = "Vul je wachtwoord in."
    expired = "Formulier verlopen"
    for body, status, message in (
        (b"email=%ff%fe%40x.be&password=%ff" + token, 200, wrong),
        # NUL is dropped from every form value (survey.web.NulFreeFormRequest): what is left
        # is checked as usual.
        (
            b"email=" + quote(user.email + "\x00").encode() + b"&password=%00" + token,
            200,
            no_password,
        ),
        (b"email=a%00b%40x.be&password=x" + token, 200, wrong),
        # Bare bytes that are no UTF-8: Werkzeug drops the whole body, token included.
        (b"email=\xff\xfe@x.be&password=\xc3(" + token, 400, expired),
        (b"csrf_token=%ff%00", 400, expired),
    ):
        response = client.post("/login?next=%ff", data=body, content_type=FORM)
        assert (response.status_code, message) == (status, message), body
        assert message in response.get_data(as_text=True), body
    assert client.get("/home").status_code == 302  # nobody got logged in
    for path in ("/password/forgot", "/password/%ff%00", "/r/%ff%00", "/r/%00/thanks"):
        assert client.get(path).status_code in (200, 404), path


def test_invalid_utf8_in_the_report_query(client, db, make):
    centre = make.centre()
    login(client, make.user(centre, Role.COORDINATOR).email)
    for query in ("school_year=%ff", "school_year=%00", "audience=%ff&school=%ff", "start=%ff"):
        response = client.get(f"/reports/?{query}")
        assert response.status_code == 200, query
        assert "Rapport leersteunraad" in response.get_data(as_text=True)
        assert client.get(f"/reports/report.csv?{query}").status_code == 422, query


# --------------------------------------------------------------------------- huge answers


def test_a_comment_beyond_max_length_is_refused_in_dutch_and_nothing_stored(client, db, trajectory):
    issued = _link(trajectory)
    page = client.get(issued.path).get_data(as_text=True)
    names = radio_names(page)
    data = dict.fromkeys(names, "1") | {"csrf_token": csrf_in(page), "page": "0"}
    data["open-nog-iets"] = "Veel te lang. " * 200  # 2,800 characters; the question allows 1,000
    response = client.post(issued.path, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Gebruik hoogstens 1000 tekens." in html
    assert checked_radios(html) == dict.fromkeys(names, "1")
    assert "Veel te lang." in html
    assert not _spent(db, issued)
    assert _inbox(db) == []


# --------------------------------------------------------------------------- markup in comments

HOSTILE_COMMENTS = (SCRIPT, IMG, FORMULA)


@pytest.fixture
def hostile_report(app, client, db, make):
    """Ten parents of one school answered through the form; three comments are hostile, and
    so is the school's name (typed by staff)."""
    centre = make.centre(name="LSC Vijandig")
    school = make.school(centre, name=f"{FORMULA} {SCRIPT}")
    trajectory = make.trajectory(school)
    assert app.config["COMMENT_THRESHOLD"] == 10
    for number in range(10):
        issued = _link(trajectory)
        page = client.get(issued.path).get_data(as_text=True)
        data = dict.fromkeys(radio_names(page), str(1 + number % 4))
        comment = HOSTILE_COMMENTS[number] if number < len(HOSTILE_COMMENTS) else "prima"
        data |= {"csrf_token": csrf_in(page), "page": "0", "open-nog-iets": comment}
        assert client.post(issued.path, data=data).status_code == 302
    # The daily run publishes them: one group of ten, the same school, year and audience.
    assert publish(TODAY, app.config["ANONYMITY_THRESHOLD"]).published == 10
    published = db.session.scalars(select(AnonymousComment.text)).all()
    assert set(HOSTILE_COMMENTS) <= set(published)  # stored as typed, escaped on the way out
    client.get("/")  # a fresh client state for the staff login
    login(client, make.user(centre, Role.COORDINATOR).email)
    return client


def test_markup_in_comments_is_escaped_on_the_report_page(hostile_report):
    for path in ("/reports/?school_year=2025-2026", "/reports/report.html?school_year=2025-2026"):
        response = hostile_report.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, path
        assert SCRIPT not in html, path
        assert "<img src=x" not in html, path
        assert "onerror=alert(1)>" not in html, path
        assert "=HYPERLINK(" in html, path  # harmless on a web page: shown as typed


def test_formulas_are_neutralised_in_the_xlsx_and_csv(hostile_report):
    xlsx = hostile_report.get("/reports/report.xlsx?school_year=2025-2026")
    assert xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(xlsx.data))
    comments = [row[-1] for row in workbook["comments"].iter_rows(min_row=2, values_only=True)]
    assert f"'{FORMULA}" in comments
    assert SCRIPT in comments  # plain text in a spreadsheet cell
    cells = [
        value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    assert f"'{FORMULA} {SCRIPT}" in cells  # the school's name
    assert not [value for value in cells if value.startswith(("=", "+", "@"))]

    response = hostile_report.get("/reports/report.csv?school_year=2025-2026")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    names = {row[rows[0].index("group_name")] for row in rows[1:]}
    assert f"'{FORMULA} {SCRIPT}" in names
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "@"))]


def test_markup_in_comments_is_literal_text_in_the_pdf(hostile_report, monkeypatch):
    # Without the charts (images, three quarters of the printing time): the text is the point.
    monkeypatch.setattr("survey.reports.render.report_charts", lambda report, **options: {})
    response = hostile_report.get("/reports/report.pdf?school_year=2025-2026")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", "", text)
    for comment in HOSTILE_COMMENTS:
        # Printed as characters: markup a browser engine had interpreted would be gone.
        assert re.sub(r"\s+", "", comment) in flat, comment


def test_markup_in_a_feedbackmatrix_comment_is_escaped_for_the_coach(client, db, make):
    centre = make.centre()
    coach = make.user(centre)
    trajectory = make.trajectory(make.school(centre), coaches=[coach])
    issued = _link(trajectory, "parent", "feedbackmatrix")
    for number in range(2):  # two pages; the open questions are on the last
        page = client.get(f"{issued.path}?page={number}").get_data(as_text=True)
        data = dict.fromkeys(radio_names(page), "3") | {"csrf_token": csrf_in(page)}
        data |= {"page": str(number), "action": "next" if number == 0 else "submit"}
        data |= dict.fromkeys(re.findall(r'<textarea[^>]*name="(open-[^"]+)"', page), IMG + SCRIPT)
        assert client.post(issued.path, data=data).status_code == 302
    login(client, coach.email)
    html = client.get(f"/trajectories/{trajectory.code}/matrix").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT not in html
    assert "<img src=x" not in html


# --------------------------------------------------------------------------- the sweep

HOSTILE_QUERIES = (
    "page=-1",
    "page=99999999999999999999",
    "school_year=../../etc",
    "%00=x",
    "q=<script>&round=99999999999999999999&lang=%ff&next=%ff",
    "trajectory=a%00b&email=%00%ff&school=%00",  # NUL reaches filters (PostgreSQL refuses it)
)


@pytest.fixture
def world(app: Flask, make, db):
    centre = make.centre()
    school = make.school(centre)
    coordinator = make.user(centre, Role.COORDINATOR)
    coach = make.user(centre, Role.COACH)
    trajectory = make.active_trajectory(school, "SWEEP-1", coach)
    evaluation = make.evaluation(trajectory)
    campaign = make.school_campaign(school)
    api_token, _secret = create_token(centre, "Dashboard")
    issued = _link(trajectory, "parent", "feedbackmatrix")
    # Committed (into the test's outer transaction, still rolled back at the end), so that
    # rolling back one failed request does not take the world with it.
    db.session.commit()
    return coordinator, {
        "code": trajectory.code,
        "evaluation_id": evaluation.id,
        "campaign_id": campaign.id,
        "user_id": coach.id,
        "token_id": api_token.id,
        "token": issued.path.rsplit("/", 1)[1],
        "filename": "report.css",
    }


def _get_paths(app: Flask, values: dict) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        if rule.endpoint == "reports.export":
            paths += [f"/reports/report.{fmt}" for fmt in ("pdf", "xlsx", "csv", "html")]
            continue
        paths.append(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m[1]]), rule.rule))
    return paths


def test_no_get_route_gives_a_500_on_hostile_queries(app, client, db, world):
    coordinator, values = world
    login(client, coordinator.email)
    paths = _get_paths(app, values)
    assert "/trajectories/SWEEP-1/matrix" in paths
    assert len(paths) >= 25
    failures = []
    for path in paths:
        for query in HOSTILE_QUERIES:
            try:  # TESTING propagates a view's exception instead of answering 500
                with client.get(f"{path}?{query}") as response:  # closes a static file
                    status = response.status_code
            except Exception as exc:
                db.session.rollback()
                status = f"{type(exc).__name__}: {exc}"[:200]
            if not isinstance(status, int) or status >= 500:
                failures.append((path, query, status))
    assert failures == []


@pytest.mark.parametrize("value", ["a%00b", "%ff%fe", "..%2F..%2Fetc", "%3Cscript%3E", "9" * 30])
def test_no_get_route_gives_a_500_on_hostile_path_values(app, client, db, world, value):
    coordinator, values = world
    login(client, coordinator.email)
    hostile = {key: value if isinstance(known, str) else known for key, known in values.items()}
    failures = []
    for path in sorted(set(_get_paths(app, hostile)) - set(_get_paths(app, values))):
        try:
            with client.get(path) as response:
                status = response.status_code
        except Exception as exc:
            db.session.rollback()
            status = f"{type(exc).__name__}: {exc}"[:200]
        if not isinstance(status, int) or status >= 500:
            failures.append((path, status))
    assert failures == []
