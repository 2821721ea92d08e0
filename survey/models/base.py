"""Column helpers shared by the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def enum_type(enum_cls: type[enum.Enum], name: str) -> SAEnum:
    """A portable enum column: a VARCHAR with a named CHECK constraint, storing the values.

    Native PostgreSQL enums need an ALTER TYPE for every new value; a CHECK constraint is
    changed by an ordinary migration on both databases.
    """
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(member.value) for member in enum_cls) + 8,
        values_callable=lambda members: [member.value for member in members],
    )


def enum_column(enum_cls: type[enum.Enum], name: str, **kwargs: Any) -> Any:
    return mapped_column(enum_type(enum_cls, name), **kwargs)
