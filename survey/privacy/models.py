"""The tables of answers in transit: spent links, drafts, the inbox, and the key's check value.

None of them has a column that names an invitation, an address or a person, and none is
written on the respondent's path together with anything that does (docs/anonymity.md).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import db
from survey.models.base import enum_column
from survey.models.enums import Audience


class SpentLink(db.Model):
    """A link that has been answered, known only by its keyed nullifier.

    The campaign and audience are those the link itself carries, so answers can be counted
    per campaign without knowing which invitation was spent.
    """

    __tablename__ = "spent_link"

    nullifier: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    audience: Mapped[Audience] = enum_column(Audience, "audience")


class ResponseDraft(db.Model):
    """Answers saved part-way, sealed under a key only the link's token can derive."""

    __tablename__ = "response_draft"

    # Derived from the token: without the token nobody can tell whose draft this is.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Closing a campaign deletes its drafts; the campaign is in the link anyway.
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    updated_on: Mapped[date]


class ResponseInbox(db.Model):
    """An anonymous answer waiting for a batch of k, sealed under the inbox key.

    Its published attributes are inside the seal; only the campaign is in clear, which the
    spent link written in the same transaction names anyway.
    """

    __tablename__ = "response_inbox"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class AnonymityKeyCheck(db.Model):
    """A check value of the anonymity key (never the key): a wrong key is refused at start."""

    __tablename__ = "anonymity_key_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
