"""Importing trajectories from a registration system's CSV or XLSX export (Diplon, Zorglink...).

Three steps: :func:`read_sheet` turns the bytes into a header and rows (or refuses the file),
:func:`parse_sheet` checks every cell against the centre's schools and coaches and collects
every problem by line and column, and :func:`import_trajectories` writes the rows, but only
when there is no problem at all: an import is all rows or none, so a coordinator never has to
work out which half of a file went in. Nothing here commits; the caller does, once.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import openpyxl
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from survey.auth.services import normalise_email
from survey.extensions import db
from survey.models import (
    Centre,
    DisabilityType,
    Focus,
    Level,
    ReportType,
    Role,
    School,
    StaffUser,
    Trajectory,
)
from survey.trajectories.manage_services import (
    SupportFields,
    apply_support,
    code_problem,
    create_trajectory,
    report_type_problem,
    support_differs,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# A real export has a dozen columns; the cap keeps a sheet formatted out to column XFD cheap.
MAX_COLUMNS = 100
# An XLSX is a zip: 5 MB of it can unpack to gigabytes of XML (a "zip bomb").
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# The first bytes of a zip file (XLSX) and of an old binary Excel file (XLS).
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"

# The columns, each with the headers accepted for it (compared without case, spaces,
# dashes or accents). When a file has several headers for one column, the first in this
# list wins and the others are ignored with a note. The first one is shown as the name.
HEADERS: dict[str, tuple[str, ...]] = {
    "code": (
        "code",
        "trajectcode",
        "traject",
        "trajectnummer",
        "dossiernummer",
        "dossiernr",
        "dossier",
    ),
    "school": (
        "instellingsnummer",
        "instellingsnr",
        "schoolnummer",
        "schoolnr",
        "instelling",
        "school",
    ),
    "focus": ("focus", "gerichtheid", "ondersteuningsfocus"),
    "report_type": ("verslag", "type verslag", "verslagtype", "soort verslag"),
    "disability_type": ("type", "handicaptype", "type handicap", "type beperking", "beperking"),
    "level": ("niveau", "onderwijsniveau"),
    "start_date": ("startdatum", "start", "begindatum", "aanvangsdatum", "datum start"),
    "coaches": (
        "leerondersteuner",
        "leerondersteuners",
        "e-mail leerondersteuner",
        "e-mailadres leerondersteuner",
        "coach",
        "coaches",
        "e-mail coach",
    ),
}

COLUMN_TITLES = {
    "code": _l("Trajectory code (pseudonymous, never a pupil's name)"),
    "school": _l("The school's instellingsnummer"),
    "focus": _l("leerlinggericht, leerkrachtgericht or teamgericht"),
    "report_type": _l("GC, IAC or OV4; empty for team-directed support"),
    "disability_type": _l("BA, 2, 3, 4, 6, 7 or 9 (“type 9” is fine too)"),
    "level": _l("kleuter, lager, secundair or hbo5"),
    "start_date": _l("dd/mm/yyyy, dd-mm-yyyy or yyyy-mm-dd, or an Excel date"),
    "coaches": _l("E-mail address of the coach; several separated by ; or ,"),
}


def header_key(text: str) -> str:
    """``"E-mail Leerondersteuner "`` and ``"e_mail_leerondersteuner"`` are the same header."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed.casefold() if c.isascii() and c.isalnum())


_KEY_TO_COLUMN = {
    header_key(variant): (column, rank)
    for column, variants in HEADERS.items()
    for rank, variant in enumerate(variants)
}

_FOCUS = {
    **dict.fromkeys(
        ("leerlinggericht", "leerlinggerichte", "leerling", "leerlingen", "pupil"), Focus.PUPIL
    ),
    **dict.fromkeys(
        ("leerkrachtgericht", "leerkrachtgerichte", "leerkracht", "leerkrachten", "teacher"),
        Focus.TEACHER,
    ),
    **dict.fromkeys(("teamgericht", "teamgerichte", "team", "schoolteam"), Focus.TEAM),
}
_REPORT = {
    "gc": ReportType.GC,
    "gemeenschappelijkcurriculum": ReportType.GC,
    "iac": ReportType.IAC,
    "individueelaangepastcurriculum": ReportType.IAC,
    "ov4": ReportType.OV4,
    "opleidingsvorm4": ReportType.OV4,
}
# What registration systems write in an empty report cell of team-directed support.
_NO_REPORT = frozenset({"", "nvt", "geen", "none", "na"})
_TYPE = {
    "ba": DisabilityType.BA,
    "basisaanbod": DisabilityType.BA,
    **{member.value: member for member in DisabilityType if member.value.isdigit()},
}
_LEVEL = {
    **dict.fromkeys(("kleuter", "kleuters", "kleuteronderwijs"), Level.KLEUTER),
    **dict.fromkeys(("lager", "lageronderwijs"), Level.LAGER),
    **dict.fromkeys(("secundair", "secundaironderwijs"), Level.SECUNDAIR),
    **dict.fromkeys(("hbo5", "hbo", "hbo5verpleegkunde"), Level.HBO5),
}
# "basisonderwijs" covers both kleuter and lager: guessing would put half the pupils wrong.
_AMBIGUOUS_LEVEL = frozenset({"basis", "basisonderwijs", "bao", "basisschool"})
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")
_EMAIL_SEPARATORS = re.compile(r"[;,\s]+")
_SEP_LINE = re.compile(r"sep=(.)", re.IGNORECASE)


class ImportFileError(ValueError):
    """The file as a whole is refused (too big, not CSV/XLSX, unreadable); translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Problem(NamedTuple):
    """One problem: ``line`` is the row in the file (header = 1) and ``column`` the header as
    written in the file; both ``None`` for a problem with the file as a whole."""

    line: int | None
    column: str | None
    message: str


@dataclass(frozen=True)
class Sheet:
    """A file's header and non-empty rows, each with its line number in the file."""

    is_xlsx: bool
    header_line: int
    headers: list[str]
    rows: list[tuple[int, list[object]]]


@dataclass(frozen=True)
class ImportRow:
    line: int
    code: str
    fields: SupportFields


@dataclass
class ParseResult:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportOutcome:
    """What an import found and did; ``written`` only when rows were added to the session."""

    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False


# --------------------------------------------------------------------------- reading


def read_sheet(filename: str, data: bytes) -> Sheet:
    """The header and rows of a CSV or XLSX file; :class:`ImportFileError` when refused."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _(
                "The file is larger than %(size)d MB. Split it into smaller files.",
                size=MAX_BYTES // (1024 * 1024),
            )
        )
    suffix = Path(filename or "").suffix.lower()
    if data.startswith(OLE_MAGIC) or suffix == ".xls":
        raise ImportFileError(
            _("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) or as CSV.")
        )
    # Trust the content over the name: a workbook renamed to .csv is still a workbook.
    if suffix == ".xlsx" or data.startswith(ZIP_MAGIC):
        return _read_xlsx(data)
    if suffix in {".csv", ".txt"}:
        return _read_csv(data)
    raise ImportFileError(_("Only CSV and XLSX files can be imported."))


def _is_empty(values: Iterable[object]) -> bool:
    return all(cell_text(value) == "" for value in values)


# Some exports put a title or a date above the header row.
HEADER_SEARCH_ROWS = 10


def _known_headers(values: list[object]) -> int:
    return sum(header_key(cell_text(value)) in _KEY_TO_COLUMN for value in values)


def _sheet(lines: Iterator[tuple[int, list[object]]], is_xlsx: bool) -> Sheet:
    """The header is the first of the first few non-empty rows that names at least three of
    our columns (else simply the first non-empty row); entirely empty rows are skipped."""
    rows: list[tuple[int, list[object]]] = []
    for line, values in lines:
        if _is_empty(values):
            continue
        rows.append((line, list(values[:MAX_COLUMNS])))
        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
            break
    if not rows:
        raise ImportFileError(_("The file is empty."))
    start = next(
        (
            index
            for index, (_line, values) in enumerate(rows[:HEADER_SEARCH_ROWS])
            if _known_headers(values) >= 3
        ),
        0,
    )
    header_line, header = rows[start]
    data_rows = rows[start + 1 :]
    if len(data_rows) > MAX_ROWS:
        raise ImportFileError(
            _(
                "The file has more than %(count)d rows. Split it into smaller files.",
                count=MAX_ROWS,
            )
        )
    return Sheet(
        is_xlsx=is_xlsx,
        header_line=header_line,
        headers=[cell_text(value) for value in header],
        rows=data_rows,
    )


def _read_csv(data: bytes) -> Sheet:
    if b"\x00" in data:
        raise ImportFileError(
            _(
                "This is not a CSV file. In Excel, choose “Save as” and the type "
                "“CSV UTF-8” or “CSV (delimited)”."
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows writes "CSV (delimited)" in the Windows code page.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError(
                _("The CSV file's characters could not be read. Save it as “CSV UTF-8”.")
            ) from None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if match := _SEP_LINE.fullmatch(first_line.strip()):
        # Excel's own hint line "sep=;" names the delimiter; it is not a row of data, but
        # it stays an (empty) line so the line numbers still match the file.
        delimiter = match.group(1)
        text = text.replace(first_line, "", 1)
    else:
        # Flemish Excel writes ";", others ","; a header has no quoted delimiters in practice.
        delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Numbered by record, which is the row number Excel shows when the file is opened.
        return _sheet(((line, list(row)) for line, row in enumerate(reader, start=1)), False)
    except csv.Error:
        raise ImportFileError(_("The CSV file could not be read. Save it again as CSV.")) from None


def _read_xlsx(data: bytes) -> Sheet:
    unreadable = _(
        "This is not a readable Excel file (.xlsx). Open it in Excel and save it again as an "
        "Excel workbook or as CSV."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(unreadable) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(unreadable)
    # openpyxl warns about styles and extensions it does not support: harmless for reading.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds on a damaged file; all mean "unreadable"
            raise ImportFileError(unreadable) from None
        try:
            if not workbook.worksheets:
                raise ImportFileError(unreadable)
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            return _sheet(((line, list(row)) for line, row in enumerate(rows, start=1)), True)
        except ImportFileError:
            raise
        except Exception:  # as above: a damaged sheet shows up only while reading it
            raise ImportFileError(unreadable) from None
        finally:
            workbook.close()


# --------------------------------------------------------------------------- cells


class _Bad(ValueError):
    """A cell's value refused, with a translated message."""


def cell_text(value: object) -> str:
    """A cell as text: Excel gives numbers as floats (12345.0 is the code "12345")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    return str(value).replace("\xa0", " ").strip()


def _value_key(value: object) -> str:
    return header_key(cell_text(value))


def _focus(value: object) -> Focus:
    focus = _FOCUS.get(_value_key(value))
    if focus is None:
        raise _Bad(
            _(
                "Unknown focus “%(value)s”: write leerlinggericht, leerkrachtgericht or "
                "teamgericht.",
                value=cell_text(value),
            )
        )
    return focus


def _report_type(value: object) -> ReportType | None:
    key = _value_key(value)
    if key in _NO_REPORT:
        return None
    report = _REPORT.get(key.removeprefix("verslag"))
    if report is None:
        raise _Bad(
            _("Unknown report type “%(value)s”: write GC, IAC or OV4.", value=cell_text(value))
        )
    return report


def _disability_type(value: object) -> DisabilityType:
    key = _value_key(value).removeprefix("type")
    # "type 9 (autisme)" and "9" are both type 9.
    digits = re.match(r"\d+", key)
    disability = _TYPE.get(digits.group(0) if digits else key)
    if disability is None:
        raise _Bad(
            _(
                "Unknown type “%(value)s”: write BA, 2, 3, 4, 6, 7 or 9.",
                value=cell_text(value),
            )
        )
    return disability


def _level(value: object) -> Level:
    key = _value_key(value)
    if key in _AMBIGUOUS_LEVEL:
        raise _Bad(
            _(
                "“%(value)s” covers pre-school and primary: write kleuter or lager.",
                value=cell_text(value),
            )
        )
    level = _LEVEL.get(key)
    if level is None:
        raise _Bad(
            _(
                "Unknown level “%(value)s”: write kleuter, lager, secundair or hbo5.",
                value=cell_text(value),
            )
        )
    return level


def _start_date(value: object) -> date:
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2958466:
        # A date cell without its date format arrives as Excel's day number.
        found = from_excel(value).date()
    else:
        found = _date_from_text(cell_text(value))
    if not 2000 <= found.year <= 2099:
        raise _Bad(_("The date %(value)s is not plausible.", value=cell_text(value)))
    return found


def _date_from_text(text: str) -> date:
    bad = _Bad(
        _(
            "“%(value)s” is not a date: write dd/mm/yyyy, dd-mm-yyyy or yyyy-mm-dd.",
            value=text,
        )
    )
    parts = text.replace("T", " ").split()
    # Some exports add a midnight time: "15/09/2025 00:00".
    if not parts or len(parts) > 2 or (len(parts) == 2 and not _TIME.fullmatch(parts[1])):
        raise bad
    if match := _DMY.fullmatch(parts[0]):
        day, month, year = map(int, match.groups())
    elif match := _YMD.fullmatch(parts[0]):
        year, month, day = map(int, match.groups())
    else:
        raise bad
    try:
        return date(year, month, day)
    except ValueError:
        raise bad from None


# --------------------------------------------------------------------------- parsing


class _Lookups:
    """The centre's schools and coaches, loaded once for the whole file."""

    def __init__(self, centre: Centre) -> None:
        schools = list(db.session.scalars(select(School).where(School.centre_id == centre.id)))
        # Excel drops leading zeros from numbers: "012345" arrives as 12345.
        self.by_number = {school.institution_number.lstrip("0"): school for school in schools}
        names: dict[str, list[School]] = {}
        for school in schools:
            names.setdefault(school.name.casefold().strip(), []).append(school)
        self.by_name = {name: found[0] for name, found in names.items() if len(found) == 1}
        coaches = db.session.scalars(
            select(StaffUser).where(StaffUser.centre_id == centre.id, StaffUser.role == Role.COACH)
        )
        self.coaches = {normalise_email(coach.email): coach for coach in coaches}

    def school(self, value: object) -> School:
        text = cell_text(value)
        school = self.by_number.get(text.lstrip("0")) if text.isdigit() else None
        # An export with only the school's name is accepted when that name is unique.
        school = school or self.by_name.get(text.casefold())
        if school is None and text.isdigit():
            raise _Bad(_("This centre has no school with number %(number)s.", number=text))
        if school is None:
            raise _Bad(
                _(
                    "This centre has no school named %(name)s. Use the instellingsnummer.",
                    name=text,
                )
            )
        return school

    def coach_list(self, value: object) -> list[StaffUser]:
        addresses = [part for part in _EMAIL_SEPARATORS.split(cell_text(value)) if part]
        if not addresses:
            raise _Bad(_("Fill in the e-mail address of at least one coach."))
        found: list[StaffUser] = []
        for address in addresses:
            coach = self.coaches.get(normalise_email(address))
            # The same message for a stranger and a user of another centre: the import
            # must not reveal who has an account elsewhere.
            if coach is None:
                raise _Bad(
                    _("No coach of this centre has the e-mail address %(email)s.", email=address)
                )
            if not coach.is_enabled:
                raise _Bad(_("The account of coach %(email)s is disabled.", email=address))
            if coach not in found:
                found.append(coach)
        return found


def _map_headers(sheet: Sheet) -> tuple[dict[str, int], list[Problem], list[str]]:
    """Which file column holds each of our columns; a missing one is a problem, an extra one
    a note."""
    chosen: dict[str, tuple[int, int]] = {}  # column -> (rank, index)
    notes: list[str] = []
    unused: list[int] = []
    for index, header in enumerate(sheet.headers):
        if not header:
            continue
        found = _KEY_TO_COLUMN.get(header_key(header))
        if found is None:
            unused.append(index)
            continue
        column, rank = found
        if column in chosen and chosen[column][0] <= rank:
            unused.append(index)
        else:
            if column in chosen:
                unused.append(chosen[column][1])
            chosen[column] = (rank, index)
    for index in sorted(unused):
        notes.append(_("Column %(name)s is not used and was ignored.", name=sheet.headers[index]))
    problems = [
        Problem(
            sheet.header_line,
            variants[0],
            _(
                "This column is missing. Accepted headers: %(headers)s.",
                headers=", ".join(variants),
            ),
        )
        for column, variants in HEADERS.items()
        if column not in chosen
    ]
    return {column: index for column, (_rank, index) in chosen.items()}, problems, notes


def parse_sheet(sheet: Sheet, centre: Centre) -> ParseResult:
    """Check every cell; a row with any problem is left out of ``rows``."""
    columns, problems, notes = _map_headers(sheet)
    result = ParseResult(problems=problems, notes=notes)
    if problems:
        return result
    if not sheet.rows:
        result.problems.append(Problem(None, None, _("The file holds no trajectories.")))
        return result

    lookups = _Lookups(centre)
    first_line_of: dict[str, int] = {}

    def problem(line: int, column: str, message: str) -> None:
        index = columns[column]
        if sheet.is_xlsx:
            message = _(
                "%(message)s (column %(letter)s)",
                message=message,
                letter=get_column_letter(index + 1),
            )
        result.problems.append(Problem(line, sheet.headers[index], message))

    for line, values in sheet.rows:

        def cell(column: str, values: list[object] = values) -> object:
            index = columns[column]
            return values[index] if index < len(values) else None

        before = len(result.problems)
        parsed: dict[str, Any] = {}
        code = cell_text(cell("code"))
        if message := code_problem(code):
            problem(line, "code", message)
        elif code in first_line_of:
            problem(
                line,
                "code",
                _(
                    "Code %(code)s is already on line %(line)d.",
                    code=code,
                    line=first_line_of[code],
                ),
            )
        else:
            first_line_of[code] = line
        for column, parse in (
            ("school", lookups.school),
            ("focus", _focus),
            ("report_type", _report_type),
            ("disability_type", _disability_type),
            ("level", _level),
            ("start_date", _start_date),
            ("coaches", lookups.coach_list),
        ):
            value = cell(column)
            # An empty report cell is team-directed support, an empty coach cell has its own
            # message; anywhere else an empty cell is simply missing.
            if column not in {"report_type", "coaches"} and cell_text(value) == "":
                problem(line, column, _("This cell is empty: fill it in."))
                continue
            try:
                parsed[column] = parse(value)
            except _Bad as exc:
                problem(line, column, str(exc))
        if "focus" in parsed and "report_type" in parsed:
            message = report_type_problem(parsed["focus"], parsed["report_type"])
            if message:
                problem(line, "report_type", message)
        if len(result.problems) == before:
            result.rows.append(ImportRow(line=line, code=code, fields=SupportFields(**parsed)))
    return result


# --------------------------------------------------------------------------- importing


def _existing(centre: Centre, codes: list[str]) -> dict[str, Trajectory]:
    found: dict[str, Trajectory] = {}
    # In chunks: a single IN list of 20,000 codes is more than some databases take.
    for start in range(0, len(codes), 500):
        statement = (
            select(Trajectory)
            .where(
                Trajectory.centre_id == centre.id, Trajectory.code.in_(codes[start : start + 500])
            )
            .options(selectinload(Trajectory.coaches))
        )
        found.update((trajectory.code, trajectory) for trajectory in db.session.scalars(statement))
    return found


def import_trajectories(
    centre: Centre,
    filename: str,
    data: bytes,
    *,
    dry_run: bool,
    on: date,
    by: StaffUser | None = None,
) -> ImportOutcome:
    """Check a file and, unless ``dry_run`` or any problem, create and update its trajectories.

    A new code becomes a trajectory in status *requested* dated ``on``; an existing code gets
    the file's support fields and coaches, and keeps its status.
    """
    outcome = ImportOutcome(dry_run=dry_run)
    try:
        sheet = read_sheet(filename, data)
    except ImportFileError as exc:
        outcome.problems.append(Problem(None, None, exc.message))
        return outcome
    parsed = parse_sheet(sheet, centre)
    outcome.problems, outcome.notes = parsed.problems, parsed.notes
    existing = _existing(centre, [row.code for row in parsed.rows])
    for row in parsed.rows:
        trajectory = existing.get(row.code)
        if trajectory is None:
            outcome.created.append(row.code)
        elif support_differs(trajectory, row.fields):
            outcome.updated.append(row.code)
        else:
            outcome.unchanged.append(row.code)
    if dry_run or outcome.problems:
        return outcome
    try:
        for row in parsed.rows:
            trajectory = existing.get(row.code)
            if trajectory is None:
                create_trajectory(centre, row.code, row.fields, on=on, by=by)
            else:
                apply_support(trajectory, row.fields)
        db.session.flush()
    except IntegrityError:
        # Someone added one of these codes meanwhile; all or nothing still holds.
        db.session.rollback()
        outcome.problems.append(
            Problem(
                None,
                None,
                _("The trajectories changed during the import; nothing was imported. Try again."),
            )
        )
        outcome.created, outcome.updated, outcome.unchanged = [], [], []
        return outcome
    outcome.written = True
    return outcome
