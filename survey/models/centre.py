"""Centres (the tenant boundary) and the schools they work with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import utcnow


class Centre(db.Model):
    """A leersteuncentrum. Every staff query is scoped to one centre."""

    __tablename__ = "centre"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    schools: Mapped[list[School]] = relationship(back_populates="centre", order_by="School.name")

    def __repr__(self) -> str:
        return f"<Centre {self.code}>"


class School(db.Model):
    """A mainstream school the centre supports, identified by its instellingsnummer."""

    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("centre_id", "institution_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    institution_number: Mapped[str] = mapped_column(String(12))
    # Level values (survey.models.enums.Level): a school can teach several.
    levels: Mapped[list[str]] = mapped_column(JSON, default=list)

    centre: Mapped[Centre] = relationship(back_populates="schools")

    def __repr__(self) -> str:
        return f"<School {self.institution_number} {self.name}>"
