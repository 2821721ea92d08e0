"""Factories for domain objects; each flushes into the test's rolled-back transaction."""

from __future__ import annotations

import itertools
from datetime import date

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from survey.models import (
    Audience,
    Campaign,
    Centre,
    Decision,
    DisabilityType,
    Evaluation,
    Focus,
    Level,
    ReportType,
    Role,
    School,
    StaffUser,
    Trajectory,
    TrajectoryStatus,
)

TEST_PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)
# Argon2 keeps its parameters in the hash, so a hash made with the cheapest ones also verifies
# cheaply. The production cost (~0.1 s per hash and per login) would otherwise dominate the
# suite: the authorization matrix alone makes and logs in hundreds of users. The app's own
# hashing, and what tests/test_auth.py checks about it, is unchanged.
_CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(TEST_PASSWORD)


class Factories:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _save(self, obj):
        self.session.add(obj)
        self.session.flush()
        return obj

    def centre(self, code: str | None = None, name: str | None = None) -> Centre:
        number = next(_counter)
        return self._save(Centre(code=code or f"centre-{number}", name=name or f"LSC {number}"))

    def school(self, centre: Centre, name: str | None = None, number: str | None = None) -> School:
        serial = next(_counter)
        return self._save(
            School(
                centre=centre,
                name=name or f"Basisschool {serial}",
                institution_number=number or f"{800000 + serial}",
                levels=["kleuter", "lager"],
            )
        )

    def user(
        self,
        centre: Centre,
        role: Role = Role.COACH,
        email: str | None = None,
        school: School | None = None,
        password: str = TEST_PASSWORD,
    ) -> StaffUser:
        serial = next(_counter)
        user = StaffUser(
            centre=centre,
            email=email or f"user{serial}@example.org",
            name=f"Gebruiker {serial}",
            role=role,
            school=school,
        )
        if password == TEST_PASSWORD:
            user.password_hash = _CHEAP_HASH
        else:
            user.set_password(password)
        return self._save(user)

    def trajectory(
        self,
        school: School,
        code: str | None = None,
        coaches: list[StaffUser] | None = None,
        focus: Focus = Focus.PUPIL,
        on: date = date(2025, 9, 15),
    ) -> Trajectory:
        serial = next(_counter)
        trajectory = Trajectory.create(
            on=on,
            centre=school.centre,
            code=code or f"T-{serial:04d}",
            school=school,
            focus=focus,
            report_type=None if focus is Focus.TEAM else ReportType.GC,
            disability_type=DisabilityType.TYPE_9,
            level=Level.LAGER,
            start_date=on,
            coaches=coaches or [],
        )
        return self._save(trajectory)

    def active_trajectory(self, school: School, code: str, coach: StaffUser) -> Trajectory:
        """A trajectory that started in September 2025 and is active."""
        trajectory = self.trajectory(school, code=code, coaches=[coach], on=date(2025, 9, 1))
        trajectory.change_status(TrajectoryStatus.ACTIVE, on=date(2025, 9, 2))
        return trajectory

    def evaluation(self, trajectory: Trajectory) -> Evaluation:
        return self._save(
            Evaluation(
                trajectory=trajectory,
                held_on=date(2025, 12, 1),
                decision=Decision.CONTINUE,
                feedback_snapshot={},
            )
        )

    def school_campaign(
        self,
        school: School,
        questionnaire_id: str = "tevredenheid-ouders",
        audience: Audience = Audience.PARENT,
        opens_on: date = date(2025, 9, 1),
        closes_on: date = date(2026, 12, 31),
    ) -> Campaign:
        """An open satisfaction campaign for one school, through the app's service."""
        from survey.campaigns.services import create_campaign

        return create_campaign(
            centre=school.centre,
            questionnaire_id=questionnaire_id,
            audiences=[audience],
            opens_on=opens_on,
            closes_on=closes_on,
            school=school,
        )
