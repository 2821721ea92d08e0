"""The closed vocabularies of the domain (see BRIEF.md and its glossary).

Values are stored as the plain strings below, so a database dump reads on its own; their Dutch
labels live in :mod:`survey.labels`, through Babel.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    COACH = "coach"
    SCHOOL = "school"


class Focus(enum.StrEnum):
    PUPIL = "pupil"
    TEACHER = "teacher"
    TEAM = "team"


class ReportType(enum.StrEnum):
    GC = "GC"
    IAC = "IAC"
    OV4 = "OV4"


class DisabilityType(enum.StrEnum):
    BA = "BA"
    TYPE_2 = "2"
    TYPE_3 = "3"
    TYPE_4 = "4"
    TYPE_6 = "6"
    TYPE_7 = "7"
    TYPE_9 = "9"


class Level(enum.StrEnum):
    KLEUTER = "kleuter"
    LAGER = "lager"
    SECUNDAIR = "secundair"
    # HBO5 nursing also receives leersteun (BRIEF.md §1).
    HBO5 = "hbo5"


class TrajectoryStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class HoldReason(enum.StrEnum):
    """Why support is on hold, in the order a real council ranks them (most frequent first)."""

    NO_PUPIL_SUPPORT_NEEDED = "no_pupil_support_needed"
    SCHOOL_TAKES_OVER = "school_takes_over"
    PRIORITISING = "prioritising"
    PUPIL_DECLINES = "pupil_declines"
    PUPIL_ABSENT = "pupil_absent"
    NO_TEACHER_SUPPORT_NEEDED = "no_teacher_support_needed"
    NO_HOURS_AVAILABLE = "no_hours_available"
    OTHER = "other"


class CloseReason(enum.StrEnum):
    GOALS_REACHED = "goals_reached"
    SCHOOL_TAKES_OVER = "school_takes_over"
    PUPIL_LEFT_SCHOOL = "pupil_left_school"
    SPECIAL_EDUCATION = "special_education"
    REPORT_ENDED = "report_ended"
    FAMILY_DECLINES = "family_declines"
    OTHER = "other"


class Audience(enum.StrEnum):
    """Who answers: the perspectives of the feedbackmatrix and the satisfaction audiences."""

    PUPIL = "pupil"
    PARENT = "parent"
    TEACHER = "teacher"
    SCHOOL = "school"
    COACH = "coach"


class QuestionnaireMode(enum.StrEnum):
    OPEN = "open"
    ANONYMOUS = "anonymous"
