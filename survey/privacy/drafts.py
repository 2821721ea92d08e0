"""Drafts sealed under a key only the link's token can derive, stored under an id likewise.

A pupil's form saves after every screen and an adult's after every page, so drafts are
written many times per respondent: none of those writes may name or lock the invitation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, literal, select

from survey.extensions import db
from survey.privacy.models import ResponseDraft
from survey.privacy.sealing import SealError, seal_json, unseal_json
from survey.privacy.spending import dialect_insert, lock_link, spent_clause
from survey.privacy.tokens import Link


def _context(link: Link) -> bytes:
    return b"draft:" + link.draft_id.encode("ascii")


def open_draft(link: Link, sealed: bytes | None) -> dict[str, Any] | None:
    """The answers of a sealed draft; ``None`` for none (or one sealed under an older key)."""
    if sealed is None:
        return None
    try:
        return unseal_json(link.draft_key, sealed, _context(link))
    except SealError:
        return None


def save_draft(link: Link, answers: dict[str, Any], today: date, bucket: int) -> bool:
    """Keep the answers given so far; ``False`` when the link was answered meanwhile.

    One statement, which writes only while the link is unspent, under the link's lock so that
    a save in one tab and a submission in another cannot interleave. The upsert lets two tabs
    that save their first draft at the same moment both succeed.
    """
    lock_link(link)
    drafts = ResponseDraft.__table__
    sealed = seal_json(link.draft_key, answers, _context(link), bucket)
    unspent = select(
        literal(link.draft_id, drafts.c.id.type),
        literal(link.campaign_id, drafts.c.campaign_id.type),
        literal(sealed, drafts.c.sealed.type),
        literal(today, drafts.c.updated_on.type),
    ).where(~spent_clause(link.nullifier))
    upsert = dialect_insert(drafts).from_select(
        ["id", "campaign_id", "sealed", "updated_on"], unspent
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[drafts.c.id],
        set_={"sealed": upsert.excluded.sealed, "updated_on": upsert.excluded.updated_on},
    )
    return db.session.execute(upsert.returning(drafts.c.id)).first() is not None


def delete_draft(link: Link) -> None:
    drafts = ResponseDraft.__table__
    db.session.execute(delete(drafts).where(drafts.c.id == link.draft_id))


def delete_campaign_drafts(campaign_id: int) -> None:
    drafts = ResponseDraft.__table__
    db.session.execute(delete(drafts).where(drafts.c.campaign_id == campaign_id))
