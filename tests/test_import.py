"""Trajectory import from a registration system's CSV or XLSX export: all rows or none, and
every problem named by line and column."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from survey.imports.routes import UPLOAD_LIMIT
from survey.imports.services import MAX_BYTES, Problem, import_trajectories
from survey.models import (
    DisabilityType,
    Focus,
    HoldReason,
    Level,
    ReportType,
    Role,
    Trajectory,
    TrajectoryStatus,
)
from tests.conftest import TODAY, csrf_token, login

pytestmark = pytest.mark.usefixtures("today")

DUTCH_HEADER = [
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
GOOD_ROWS = [
    ["D-001", "123456", "leerlinggericht", "GC", "type 9", "lager", "15/09/2025", "an@lsc.be", ""],
    [
        "D-002",
        "012345",
        "Leerkrachtgericht",
        "iac",
        "2",
        "secundair",
        "2025-10-01",
        "an@lsc.be; Bert@LSC.be",
        "x",
    ],
    ["D-003", "123456", "teamgericht", "", "BA", "kleuter", "03-11-2025", "bert@lsc.be", ""],
]


@pytest.fixture
def setup(make):
    centre = make.centre(code="lsc-import", name="LSC Import")
    school = make.school(centre, name="VBS De Linde", number="123456")
    second = make.school(centre, name="Sint-Jozef Sénior", number="012345")
    coach = make.user(centre, Role.COACH, email="an@lsc.be")
    colleague = make.user(centre, Role.COACH, email="bert@lsc.be")
    disabled = make.user(centre, Role.COACH, email="weg@lsc.be")
    disabled.is_enabled = False
    other = make.centre(code="lsc-elders", name="LSC Elders")
    return {
        "centre": centre,
        "school": school,
        "second": second,
        "coach": coach,
        "colleague": colleague,
        "coordinator": make.user(centre, Role.COORDINATOR),
        "school_user": make.user(centre, Role.SCHOOL, school=school),
        "stranger": make.user(other, Role.COACH, email="vreemd@elders.be"),
        "other_coordinator": make.user(other, Role.COORDINATOR),
        "existing": make.trajectory(school, code="D-001", coaches=[colleague]),
    }


def csv_bytes(rows, delimiter=";", bom=True, encoding="utf-8") -> bytes:
    """As Excel writes it: quoted where a cell holds the delimiter, CRLF line ends."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Trajectory))


def by_code(db, code, centre):
    return db.session.scalar(
        select(Trajectory).where(Trajectory.code == code, Trajectory.centre_id == centre.id)
    )


def run(setup, filename, data, dry_run=False):
    return import_trajectories(setup["centre"], filename, data, dry_run=dry_run, on=TODAY)


def upload(client, filename, data, dry_run=True):
    fields = {"csrf_token": csrf_token(client, "/trajectories/import"), "file": (filename, data)}
    if dry_run:
        fields["dry_run"] = "y"
    return post_multipart(client, fields)


def post_multipart(client, fields):
    """Encoded in memory: the test client would spool a large body to an unclosed temp file."""
    values = {
        name: FileStorage(io.BytesIO(value[1]), filename=value[0])
        if isinstance(value, tuple)
        else value
        for name, value in fields.items()
    }
    boundary, body = encode_multipart(values)
    return client.post(
        "/trajectories/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


# --------------------------------------------------------------------------- good files


def test_good_csv_with_semicolons_bom_and_dutch_headers_imports(client, db, setup):
    login(client, setup["coordinator"].email)
    before = count(db)
    response = upload(client, "export.csv", csv_bytes([DUTCH_HEADER, *GOOD_ROWS]), dry_run=False)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Import uitgevoerd" in page
    assert "Kolom Opmerking wordt niet gebruikt en is genegeerd." in page
    assert count(db) == before + 2  # D-001 existed: it is updated, not duplicated
    second = by_code(db, "D-002", setup["centre"])
    assert second.school == setup["second"]
    assert second.focus is Focus.TEACHER
    assert second.report_type is ReportType.IAC
    assert second.disability_type is DisabilityType.TYPE_2
    assert second.level is Level.SECUNDAIR
    assert second.start_date == date(2025, 10, 1)
    assert second.status is TrajectoryStatus.REQUESTED
    assert second.status_since == TODAY
    assert second.history[0].changed_by_id == setup["coordinator"].id
    assert {c.email for c in second.coaches} == {"an@lsc.be", "bert@lsc.be"}
    team = by_code(db, "D-003", setup["centre"])
    assert (team.focus, team.report_type, team.start_date) == (Focus.TEAM, None, date(2025, 11, 3))
    assert 'href="/trajectories/D-002"' in page


def test_good_xlsx_with_excel_dates_and_numbers_imports(db, setup):
    rows = [
        ["code", "school", "focus", "verslag", "type", "niveau", "startdatum", "coach"],
        ["X-1", 12345, "leerling", "OV4", 9, "secundair", datetime(2025, 9, 1), "an@lsc.be"],
        [4711, 123456, "team", None, "type 3", "lager", datetime(2026, 1, 5), "bert@lsc.be"],
        [None, None, None, None, None, None, None, None],  # empty rows are skipped
        ["X-3", "123456", "pupil", "gc", "type 7", "HBO5", "1/9/2025", "an@lsc.be,bert@lsc.be"],
    ]
    outcome = run(setup, "export.xlsx", xlsx_bytes(rows))
    assert outcome.problems == []
    assert outcome.created == ["X-1", "4711", "X-3"]
    first = by_code(db, "X-1", setup["centre"])
    assert first.school == setup["second"]  # Excel dropped the leading zero of 012345
    assert first.start_date == date(2025, 9, 1)
    assert first.report_type is ReportType.OV4
    assert by_code(db, "4711", setup["centre"]).disability_type is DisabilityType.TYPE_3
    assert by_code(db, "X-3", setup["centre"]).level is Level.HBO5


def test_cp1252_csv_with_commas_and_school_names(db, setup):
    rows = [
        ["Trajectcode", "School", "Focus", "Verslag", "Handicaptype", "Niveau", "Start", "Coach"],
        ["W-1", "Sint-Jozef Sénior", "leerling", "GC", "9", "lager", "15.09.2025", "an@lsc.be"],
    ]
    outcome = run(setup, "export.csv", csv_bytes(rows, delimiter=",", bom=False, encoding="cp1252"))
    assert outcome.problems == []
    assert by_code(db, "W-1", setup["centre"]).school == setup["second"]


def test_excels_sep_line_and_a_title_above_the_header_are_skipped(db, setup):
    data = b"sep=;\r\n" + csv_bytes([DUTCH_HEADER, GOOD_ROWS[1]], bom=False)
    outcome = run(setup, "export.csv", data, dry_run=True)
    assert (outcome.problems, outcome.created) == ([], ["D-002"])
    bad_level = [*GOOD_ROWS[1][:5], "basis", *GOOD_ROWS[1][6:]]
    rows = [["Export Diplon 2025-2026"], [], DUTCH_HEADER, bad_level]
    outcome = run(setup, "export.xlsx", xlsx_bytes(rows))
    assert [(p.line, p.column) for p in outcome.problems] == [(4, "Onderwijsniveau")]


def test_existing_code_is_updated_and_keeps_its_status(db, setup):
    existing = setup["existing"]
    existing.change_status(TrajectoryStatus.ACTIVE, on=date(2025, 10, 1))
    existing.change_status(
        TrajectoryStatus.ON_HOLD, on=date(2026, 1, 1), hold_reason=HoldReason.PRIORITISING
    )
    db.session.flush()
    rows = [
        DUTCH_HEADER,
        ["D-001", "012345", "leerling", "IAC", "4", "kleuter", "01/02/2026", "an@lsc.be", ""],
    ]
    outcome = run(setup, "export.csv", csv_bytes(rows))
    assert (outcome.created, outcome.updated, outcome.problems) == ([], ["D-001"], [])
    db.session.expire_all()
    trajectory = by_code(db, "D-001", setup["centre"])
    assert trajectory.school == setup["second"]
    assert trajectory.report_type is ReportType.IAC
    assert trajectory.level is Level.KLEUTER
    assert [c.email for c in trajectory.coaches] == ["an@lsc.be"]
    assert trajectory.status is TrajectoryStatus.ON_HOLD
    assert trajectory.hold_reason is HoldReason.PRIORITISING
    assert len(trajectory.history) == 3
    again = run(setup, "export.csv", csv_bytes(rows))
    assert (again.updated, again.unchanged) == ([], ["D-001"])


def test_dry_run_writes_nothing_and_counts(client, db, setup):
    login(client, setup["coordinator"].email)
    before = count(db)
    page = upload(client, "export.csv", csv_bytes([DUTCH_HEADER, *GOOD_ROWS])).get_data(
        as_text=True
    )
    assert "Geen problemen gevonden" in page
    assert "Proefimport: er is niets weggeschreven." in page
    assert "<dt>Nieuwe trajecten</dt><dd>2</dd>" in page
    assert "<dt>Bijgewerkte trajecten</dt><dd>1</dd>" in page
    assert count(db) == before
    assert by_code(db, "D-001", setup["centre"]).report_type is ReportType.GC


# --------------------------------------------------------------------------- problems


def test_one_bad_csv_row_commits_nothing_and_names_line_and_column(client, db, setup):
    login(client, setup["coordinator"].email)
    rows = [DUTCH_HEADER, *GOOD_ROWS]
    rows[3] = [*rows[3][:5], "basisonderwijs", *rows[3][6:]]
    before = count(db)
    outcome = run(setup, "export.csv", csv_bytes(rows))
    assert outcome.problems == [
        Problem(
            4,
            "Onderwijsniveau",
            "“basisonderwijs” omvat kleuter en lager: schrijf kleuter of lager.",
        )
    ]
    assert not outcome.written
    assert count(db) == before
    page = upload(client, "export.csv", csv_bytes(rows), dry_run=False).get_data(as_text=True)
    assert "Er is niets geïmporteerd" in page
    assert '<td class="num">4</td><td>Onderwijsniveau</td>' in page
    assert count(db) == before


def test_one_bad_xlsx_row_names_line_column_and_letter(db, setup):
    rows = [DUTCH_HEADER, *GOOD_ROWS]
    rows[2] = [*rows[2][:6], "31/02/2026", *rows[2][7:]]
    before = count(db)
    outcome = run(setup, "export.xlsx", xlsx_bytes(rows))
    assert outcome.problems == [
        Problem(
            3,
            "Begindatum",
            "“31/02/2026” is geen datum: schrijf dd/mm/jjjj, dd-mm-jjjj of jjjj-mm-dd. (kolom G)",
        )
    ]
    assert count(db) == before


def test_every_problem_is_listed(db, setup):
    rows = [
        DUTCH_HEADER,
        ["D-9", "999999", "leerling", "GC", "9", "lager", "15/09/2025", "niemand@lsc.be", ""],
        [
            "D-10",
            "123456",
            "team",
            "GC",
            "type 5",
            "lager",
            "volgende week",
            "vreemd@elders.be",
            "",
        ],
        ["D-9", "123456", "klas", "XYZ", "9", "lager", "15/09/1925", "weg@lsc.be", ""],
        ["Jan Peeters", "123456", "leerling", "GC", "9", "lager", "15/09/2025", "", ""],
        ["D-12", "123456", "leerling", "", "9", "lager", "15/09/2025", "an@lsc.be", ""],
        ["D-13", "VBS Onbekend", "", "GC", "9", "lager", "15/09/2025", "an@lsc.be", ""],
    ]
    outcome = run(setup, "export.csv", csv_bytes(rows))
    found = {(p.line, p.column): p.message for p in outcome.problems}
    assert found[(2, "Instellingsnummer")] == "Dit centrum heeft geen school met nummer 999999."
    assert found[(2, "E-mail leerondersteuner")] == (
        "Geen leerondersteuner van dit centrum heeft het e-mailadres niemand@lsc.be."
    )
    # A coach of another centre is as unknown as a stranger.
    assert found[(3, "E-mail leerondersteuner")] == (
        "Geen leerondersteuner van dit centrum heeft het e-mailadres vreemd@elders.be."
    )
    assert found[(3, "Type verslag")].startswith("Teamgerichte ondersteuning heeft geen verslag")
    assert found[(3, "Type beperking")].startswith("Onbekend type “type 5”")
    assert found[(3, "Begindatum")].startswith("“volgende week” is geen datum")
    assert found[(4, "Dossiernummer")] == "Code D-9 staat al op regel 2."
    assert found[(4, "Gerichtheid")].startswith("Onbekende focus “klas”")
    assert found[(4, "Type verslag")].startswith("Onbekend verslag “XYZ”")
    assert found[(4, "Begindatum")] == "De datum 15/09/1925 is niet aannemelijk."
    assert "uitgeschakeld" in found[(4, "E-mail leerondersteuner")]
    assert "nooit de naam van een leerling" in found[(5, "Dossiernummer")]
    assert found[(5, "E-mail leerondersteuner")].startswith("Vul het e-mailadres")
    assert found[(6, "Type verslag")].startswith("Kies het verslag")
    assert found[(7, "Instellingsnummer")] == (
        "Dit centrum heeft geen school met de naam VBS Onbekend. Gebruik het instellingsnummer."
    )
    assert found[(7, "Gerichtheid")] == "Deze cel is leeg: vul ze in."
    assert (7, "Type verslag") not in found  # without a focus, the report cannot be judged
    assert outcome.created == []


def test_missing_columns_are_named_and_extra_ones_noted(db, setup):
    rows = [["code", "school", "focus", "type", "niveau", "start", "coach", "naam"], ["A", "1"]]
    outcome = run(setup, "export.csv", csv_bytes(rows))
    assert outcome.problems == [
        Problem(
            1,
            "verslag",
            "Deze kolom ontbreekt. Aanvaarde kolomkoppen: verslag, type verslag, verslagtype, "
            "soort verslag.",
        )
    ]
    assert outcome.notes == ["Kolom naam wordt niet gebruikt en is genegeerd."]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("export.xlsx", b"\x00\xff garbage \x13" * 50, "Dit is geen leesbaar Excelbestand"),
        ("export.xlsx", b"PK\x03\x04 broken zip", "Dit is geen leesbaar Excelbestand"),
        ("export.xls", b"\xd0\xcf\x11\xe0 old excel", "Dit is een oud Excelbestand (.xls)"),
        ("export.csv", b"code;school\x00\x00", "Dit is geen CSV-bestand"),
        ("export.csv", b"\xef\xbb\xbf\r\n;;\r\n", "Het bestand is leeg."),
        ("export.pdf", b"%PDF-1.4", "Alleen CSV- en XLSX-bestanden"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(db, setup, filename, data, message):
    outcome = run(setup, filename, data)
    assert len(outcome.problems) == 1
    assert outcome.problems[0].line is None
    assert message in outcome.problems[0].message


def test_garbage_bytes_as_xlsx_on_the_page(client, db, setup):
    login(client, setup["coordinator"].email)
    response = upload(client, "export.xlsx", b"\x00\x01\x02 not a workbook" * 100)
    assert response.status_code == 200
    assert "Dit is geen leesbaar Excelbestand (.xlsx)." in response.get_data(as_text=True)


def test_a_file_of_another_type_is_refused_by_the_form(client, db, setup):
    login(client, setup["coordinator"].email)
    page = upload(client, "export.pdf", b"%PDF").get_data(as_text=True)
    assert "Alleen CSV- en XLSX-bestanden kunnen geïmporteerd worden." in page


def test_oversized_files_are_refused(client, db, setup):
    login(client, setup["coordinator"].email)
    too_big = csv_bytes([DUTCH_HEADER]) + b"x" * MAX_BYTES
    response = upload(client, "export.csv", too_big)
    assert response.status_code == 200
    assert "Het bestand is groter dan 5 MB." in response.get_data(as_text=True)
    # Beyond what the page reads at all, the request itself is refused, still in Dutch.
    response = upload(client, "export.csv", b"x" * (UPLOAD_LIMIT + 1))
    assert response.status_code == 413
    assert "Het bestand is groter dan 5 MB." in response.get_data(as_text=True)


def test_too_many_rows_are_refused(db, setup, monkeypatch):
    monkeypatch.setattr("survey.imports.services.MAX_ROWS", 2)
    outcome = run(setup, "export.csv", csv_bytes([DUTCH_HEADER, *GOOD_ROWS]))
    assert outcome.problems[0].message.startswith("Het bestand heeft meer dan 2 rijen.")


# --------------------------------------------------------------------------- access


def test_the_page_is_for_coordinators(client, db, setup):
    login(client, setup["coach"].email)
    assert client.get("/trajectories/import").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/trajectories/")})
    login(client, setup["school_user"].email)
    assert client.get("/trajectories/import").status_code == 403


def test_import_is_not_swallowed_by_the_detail_route(client, db, setup):
    login(client, setup["coordinator"].email)
    page = client.get("/trajectories/import").get_data(as_text=True)
    assert "Trajecten importeren" in page
    assert "e-mail leerondersteuner" in page
    assert 'enctype="multipart/form-data"' in page
    assert 'checked id="dry_run"' in page


def test_another_centres_trajectory_edit_is_404(client, db, setup):
    login(client, setup["other_coordinator"].email)
    assert client.get("/trajectories/D-001/edit").status_code == 404


def test_import_goes_into_the_users_own_centre(client, db, setup, make):
    login(client, setup["other_coordinator"].email)
    rows = [DUTCH_HEADER, GOOD_ROWS[0]]
    page = upload(client, "export.csv", csv_bytes(rows)).get_data(as_text=True)
    # LSC Elders has neither the school nor the coach.
    assert "Dit centrum heeft geen school met nummer 123456." in page


def test_upload_without_csrf_is_refused(client, db, setup):
    login(client, setup["coordinator"].email)
    response = post_multipart(client, {"file": ("export.csv", csv_bytes([DUTCH_HEADER]))})
    assert response.status_code == 400


# --------------------------------------------------------------------------- command line


def test_cli_imports_a_good_file(runner, db, setup, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([DUTCH_HEADER, *GOOD_ROWS]))
    before = count(db)
    result = runner.invoke(args=["import-trajectories", str(path), "--centre", "lsc-import"])
    assert result.exit_code == 0, result.output
    assert "Nieuw: 2, bijgewerkt: 1, ongewijzigd: 0." in result.output
    assert "Import uitgevoerd." in result.output
    assert count(db) == before + 2


def test_cli_dry_run_and_problems_write_nothing(runner, db, setup, tmp_path):
    path = tmp_path / "export.xlsx"
    rows = [DUTCH_HEADER, *GOOD_ROWS]
    rows[3] = [*rows[3][:3], "GC", *rows[3][4:]]
    path.write_bytes(xlsx_bytes(rows))
    before = count(db)
    result = runner.invoke(args=["import-trajectories", str(path), "--centre", "lsc-import"])
    assert result.exit_code == 1
    assert (
        "regel 4, kolom Type verslag: Teamgerichte ondersteuning heeft geen verslag: "
        "laat het verslag leeg. (kolom D)" in result.output
    )
    assert "Er is niets geïmporteerd." in result.output
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([DUTCH_HEADER, *GOOD_ROWS]))
    result = runner.invoke(
        args=["import-trajectories", str(good), "--centre", "lsc-import", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Proefimport: er is niets weggeschreven." in result.output
    assert count(db) == before


def test_cli_needs_a_centre_when_there_are_several(runner, db, setup, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([DUTCH_HEADER, *GOOD_ROWS]))
    result = runner.invoke(args=["import-trajectories", str(path)])
    assert result.exit_code == 1
    assert "Er zijn meerdere centra: kies er een met --centre." in result.output
    result = runner.invoke(args=["import-trajectories", str(path), "--centre", "nergens"])
    assert result.exit_code == 1
    assert "Er is geen centrum met code nergens." in result.output
