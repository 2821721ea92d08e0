"""Property tests (Hypothesis) for the three places where outsiders' input is parsed.

* the respondent form: whatever is posted, parsing never raises; a value is accepted only
  when it is one of the scale's options, anything else is an error on its question;
* questionnaire files: ``validate`` raises only ``QuestionnaireError`` on any TOML-like data
  and never accepts a questionnaire without Dutch text;
* the trajectory import: any bytes, and any rows under the right header, give problems by
  line and column (or rows), never an exception, and a dry run writes nothing.

Examples are few and not kept between runs (no example database), so the suite stays fast;
each run tries new ones, and a failure prints the example that reproduces it.
"""

from __future__ import annotations

import copy
import csv
import io
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from flask import Flask, request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from questionnaires import Questionnaire, QuestionnaireError, builtin_paths, load_builtin, validate
from questionnaires.vocabulary import AUDIENCES, LANGUAGES, THEMES
from survey.campaigns.services import campaign_for_trajectory, issue_invitations
from survey.imports.services import (
    MAX_COLUMNS,
    ImportFileError,
    import_trajectories,
    parse_sheet,
    read_sheet,
)
from survey.models import Audience, Role, Trajectory
from survey.privacy.inbox import open_waiting
from survey.privacy.keys import subkey
from survey.privacy.models import ResponseInbox
from survey.privacy.spending import is_spent
from survey.privacy.tokens import read_link
from survey.respond.forms import (
    CONTROL_FIELDS,
    build_page_form,
    collect_answers,
    item_field,
    open_field,
    unknown_fields,
)
from survey.respond.services import Answers, plan_pages
from tests.conftest import TODAY, csrf_in, make_app

FEW = settings(max_examples=40, deadline=None, database=None)
SOME = settings(max_examples=120, deadline=None, database=None)
# For tests on the db/client fixtures: each example runs in its own savepoint (see below).
WITH_FIXTURES = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

BUILTIN = load_builtin()


@pytest.fixture(scope="module")
def plain_app() -> Flask:
    """An app for request contexts (and the Dutch catalogue) in tests without a database."""
    return make_app("sqlite://")


# ------------------------------------------------------------------ the respondent form

# Strings that look like answers but are not options: the sort a parser trips over.
TRICKY_VALUES = (
    "",
    " ",
    "-1",
    "+1",
    "9",
    "00",
    "1.0",
    "1e3",
    "0x1",
    "²",  # str.isdigit(), but int() refuses it
    "٣",  # Arabic-Indic three: a digit to Python
    "\uff13",  # fullwidth three
    " 3",
    "3\x00",
    "\x00",
    "1" * 5000,  # more digits than int() converts
)
HUGE = st.builds(
    lambda char, count: char * count,
    st.sampled_from(["x", "1", "é", "\x00", "<", " ", "\r\n"]),
    st.integers(0, 6000),
)


def _optional_variant() -> Questionnaire:
    """The parents' questionnaire with every other statement optional (no built-in has any)."""
    definition = tomllib.loads(
        next(p for p in builtin_paths() if p.stem == "tevredenheid-ouders").read_text("utf-8")
    )
    for index, item in enumerate(definition["items"]):
        item["required"] = index % 2 == 0
    return validate(definition, "optional-variant")


QUESTIONNAIRES = {**BUILTIN, "optional-variant": _optional_variant()}
# (questionnaire, audience, page number): drawn as names, so a failure reads short.
FORMS = [
    (name, audience, number)
    for name, questionnaire in QUESTIONNAIRES.items()
    for audience in questionnaire.audiences
    for number in range(len(plan_pages(questionnaire, audience)))
]


def _options(questionnaire: Questionnaire, item) -> set[str]:
    return {str(point) for point in range(questionnaire.scales[item.scale].points + 1)}


def _posted_pairs(draw, questionnaire: Questionnaire, page) -> list[tuple[str, str]]:
    names = [item_field(item.id) for item in page.items]
    names += [open_field(question.id) for question in page.open_questions]
    others = [item_field(item.id) for item in questionnaire.items] + sorted(CONTROL_FIELDS)
    key = st.one_of(
        st.sampled_from(names or ["page"]),
        st.sampled_from(others),
        st.text(max_size=12),
    )
    options = sorted({option for item in page.items for option in _options(questionnaire, item)})
    value = st.one_of(
        st.sampled_from(options or ["1"]),
        st.sampled_from(TRICKY_VALUES),
        st.text(max_size=40),
        HUGE,
    )
    return draw(st.lists(st.tuples(key, value), max_size=25))


@SOME
@given(data=st.data())
def test_page_form_parsing_accepts_only_options_and_flags_the_rest(plain_app, data):
    questionnaire_name, audience, number = data.draw(st.sampled_from(FORMS))
    questionnaire = QUESTIONNAIRES[questionnaire_name]
    page = plan_pages(questionnaire, audience)[number]
    pairs = _posted_pairs(data.draw, questionnaire, page)
    # Encoded and parsed by Werkzeug exactly as a browser's submission would be.
    with plain_app.test_request_context("/r/x", method="POST", data=MultiDict(pairs)):
        answers = Answers()
        form = build_page_form(page, questionnaire, audience, "nl", request.form, answers)
        form.validate()
        collect_answers(form, page, questionnaire, answers)
        unknown = unknown_fields(request.form, questionnaire)
        posted = request.form

    for item in page.items:
        name = item_field(item.id)
        sent = posted.get(name)
        errors = form[name].errors
        if sent in _options(questionnaire, item):
            assert not errors, (name, sent)
            assert answers.values[item.id] == int(sent)
        else:
            assert item.id not in answers.values, (name, sent)
            blank = sent is None or not sent.strip()
            if item.required or not blank:
                assert errors, (name, sent)
    assert set(answers.values) <= {item.id for item in page.items}

    for question in page.open_questions:
        name = open_field(question.id)
        sent = posted.get(name)
        text = (sent or "").replace("\x00", "").strip()
        if not text:
            assert question.id not in answers.texts
        else:
            kept = answers.texts[question.id]
            assert kept == text[: question.max_length]  # kept for the re-rendered page ...
            assert "\x00" not in kept
        if sent is not None and sent.strip() and len(sent) > question.max_length:
            assert form[name].errors, name  # ... but refused for submission

    # Every posted name that is no question of this questionnaire (on any page) is reported.
    known = {item_field(item.id) for item in questionnaire.items}
    known |= {open_field(question.id) for question in questionnaire.open_questions}
    assert set(unknown) == set(posted) - known - CONTROL_FIELDS


# Through the real route, with raw bodies: broken UTF-8, stray bytes, no or a real CSRF token.


@pytest.fixture
def respondent(make, today) -> tuple[str, str]:
    """A parent's link to the one-page satisfaction form: its path and token."""
    centre = make.centre()
    trajectory = make.trajectory(make.school(centre), coaches=[make.user(centre)])
    campaign = campaign_for_trajectory(trajectory, Audience.PARENT, TODAY, "tevredenheid-ouders")
    issued = issue_invitations(campaign, Audience.PARENT, 1, TODAY)[0]
    return issued.path, issued.token


@contextmanager
def rolled_back_example(db) -> Iterator[None]:
    """Undo everything one Hypothesis example did, commits by the route included.

    The test's session works in savepoints of the db fixture's connection; committing it first
    puts the fixtures' rows below a savepoint of our own, which is rolled back afterwards.
    """
    db.session.commit()
    savepoint = db.engines[None].begin_nested()
    try:
        yield
    finally:
        db.session.remove()
        savepoint.rollback()


def _raw_form_body(draw, csrf: str) -> bytes:
    """Mostly a complete answer with the real token, then damaged in a few ways at random."""
    parents = BUILTIN["tevredenheid-ouders"]
    names = [item_field(item.id) for item in parents.items]
    pairs = [(name, draw(st.sampled_from(["1", "2", "3", "4", "0"]))) for name in names]
    if draw(st.booleans()):  # one answer that only looks like an option
        pairs[draw(st.integers(0, len(pairs) - 1))] = (
            draw(st.sampled_from(names)),
            draw(st.sampled_from(TRICKY_VALUES)),
        )
    if not draw(st.integers(0, 3)):
        pairs = draw(st.permutations(pairs))[: draw(st.integers(0, len(pairs)))]
    comment = st.sampled_from(["", "Goed zo", "<b>&amp;</b>", "\x00", "a\x00b", "\r\n"])
    pairs.append((open_field("nog-iets"), draw(st.one_of(comment, st.text(), HUGE))))
    if draw(st.integers(0, 3)):
        pairs.append(("csrf_token", csrf))
    if draw(st.booleans()):
        pairs += draw(
            st.lists(
                st.tuples(
                    st.sampled_from([*names, "action", "page", "csrf_token", "x"]),
                    st.one_of(st.sampled_from(["submit", "save", "back", "next"]), st.text()),
                ),
                max_size=4,
            )
        )
    body = bytearray("&".join(f"{quote(k)}={quote(v)}" for k, v in pairs).encode("ascii"))
    if draw(st.booleans()):
        # Raw bytes anywhere: broken UTF-8, NUL, percent signs, separators.
        for position, chunk in draw(
            st.lists(
                st.tuples(
                    st.integers(0, len(body)),
                    st.one_of(
                        st.sampled_from([b"\xff", b"\xc3(", b"%ff", b"%00", b"%", b"&", b"="]),
                        st.binary(max_size=8),
                    ),
                ),
                min_size=1,
                max_size=3,
            )
        ):
            body[position:position] = chunk
    return bytes(body)


@WITH_FIXTURES
@given(data=st.data())
def test_any_posted_body_is_stored_within_the_scale_or_refused(client, db, respondent, data):
    path, link_token = respondent
    if not hasattr(client, "csrf_for_properties"):  # one token per client (its session)
        page = client.get(path).get_data(as_text=True)
        token = csrf_in(page)
        client.csrf_for_properties = token
    body = _raw_form_body(data.draw, client.csrf_for_properties)
    form = "application/x-www-form-urlencoded"
    content_type = data.draw(st.sampled_from([form, form, form, "text/plain", None]))
    with rolled_back_example(db):
        response = client.post(path, data=body, content_type=content_type)
        html = response.get_data(as_text=True)
        spent = is_spent(read_link(link_token))
        key = subkey("inbox")
        waiting = [
            open_waiting(row, key) for row in db.session.execute(select(ResponseInbox.__table__))
        ]
    assert response.status_code in (200, 302, 422), body
    if response.status_code == 302:
        assert response.headers["Location"].endswith(f"{path}/thanks")
        assert spent
        [answer] = waiting
        parents = BUILTIN["tevredenheid-ouders"]
        assert set(answer.values) == {item.id for item in parents.items}
        assert all(0 <= value <= 4 for value in answer.values.values())
        assert all(
            text and "\x00" not in text and len(text) <= 1000 for text in answer.texts.values()
        )
    else:
        assert not spent
        assert waiting == []
    if response.status_code == 422:
        assert "Kijk de gemarkeerde vragen hieronder na." in html


# ------------------------------------------------------------------ questionnaire files

KNOWN_KEYS = (
    "id",
    "version",
    "mode",
    "audiences",
    "languages",
    "title",
    "intro",
    "privacy",
    "scales",
    "items",
    "open_questions",
    "kind",
    "points",
    "positive",
    "labels",
    "dont_know",
    "theme",
    "scale",
    "framework",
    "required",
    "text",
    "audience_text",
    "max_length",
    "agree4",
    *LANGUAGES,
    *AUDIENCES,
)
SCALARS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["agree", "pictorial", "agree4", "open", "anonymous", *THEMES[:3], "nl"]),
    st.integers(-2, 6),
    st.integers(),
    st.booleans(),
    st.floats(),
)
KEYS = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8))
TOML_LIKE = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=25,
)


def _dutch_everywhere(questionnaire: Questionnaire) -> None:
    """What the app relies on in every accepted questionnaire: Dutch text to fall back to."""
    assert "nl" in questionnaire.languages
    assert questionnaire.title.get("nl", "").strip()
    for texts in (questionnaire.intro, questionnaire.privacy):
        assert not texts or texts.get("nl", "").strip()
    for scale in questionnaire.scales.values():
        assert len(scale.labels["nl"]) == scale.points
        assert scale.dont_know["nl"].strip()
    for question in (*questionnaire.items, *questionnaire.open_questions):
        for audience in questionnaire.audiences:
            assert question.text_for(audience, "nl").strip()
    for item in questionnaire.items:
        assert item.scale in questionnaire.scales
    questionnaire.content_hash  # noqa: B018 - registering a version needs it


def _validate_or_refuse(data: object) -> None:
    refused = None
    try:
        questionnaire = validate(data, "hostile.toml")
    except QuestionnaireError as exc:
        refused = exc
    if refused is None:
        _dutch_everywhere(questionnaire)
        return
    assert refused.problems
    assert all(problem.source == "hostile.toml" for problem in refused.problems)
    assert all(problem.message for problem in refused.problems)
    assert str(refused).count("hostile.toml") == len(refused.problems)


@SOME
@given(data=st.one_of(TOML_LIKE, st.dictionaries(st.sampled_from(KNOWN_KEYS[:11]), TOML_LIKE)))
def test_arbitrary_data_is_refused_with_named_problems_only(data):
    _validate_or_refuse(data)


def _definition(name: str) -> dict:
    return tomllib.loads(next(p for p in builtin_paths() if p.stem == name).read_text("utf-8"))


def _paths(node: object, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path (keys and indexes) into a parsed definition."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _parent(data: object, path: tuple) -> object:
    for step in path[:-1]:
        data = data[step]
    return data


DEFINITIONS = {path.stem: _definition(path.stem) for path in builtin_paths()}
PATHS = [(name, path) for name, definition in DEFINITIONS.items() for path in _paths(definition)]


@st.composite
def mutated_definition(draw) -> dict:
    name = draw(st.sampled_from(sorted(DEFINITIONS)))
    data = copy.deepcopy(DEFINITIONS[name])
    paths = [path for owner, path in PATHS if owner == name]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        try:
            parent = _parent(data, path)
            current = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this part
        action = draw(st.sampled_from(["drop", "replace", "retype", "duplicate"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(TOML_LIKE)
        elif action == "retype":
            parent[path[-1]] = draw(
                st.sampled_from(
                    [str(current), [current], {"nl": current}, 0, -1, True, 1.5, "", [], {}]
                )
            )
        elif isinstance(parent, list):
            parent.insert(path[-1], copy.deepcopy(current))
    return data


@SOME
@given(data=mutated_definition())
def test_mutated_builtins_are_refused_or_still_have_dutch_text(data):
    _validate_or_refuse(data)


def test_removing_any_dutch_text_from_a_builtin_is_refused():
    """Exhaustive rather than sampled: every ``nl`` in every built-in, one at a time."""
    removed = 0
    for name, path in PATHS:
        if path[-1] != "nl":
            continue
        data = copy.deepcopy(DEFINITIONS[name])
        del _parent(data, path)[path[-1]]
        with pytest.raises(QuestionnaireError) as refused:
            validate(data, f"{name}.toml")
        assert any("Dutch" in problem.message for problem in refused.value.problems), path
        removed += 1
    assert removed > 100  # titles, labels, statements, open questions of five files


# ------------------------------------------------------------------ the trajectory import

HEADER = [
    "Dossiernummer",
    "Instellingsnummer",
    "Gerichtheid",
    "Type verslag",
    "Type beperking",
    "Onderwijsniveau",
    "Begindatum",
    "E-mail leerondersteuner",
    "Opmerking",
]
# Per column: values the centre below accepts, and values it must refuse with a reason.
GOOD_CELLS = [
    ["D-001", "D-002", "D-003", "A.b_c", "x9"],
    ["123456", "012345", "12345", "VBS De Linde"],
    ["leerlinggericht", "Leerkrachtgericht", "leerkracht"],
    ["GC", "iac", "OV4", "verslag gc"],
    ["type 9", "2", "BA", "9 (autisme)"],
    ["lager", "kleuter", "secundair", "hbo5"],
    ["15/09/2025", "2025-10-01", "03-11-2025", "2025-10-01 00:00", "2025-10-01T00:00:00"],
    ["an@lsc.be", "an@lsc.be; Bert@LSC.be"],
    ["", "opmerking"],
]
BAD_CELLS = [
    ["d-002", "", " ", "Jan Peeters", "x" * 41, "new", "=1+1"],
    ["999999", "", "1e5", "-1", "VBS Onbekend"],
    ["team", "klas", ""],
    ["", "nvt", "XYZ"],
    ["type 5", "", "99"],
    ["basisonderwijs", "", "universiteit"],
    ["31/02/2026", "15/09/1925", "45000", "1/1/99999", "", "morgen"],
    ["weg@lsc.be", "vreemd@elders.be", "", ";,", "niemand"],
    ["\x00"],
]


def _cell(column: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(GOOD_CELLS[column]),
        st.sampled_from(BAD_CELLS[column]),
        st.text(max_size=15),
        HUGE.map(lambda text: text[:300]),
    )


GOOD_ROW = st.tuples(*(st.sampled_from(cells) for cells in GOOD_CELLS)).map(list)
ANY_ROW = st.tuples(*(_cell(column) for column in range(len(HEADER))), st.integers(0, 9)).map(
    lambda cells: list(cells[:-1])[: cells[-1] or None]  # sometimes cut short
)
ROWS = st.lists(st.one_of(GOOD_ROW, ANY_ROW), max_size=6)


def _csv(rows: list[list[str]], delimiter: str, bom: bool) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([HEADER, *rows])
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


@pytest.fixture
def centre(make):
    centre = make.centre(code="lsc-prop")
    school = make.school(centre, name="VBS De Linde", number="123456")
    make.school(centre, number="012345")
    make.user(centre, Role.COACH, email="an@lsc.be")
    make.user(centre, Role.COACH, email="bert@lsc.be")
    make.user(centre, Role.COACH, email="weg@lsc.be").is_enabled = False
    make.user(make.centre(), Role.COACH, email="vreemd@elders.be")
    make.trajectory(school, code="D-001")
    return centre


def _trajectories(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Trajectory))


def _check_sheet_outcome(db, centre, filename: str, data: bytes, dry_run: bool) -> None:
    """The property shared by arbitrary bytes and arbitrary rows."""
    before = _trajectories(db)
    try:
        sheet = read_sheet(filename, data)
    except ImportFileError as exc:
        sheet, file_problem = None, exc.message
    outcome = import_trajectories(centre, filename, data, dry_run=dry_run, on=TODAY)
    assert outcome.problems or outcome.created or outcome.updated or outcome.unchanged
    if sheet is None:
        assert [(p.line, p.column, p.message) for p in outcome.problems] == [
            (None, None, file_problem)
        ]
    else:
        result = parse_sheet(sheet, centre)
        assert outcome.problems == result.problems
        lines = {line for line, _values in sheet.rows}
        for problem in result.problems:
            if problem.line is None:
                assert problem.column is None
                assert not lines
            elif problem.line == sheet.header_line:
                assert problem.column  # a missing column, named
            else:
                assert problem.line in lines
                assert problem.column in sheet.headers
        good = {row.line for row in result.rows}
        bad = {problem.line for problem in result.problems}
        assert good.isdisjoint(bad)
        if not any(line == sheet.header_line or line is None for line in bad):
            assert good | bad == lines  # every row is either imported or explained
        counted = outcome.created + outcome.updated + outcome.unchanged
        assert sorted(counted) == sorted(row.code for row in result.rows)
    if dry_run or outcome.problems:
        assert not outcome.written
        assert not db.session.new
        assert not db.session.dirty
        assert _trajectories(db) == before
    else:
        assert outcome.written
        assert _trajectories(db) == before + len(outcome.created)


@WITH_FIXTURES
@given(
    data=st.one_of(
        st.binary(max_size=400),
        # A real-looking export cut short, possibly inside a quoted cell or a character.
        ROWS.map(lambda rows: _csv(rows, ";", True)[: len(rows) * 40]),
    ),
    filename=st.sampled_from(["export.csv", "export.xlsx", "export.txt", "export", "x.xls"]),
    dry_run=st.booleans(),
)
def test_any_bytes_give_named_problems_and_a_dry_run_writes_nothing(
    db, centre, data, filename, dry_run
):
    savepoint = db.session.begin_nested()
    try:
        _check_sheet_outcome(db, centre, filename, data, dry_run)
    finally:
        savepoint.rollback()


@WITH_FIXTURES
@given(
    rows=ROWS,
    delimiter=st.sampled_from([";", ",", "\t"]),
    bom=st.booleans(),
    dry_run=st.booleans(),
)
def test_rows_under_the_right_header_are_imported_or_explained_by_line(
    db, centre, rows, delimiter, bom, dry_run
):
    savepoint = db.session.begin_nested()
    try:
        _check_sheet_outcome(db, centre, "export.csv", _csv(rows, delimiter, bom), dry_run)
    finally:
        savepoint.rollback()


@FEW
@given(data=st.binary(max_size=2000), filename=st.sampled_from(["a.csv", "a.xlsx", "a.txt"]))
def test_reading_arbitrary_bytes_never_raises_anything_else(plain_app, data, filename):
    refused = None
    with plain_app.test_request_context():
        try:
            sheet = read_sheet(filename, data)
        except ImportFileError as exc:
            refused = exc
    if refused is not None:
        assert refused.message
        return
    lines = [line for line, _values in sheet.rows]
    assert lines == sorted(lines)
    assert all(line > sheet.header_line for line in lines)
    assert all(len(values) <= MAX_COLUMNS for _line, values in sheet.rows)
    assert len(sheet.headers) <= MAX_COLUMNS
