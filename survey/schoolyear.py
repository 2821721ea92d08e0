"""School years run from 1 September to 31 August (glossary: schooljaar)."""

from __future__ import annotations

import re
from datetime import date

_PATTERN = re.compile(r"^(\d{4})-(\d{4})$")


def school_year_of(day: date) -> str:
    """The school year a day falls in, as ``"2025-2026"``."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{start + 1}"


def school_year_bounds(school_year: str) -> tuple[date, date]:
    """First and last day of a school year written as ``"2025-2026"``.

    Raises ``ValueError`` for anything else, so a typo on the command line is reported rather
    than producing an empty report.
    """
    match = _PATTERN.match(school_year)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValueError(f"not a school year like 2025-2026: {school_year!r}")
    start = int(match.group(1))
    return date(start, 9, 1), date(start + 1, 8, 31)
