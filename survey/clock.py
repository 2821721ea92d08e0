"""Today's date in Flanders: campaigns open and close by the Belgian calendar day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def today() -> date:
    return datetime.now(BRUSSELS).date()
