"""The council report: figures, suppression on every output, comments, refusals and viewers.

The differencing attack: an outsider holding any one output subtracts every visible school
(or coach) from the centre and looks at what is left. What is left must be nothing, or a group
of at least k respondents. The same attack must succeed on a report built without
complementary suppression, or the test would prove nothing.
"""

from __future__ import annotations

import csv
import io
import random
import re
import types
from collections import defaultdict
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from survey.models import (
    AnonymousAnswer,
    AnonymousComment,
    AnonymousResponse,
    Audience,
    CloseReason,
    HoldReason,
    ReportType,
    Role,
    TrajectoryStatus,
)
from survey.questionnaire_versions.services import current_version
from survey.reports import services as report_services
from survey.reports.exports import COLUMNS, to_csv, to_xlsx
from survey.reports.render import render_report, report_pdf, report_stylesheet
from survey.reports.services import build_report, period_for, restrict_to_school
from survey.reports.suppression import hidden_cells
from tests.conftest import login

YEAR = "2025-2026"
PARENT_ITEMS = [
    "communicatie-uitleg",
    "betrokken-start",
    "betrokken-doelen",
    "betrokken-evaluatie",
    "betrokken-bijsturing",
    "gehoord",
    "effect-helpt",
    "effect-meedoen",
    "vraag-of-klacht",
    "algemeen-tevreden",
]
TEACHER_ITEMS = [
    "leervraag-helder",
    "leervraag-vertrekpunt",
    "doelen-voor-mij",
    "sterktes",
    "groei-aanpak",
    "groei-zelfstandig",
    "inbedding-klaspraktijk",
    "inbedding-haalbaar",
    "samenwerking-goed",
    "algemeen-tevreden",
]


# ------------------------------------------------------------------ the suppression rule


def test_a_single_small_group_takes_the_smallest_visible_one_with_it():
    counts = {"a": 12, "b": 9, "c": 3, "d": 7}
    assert hidden_cells(counts, 5) == {"c", "d"}


def test_small_groups_that_together_reach_k_protect_each_other():
    assert hidden_cells({"a": 12, "b": 3, "c": 2}, 5) == {"b", "c"}


def test_two_small_groups_below_k_together_need_a_third():
    assert hidden_cells({"a": 12, "b": 9, "c": 2, "d": 1}, 5) == {"b", "c", "d"}


def test_unpublished_answers_count_towards_the_remainder():
    # Two answers without a school: the centre minus every school would reveal them.
    assert hidden_cells({"a": 12, "b": 9, None: 2}, 5, unpublished=[None]) == {"b"}
    assert hidden_cells({"a": 12, "b": 9, None: 6}, 5, unpublished=[None]) == set()


def test_empty_groups_are_hidden_but_need_no_protection():
    assert hidden_cells({"a": 12, "b": 0}, 5) == {"b"}


# --------------------------------------------------------------------------- test data


def _respond(
    db, centre, audience, school, items, version, *, coach=None, year=YEAR, rng, comment=None
):
    response = AnonymousResponse(
        questionnaire_version_id=version.id,
        centre_id=centre.id,
        school_id=school.id if school else None,
        school_year=year,
        audience=audience,
        coach_id=coach.id if coach else None,
        published_on=date(int(year[:4]) + 1, 3, 1),
    )
    response.answers = [
        AnonymousAnswer(item_id=i, value=rng.choice([0, 1, 2, 3, 3, 4, 4])) for i in items
    ]
    if comment:
        response.comments = [AnonymousComment(question_id="nog-iets", text=comment)]
    db.session.add(response)


@pytest.fixture
def centre_data(db, make, today):
    """Four schools (12, 9, 3 and 7 parents, 2 without a school) and three coaches."""
    rng = random.Random(7)
    centre = make.centre(name="LSC Testland")
    schools = {
        name: make.school(centre, name=name)
        for name in ("School Groot", "School Midden", "School Klein", "School Zeven")
    }
    coaches = {name: make.user(centre, Role.COACH) for name in ("x", "y", "z")}
    parents = current_version("tevredenheid-ouders")
    teachers = current_version("tevredenheid-leraren")
    sizes = {"School Groot": 12, "School Midden": 9, "School Klein": 3, "School Zeven": 7}
    for name, size in sizes.items():
        for i in range(size):
            comment = None
            if name == "School Groot" and i == 0:
                comment = "Juf Sarah is top, mail sarah.peeters@telenet.be <script>x</script>"
            if name == "School Groot" and i == 1:
                comment = '=HYPERLINK("http://evil.example","klik")'
            if name == "School Klein":
                comment = f"Geheim van de kleine school {i}"
            _respond(
                db,
                centre,
                Audience.PARENT,
                schools[name],
                PARENT_ITEMS,
                parents,
                rng=rng,
                comment=comment,
            )
    for _ in range(2):
        _respond(db, centre, Audience.PARENT, None, PARENT_ITEMS, parents, rng=rng)
    for _ in range(20):  # last year, for the comparison
        _respond(
            db,
            centre,
            Audience.PARENT,
            schools["School Groot"],
            PARENT_ITEMS,
            parents,
            rng=rng,
            year="2024-2025",
        )
    for coach_name, size in (("x", 10), ("y", 2), ("z", 8)):
        for i in range(size):
            school = schools["School Groot"] if i % 2 else schools["School Midden"]
            _respond(
                db,
                centre,
                Audience.TEACHER,
                school,
                TEACHER_ITEMS,
                teachers,
                coach=coaches[coach_name],
                rng=rng,
            )
    db.session.flush()
    return centre, schools, coaches


def _report(centre):
    return build_report(centre, period_for(YEAR))


# -------------------------------------------------------------- readers, one per format


def _rows_published(rows):
    """{(audience, measure, group name): n} and respondent counts from tidy rows."""
    published = {}
    for row in rows:
        if row["suppressed"] in (True, "true") or row["value"] in (None, ""):
            continue
        if row["statistic"] == "respondents":
            published[(row["audience"], "respondents", row["group_name"])] = int(
                float(row["value"])
            )
        elif row["statistic"] == "top2_share" and row["school_year"] == YEAR:
            published[(row["audience"], row["measure_id"], row["group_name"])] = int(
                float(row["n"])
            )
    return published


def _read_csv(report):
    text = to_csv(report).decode("utf-8-sig")
    return _rows_published(csv.DictReader(io.StringIO(text)))


def _read_xlsx(report):
    sheet = load_workbook(io.BytesIO(to_xlsx(report)))["data"]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    assert tuple(header) == COLUMNS
    return _rows_published(dict(zip(header, row, strict=True)) for row in rows)


_CONTINUATION = re.compile(
    r"^([\d\s,%–…+=n-]+|Onzeker|Sterkte|Groeikans|Uitdaging|Te weinig antwoorden)$"
)


def _read_text(text, report):
    """Respondents and overall-item n per group row, from the text of the HTML page or PDF.

    A row starts with a group's name; its cells follow on the same line or on the next lines
    (PDF text breaks inside cells) as long as those hold only figures.
    """
    published = {}
    names = sorted((g.name for g in report.groups.values()), key=len, reverse=True)
    for section in re.split(r"Tevredenheid: ", text)[1:]:
        audience = "parent" if section.startswith("Ouder") else "teacher"
        rows, current = [], None
        for line in (part.strip() for part in section.splitlines()):
            if not line:
                continue
            name = next((n for n in names if line == n or line.startswith(n + " ")), None)
            if name is not None:
                current = [name, line[len(name) :]]
                rows.append(current)
            elif current is not None and _CONTINUATION.match(line):
                current[1] += " " + line
            else:
                current = None
        for name, rest in rows:
            count = re.match(r"\s*(\d+)\b", rest)
            if count:
                published[(audience, "respondents", name)] = int(count.group(1))
                n = re.search(r"n = (\d+)", rest)
                if n:
                    published[(audience, "algemeen-tevreden", name)] = int(n.group(1))
    return published


def _html_text(report):
    html = render_report(report, stylesheet="")
    return re.sub(r"<[^>]+>", "\n", html)


def _read_html(report):
    return _read_text(_html_text(report), report)


def _read_pdf(report):
    reader = PdfReader(io.BytesIO(report_pdf(report)))
    return _read_text("\n".join(page.extract_text() for page in reader.pages), report)


READERS = {"csv": _read_csv, "xlsx": _read_xlsx, "html": _read_html, "pdf": _read_pdf}


def _differencing_attack(published, report, threshold):
    """Every remainder (centre minus visible parts) an attacker can compute, that is below k."""
    leaks = []
    centre_name = report.groups[("centre", None)].name
    by_measure = defaultdict(dict)
    for (audience, measure, group), n in published.items():
        by_measure[(audience, measure)][group] = n
    kinds = {g.name: g.kind for g in report.groups.values()}
    for (audience, measure), groups in by_measure.items():
        if centre_name not in groups:
            continue
        for kind in ("school", "coach"):
            parts = {g: n for g, n in groups.items() if kinds.get(g) == kind}
            if not parts:
                continue
            remainder = groups[centre_name] - sum(parts.values())
            if 0 < remainder < threshold:
                leaks.append((audience, measure, kind, remainder))
    return leaks


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_no_hidden_group_can_be_worked_out_by_subtraction(app, centre_data, fmt):
    centre, _schools, _coaches = centre_data
    with app.test_request_context():
        report = _report(centre)
        published = READERS[fmt](report)
    # The reader found the figures it attacks: the centre and at least two schools per audience.
    assert published[("parent", "respondents", "LSC Testland")] == 33
    assert published[("parent", "respondents", "School Groot")] == 12
    assert ("parent", "respondents", "School Klein") not in published
    # School Zeven (7) is hidden too: otherwise the centre minus the rest gives School Klein
    # together with the two answers without a school (3 + 2 = 5 would be fine, but Zeven is
    # the smallest visible group and 2 < 5 alone is not).
    assert _differencing_attack(published, report, report.threshold) == []


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_the_attack_succeeds_without_complementary_suppression(app, centre_data, fmt, monkeypatch):
    """The control: with primary suppression only, the same reader does find a small group."""

    def primary_only(counts, threshold, unpublished=()):
        return {key for key, n in counts.items() if n < threshold and key not in set(unpublished)}

    monkeypatch.setattr(report_services, "hidden_cells", primary_only)
    centre, _schools, _coaches = centre_data
    with app.test_request_context():
        report = _report(centre)
        published = READERS[fmt](report)
    assert _differencing_attack(published, report, report.threshold) != []


def test_api_rows_resist_the_attack(app, centre_data):
    """The API serves the same tidy rows as the CSV; checked through HTTP in test_api.py."""
    from survey.reports.exports import tidy_rows

    centre, _schools, _coaches = centre_data
    with app.test_request_context():
        report = _report(centre)
        published = _rows_published(row.as_dict() for row in tidy_rows(report))
    assert _differencing_attack(published, report, report.threshold) == []


# ------------------------------------------------------------------------ the figures


def test_figures_are_computed_from_the_published_answers(app, centre_data):
    centre, _schools, coaches = centre_data
    with app.test_request_context():
        report = _report(centre)
    parents = next(r for r in report.audiences if r.audience is Audience.PARENT)
    assert parents.total == 33
    assert parents.previous_respondents == 20
    overall = parents.figure(("centre", None), "algemeen-tevreden")
    assert overall.n + overall.dont_know == 33
    assert 0 <= overall.top2_low <= overall.top2 <= overall.top2_high <= 1
    assert overall.profile in {"strength", "opportunity", "challenge", "uncertain"}
    # Every statement compared with last year, Holm-adjusted p-values at least the raw ones.
    assert set(parents.differences) == set(PARENT_ITEMS)
    assert all(0 <= d.p_holm <= 1 for d in parents.differences.values())
    theme = parents.figure(("centre", None), "theme:betrokkenheid")
    assert theme.alpha is not None
    assert theme.n > 0
    teachers = next(r for r in report.audiences if r.audience is Audience.TEACHER)
    coach_counts = {key[1]: n for key, n in teachers.respondents.items() if key[0] == "coach"}
    assert coach_counts[coaches["x"].id] == 10
    assert coach_counts[coaches["y"].id] is None  # 2 teachers
    assert coach_counts[coaches["z"].id] is None  # complementary: 20 - 10 would reveal y's 2


# -------------------------------------------------------------------------- comments


def test_comments_need_ten_respondents_and_are_scrubbed_and_escaped(app, centre_data):
    centre, _schools, _coaches = centre_data
    with app.test_request_context():
        report = _report(centre)
        html = render_report(report, stylesheet="")
        workbook = load_workbook(io.BytesIO(to_xlsx(report)))
    parents = next(r for r in report.audiences if r.audience is Audience.PARENT)
    shown = {report.groups[key].name for key, sets in parents.comments.items() if sets}
    assert shown == {"LSC Testland", "School Groot"}  # 33 and 12; Midden has only 9
    assert "Geheim van de kleine school" in html  # in the centre's list of 33 ...
    assert "School Klein:" not in html  # ... but never under the small school's name
    assert "sarah.peeters@telenet.be" not in html
    assert "Sarah" not in html
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;" in html
    comments = [row[-1] for row in workbook["comments"].iter_rows(values_only=True)]
    assert '\'=HYPERLINK("http://evil.example","klik")' in comments
    assert not any(str(c).startswith("=") for c in comments)


def test_formula_cells_are_neutralised_in_csv_and_xlsx(app, db, centre_data):
    centre, schools, _coaches = centre_data
    schools["School Groot"].name = "=1+1 School Groot"
    db.session.flush()
    with app.test_request_context():
        report = _report(centre)
        text = to_csv(report).decode("utf-8-sig")
        sheet = load_workbook(io.BytesIO(to_xlsx(report)))["data"]
    assert ",'=1+1 School Groot," in text
    assert ",=1+1" not in text
    names = {row[COLUMNS.index("group_name")] for row in sheet.iter_rows(values_only=True)}
    assert "'=1+1 School Groot" in names
    assert not any(str(value).startswith("=") for value in names)


# ----------------------------------------------------------------- pages and refusals


def test_coordinator_sees_the_report_and_every_download(client, centre_data, make):
    centre, _schools, _coaches = centre_data
    coordinator = make.user(centre, Role.COORDINATOR)
    login(client, coordinator.email)
    page = client.get(f"/reports/?school_year={YEAR}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Rapport voor de leersteunraad" in text
    assert "School Groot" in text
    assert "minder dan 5" in text
    for fmt, magic in (
        ("pdf", b"%PDF"),
        ("xlsx", b"PK"),
        ("csv", b"\xef\xbb\xbfcentre"),
        ("html", b"<!doctype html>"),
    ):
        response = client.get(f"/reports/report.{fmt}?school_year={YEAR}")
        assert response.status_code == 200, fmt
        assert response.data.startswith(magic), fmt
        assert "attachment" in response.headers["Content-Disposition"]


def test_a_filter_narrowing_below_k_is_refused_with_a_reason(client, centre_data, make):
    centre, schools, _coaches = centre_data
    coordinator = make.user(centre, Role.COORDINATOR)
    login(client, coordinator.email)
    small = schools["School Klein"].id
    page = client.get(f"/reports/?school_year={YEAR}&school={small}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "minder dan 5 respondenten" in text
    assert "Geheim" not in text
    download = client.get(f"/reports/report.csv?school_year={YEAR}&school={small}")
    assert download.status_code == 422
    refused = client.get(f"/reports/?school_year={YEAR}&audience=pupil")
    assert "minder dan 5 respondenten" in refused.get_data(as_text=True)


def test_bad_selections_are_form_errors_not_500s(client, centre_data, make):
    centre, _schools, _coaches = centre_data
    login(client, make.user(centre, Role.COORDINATOR).email)
    for query in (
        "school_year=1999-2000",
        "school_year=abc",
        f"school_year={YEAR}&start=x",
        f"school_year={YEAR}&start=2020-01-01",
        f"school_year={YEAR}&school=999999",
        f"school_year={YEAR}&start=2026-05-01&end=2026-01-01",
        "audience=<b>",
    ):
        response = client.get(f"/reports/?{query}")
        assert response.status_code == 200, query
        assert "Ongeldige keuze" in response.get_data(as_text=True) or "error" in response.get_data(
            as_text=True
        )


def test_a_school_user_sees_only_their_own_school(client, centre_data, make):
    centre, schools, _coaches = centre_data
    user = make.user(centre, Role.SCHOOL, school=schools["School Groot"])
    login(client, user.email)
    text = client.get(f"/reports/?school_year={YEAR}").get_data(as_text=True)
    assert "School Groot" in text
    assert "School Midden" not in text
    assert "School Zeven" not in text
    csv_text = client.get(f"/reports/report.csv?school_year={YEAR}").data.decode("utf-8-sig")
    assert "School Midden" not in csv_text
    # The school's figures are the very ones the centre report publishes for it.
    with client.application.test_request_context():
        whole = _report(centre)
        own = restrict_to_school(whole, schools["School Groot"].id)
    parents_whole = next(r for r in whole.audiences if r.audience is Audience.PARENT)
    parents_own = next(r for r in own.audiences if r.audience is Audience.PARENT)
    key = ("school", schools["School Groot"].id)
    assert parents_own.figure(key, "algemeen-tevreden") == parents_whole.figure(
        key, "algemeen-tevreden"
    )


def test_a_coach_sees_only_their_own_coaching_ratings(client, centre_data):
    _centre, _schools, coaches = centre_data
    login(client, coaches["x"].email)
    text = client.get(f"/reports/?school_year={YEAR}").get_data(as_text=True)
    assert coaches["x"].name in text
    assert coaches["y"].name not in text
    assert coaches["z"].name not in text


def test_cli_writes_every_format(app, runner, centre_data, tmp_path):
    centre, schools, _coaches = centre_data
    for fmt in ("pdf", "html", "xlsx", "csv"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(
            args=[
                "report",
                "--centre",
                centre.code,
                "--school-year",
                YEAR,
                "--format",
                fmt,
                "--out",
                str(out),
            ]
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    small = schools["School Klein"].institution_number
    result = runner.invoke(
        args=[
            "report",
            "--centre",
            centre.code,
            "--school-year",
            YEAR,
            "--school",
            small,
            "--format",
            "csv",
            "--out",
            str(tmp_path / "small.csv"),
        ]
    )
    assert result.exit_code == 1
    assert "minder dan 5" in result.output
    assert not (tmp_path / "small.csv").exists()


# ------------------------------------------------------------------ trajectory figures


def test_trajectory_figures_follow_the_status_history(app, db, make, today):
    centre = make.centre()
    school = make.school(centre)
    coach = make.user(centre)
    active = [make.trajectory(school, coaches=[coach], on=date(2025, 9, 10)) for _ in range(4)]
    for trajectory in active:
        trajectory.change_status(TrajectoryStatus.ACTIVE, on=date(2025, 9, 20))
    active[0].report_type = ReportType.IAC
    active[1].change_status(
        TrajectoryStatus.ON_HOLD, on=date(2026, 1, 10), hold_reason=HoldReason.PRIORITISING
    )
    active[2].change_status(
        TrajectoryStatus.CLOSED, on=date(2026, 2, 1), close_reason=CloseReason.GOALS_REACHED
    )
    db.session.flush()
    from survey.reports.trajectory_figures import trajectory_figures

    with app.test_request_context():
        december = trajectory_figures(centre, date(2025, 9, 1), date(2025, 12, 31))
        spring = trajectory_figures(centre, date(2026, 1, 1), date(2026, 3, 1))
    assert december.active == 4
    assert [(c.key, c.count) for c in december.by_report] == [(ReportType.GC, 3), ("IAC / OV4", 1)]
    assert december.by_report[0].share == 0.75
    assert spring.active == 2
    assert spring.flow.active_at_start == 4
    assert (spring.flow.put_on_hold, spring.flow.closed, spring.flow.requested) == (1, 1, 0)
    hold = {c.key: c.count for c in spring.on_hold_by_reason}
    assert hold[HoldReason.PRIORITISING] == 1
    closed = {c.key: c.count for c in spring.closed_by_reason}
    assert closed[CloseReason.GOALS_REACHED] == 1
    assert december.flow.requested == 4
    assert december.flow.started == 4


def test_stylesheet_is_local(app):
    with app.app_context():
        css = report_stylesheet()
    assert "http" not in css
    assert "@import" not in css


def test_a_cached_report_is_rebuilt_when_answers_are_published(app, db, centre_data):
    from survey.reports.services import cached_report

    centre, schools, _coaches = centre_data
    with app.test_request_context():
        first = cached_report(centre, period_for(YEAR))
        assert cached_report(centre, period_for(YEAR)) is first
        version = current_version("tevredenheid-ouders")
        _respond(
            db,
            centre,
            Audience.PARENT,
            schools["School Groot"],
            PARENT_ITEMS,
            version,
            rng=random.Random(1),
        )
        db.session.flush()
        second = cached_report(centre, period_for(YEAR))
    assert second is not first
    parents = next(r for r in second.audiences if r.audience is Audience.PARENT)
    assert parents.total == 34


def test_requests_arriving_together_share_one_build(app, monkeypatch):
    # The database is not what is tested here: the fingerprint is held still and the build
    # replaced by a slow counter, so that the threads really overlap.
    import threading
    import time

    from survey.reports import services

    builds = []

    def slow_build(centre, period):
        builds.append(centre.id)
        time.sleep(0.3)
        return object()

    monkeypatch.setattr(services, "_fingerprint", lambda centre: ("unchanged",))
    monkeypatch.setattr(services, "build_report", slow_build)
    centre = types.SimpleNamespace(id=987654)
    results = []

    def request() -> None:
        with app.test_request_context():
            results.append(services.cached_report(centre, period_for(YEAR)))

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [987654]
    assert len(results) == 4
    assert all(result is results[0] for result in results)
