"""The token pages' forms, and the API's query parameters, checked strictly.

A query parameter the API cannot use is refused with a 400 that names it, never ignored and
never allowed to reach the database as something it is not (a 40-digit school id would be an
overflow error there, so a 500).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from survey.api.problems import invalid_parameter
from survey.api.services import NAME_LENGTH
from survey.reports.services import AUDIENCES, period_for

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
# Ids are PostgreSQL integers; a larger number cannot name anything.
MAX_ID = 2**31 - 1
# Pages beyond any report's length; the bound keeps the number an ordinary integer.
MAX_PAGE = 1_000_000
SCHOOL_YEAR_PATTERN = r"^\d{4}-\d{4}$"
AUDIENCE_VALUES = tuple(audience.value for audience in AUDIENCES)
GROUP_TYPES = ("centre", "school", "coach")
MEASURE_TYPES = ("respondents", "item", "theme", "trajectories")

_DIGITS = re.compile(r"[0-9]{1,10}", re.ASCII)
# JSON Schema's \d means ASCII digits only; Python's would also accept other scripts' digits.
_SCHOOL_YEAR = re.compile(SCHOOL_YEAR_PATTERN, re.ASCII)


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        description=_l("What the token is for, e.g. “Power BI dashboard of the council”."),
        validators=[
            DataRequired(message=_l("Give the token a name.")),
            Length(
                max=NAME_LENGTH,
                message=_l("A name has at most %(max)d characters.", max=NAME_LENGTH),
            ),
        ],
    )
    submit = SubmitField(_l("Make a token"))


class RevokeForm(FlaskForm):
    """A button with a CSRF token."""

    submit = SubmitField(_l("Revoke"))


# ----------------------------------------------------------------------- query parameters


@dataclass(frozen=True)
class Paging:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def start(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class ResultQuery:
    school_year: str
    audience: str | None
    school_id: int | None
    group_type: str | None
    measure_type: str | None
    paging: Paging


def _integer(args: MultiDict, name: str, low: int, high: int, default: int | None) -> int | None:
    raw = args.get(name)
    if raw is None:
        return default
    # Strict digits: int() would also take " 7", "7_000" and other scripts' digits.
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise invalid_parameter(
            name,
            _(
                "%(name)s must be a whole number from %(low)d to %(high)d.",
                name=name,
                low=low,
                high=high,
            ),
        )
    return int(raw)


def _choice(args: MultiDict, name: str, choices: tuple[str, ...]) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise invalid_parameter(
            name, _("%(name)s must be one of: %(choices)s.", name=name, choices=", ".join(choices))
        )
    return raw


def parse_paging(args: MultiDict) -> Paging:
    return Paging(
        page=_integer(args, "page", 1, MAX_PAGE, None) or 1,
        per_page=_integer(args, "per_page", 1, MAX_PER_PAGE, None) or DEFAULT_PER_PAGE,
    )


def parse_school_year(args: MultiDict, default: Callable[[], str]) -> str:
    raw = args.get("school_year")
    if raw is None:
        return default()
    try:
        if not _SCHOOL_YEAR.fullmatch(raw):
            raise ValueError(raw)
        period_for(raw)
    except ValueError:
        raise invalid_parameter(
            "school_year", _("school_year must be a school year like 2025-2026.")
        ) from None
    return raw


def parse_result_query(args: MultiDict, default_school_year: Callable[[], str]) -> ResultQuery:
    """The results' filters; the default school year is only looked up when none is given."""
    return ResultQuery(
        school_year=parse_school_year(args, default_school_year),
        audience=_choice(args, "audience", AUDIENCE_VALUES),
        school_id=_integer(args, "school_id", 1, MAX_ID, None),
        group_type=_choice(args, "group_type", GROUP_TYPES),
        measure_type=_choice(args, "measure_type", MEASURE_TYPES),
        paging=parse_paging(args),
    )
