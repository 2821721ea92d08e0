"""Spending a link: a nullifier written, nothing about the invitation touched.

Of two concurrent submissions of one link, the second's insert meets the first's primary key
and stores nothing. A draft save and a submission of the same link are serialised by
:func:`lock_link`, so a draft can never be written after its link was spent.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import BindParameter, Exists, Table, func, select, text
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from survey.extensions import db
from survey.privacy.models import SpentLink
from survey.privacy.tokens import Link

# Each dialect's own INSERT ... ON CONFLICT.
INSERT_ON_CONFLICT = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def dialect_insert(table: Table) -> PostgresqlInsert | SqliteInsert:
    return INSERT_ON_CONFLICT[db.session.get_bind().dialect.name](table)


def lock_link(link: Link) -> None:
    """Hold this link's lock until the transaction ends (PostgreSQL; SQLite has one writer).

    An advisory lock, not a row lock: locking a row writes the locker's transaction id into
    that row, and nothing may tie the respondent's transactions to a stored row.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": link.lock_key})


def spent_clause(nullifier: str | BindParameter) -> Exists:
    """EXISTS a spent link with this nullifier (a value, or a bound parameter)."""
    spent = SpentLink.__table__
    return select(spent.c.nullifier).where(spent.c.nullifier == nullifier).exists()


def is_spent(link: Link) -> bool:
    return bool(db.session.scalar(select(spent_clause(link.nullifier))))


def spend(link: Link) -> bool:
    """Record the link as answered; ``False`` when it already was. Caller holds lock_link."""
    spent = SpentLink.__table__
    statement = (
        dialect_insert(spent)
        .values(nullifier=link.nullifier, campaign_id=link.campaign_id, audience=link.audience)
        .on_conflict_do_nothing(index_elements=[spent.c.nullifier])
        .returning(spent.c.nullifier)
    )
    return db.session.execute(statement).first() is not None


def spent_counts(campaign_ids: Iterable[int]) -> dict[int, int]:
    """Links answered per campaign, for internal bookkeeping (pages show published counts)."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(SpentLink.campaign_id, func.count())
        .where(SpentLink.campaign_id.in_(ids))
        .group_by(SpentLink.campaign_id)
    )
    return dict(rows.all())
