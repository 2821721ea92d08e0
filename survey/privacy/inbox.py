"""The inbox: anonymous answers sealed until a batch of k with identical attributes forms."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import insert

from questionnaires import Questionnaire
from survey.extensions import db
from survey.models import Audience, Campaign
from survey.privacy.keys import subkey
from survey.privacy.models import ResponseInbox
from survey.privacy.sealing import SealError, bucket_for, padded_size, seal_json, unseal_json
from survey.schoolyear import school_year_of


@dataclass(frozen=True)
class Attributes:
    """What a published anonymous answer says about where it came from, and nothing more."""

    centre_id: int
    school_year: str
    school_id: int | None
    audience: str
    coach_id: int | None
    questionnaire_version_id: int

    def without_coach(self) -> Attributes:
        return replace(self, coach_id=None)

    def without_school(self) -> Attributes:
        return replace(self, school_id=None, coach_id=None)


def attributes_for(campaign: Campaign, audience: Audience, today: date) -> Attributes:
    coach_id = None
    if audience is Audience.TEACHER and campaign.trajectory is not None:
        # A teacher rates the coaching received: the coach is one of the few attributes kept.
        coaches = campaign.trajectory.coaches
        coach_id = coaches[0].id if coaches else None
    return Attributes(
        centre_id=campaign.centre_id,
        school_year=school_year_of(today),
        school_id=campaign.school_id_for_responses,
        audience=audience.value,
        coach_id=coach_id,
        questionnaire_version_id=campaign.questionnaire_version_id,
    )


def _context(campaign_id: int) -> bytes:
    # The campaign is the row's one clear column; binding it makes a moved row fail to open.
    return f"inbox:{campaign_id}".encode("ascii")


def deposit(
    campaign: Campaign,
    questionnaire: Questionnaire,
    audience: Audience,
    values: dict[str, int],
    texts: dict[str, str],
    today: date,
) -> None:
    """Seal one anonymous answer into the inbox, padded to its questionnaire's bucket."""
    payload = {
        "attributes": asdict(attributes_for(campaign, audience, today)),
        "values": values,
        "texts": texts,
    }
    sealed = seal_json(subkey("inbox"), payload, _context(campaign.id), bucket_for(questionnaire))
    db.session.execute(
        insert(ResponseInbox.__table__).values(
            id=uuid.uuid4(), campaign_id=campaign.id, sealed=sealed
        )
    )


@dataclass
class Waiting:
    """An opened inbox row."""

    id: uuid.UUID
    campaign_id: int
    attributes: Attributes
    values: dict[str, int]
    texts: dict[str, str]


def open_waiting(row: Any, key: bytes) -> Waiting:
    data = unseal_json(key, row.sealed, _context(row.campaign_id))
    return Waiting(
        id=row.id,
        campaign_id=row.campaign_id,
        attributes=Attributes(**data["attributes"]),
        values=data["values"],
        texts=data["texts"],
    )


def open_all(rows: Sequence[Any], key: bytes) -> tuple[list[Waiting], int]:
    """The rows that open under ``key``, and how many do not.

    A row sealed under another key (restored from elsewhere, or written by a server with a
    wrong key) must not stop every batch from publishing: it is left alone and counted.
    """
    opened, unreadable = [], 0
    for row in rows:
        try:
            opened.append(open_waiting(row, key))
        except SealError:
            unreadable += 1
    return opened, unreadable


def reseal(row: Any, old_key: bytes, new_key: bytes) -> bytes:
    """The same row's content sealed under ``new_key`` (key rotation), its padding kept."""
    data = unseal_json(old_key, row.sealed, _context(row.campaign_id))
    return seal_json(new_key, data, _context(row.campaign_id), padded_size(row.sealed))
