"""Interface labels for the domain's vocabularies, translated through Babel."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from survey.models.enums import (
    Audience,
    CloseReason,
    DisabilityType,
    Focus,
    HoldReason,
    Level,
    ReportType,
    Role,
    TrajectoryStatus,
)
from survey.models.evaluation import Answer, Decision, GoalProgress

_ALL_LABELS: list[tuple[enum.Enum, object]] = [
    (Role.ADMIN, _l("Administrator")),
    (Role.COORDINATOR, _l("Quality coordinator")),
    (Role.COACH, _l("Learning-support coach")),
    (Role.SCHOOL, _l("School")),
    (Focus.PUPIL, _l("Pupil-directed")),
    (Focus.TEACHER, _l("Teacher-directed")),
    (Focus.TEAM, _l("Team-directed")),
    (ReportType.GC, _l("GC (common curriculum)")),
    (ReportType.IAC, _l("IAC (individually adapted curriculum)")),
    (ReportType.OV4, _l("OV4 (training form 4)")),
    (DisabilityType.BA, _l("Basic offer (BA)")),
    (DisabilityType.TYPE_2, _l("Type 2 (intellectual disability)")),
    (DisabilityType.TYPE_3, _l("Type 3 (emotional or behavioural disorder)")),
    (DisabilityType.TYPE_4, _l("Type 4 (motor disability)")),
    (DisabilityType.TYPE_6, _l("Type 6 (visual impairment)")),
    (DisabilityType.TYPE_7, _l("Type 7 (hearing or speech-language impairment)")),
    (DisabilityType.TYPE_9, _l("Type 9 (autism)")),
    (Level.KLEUTER, _l("Pre-school")),
    (Level.LAGER, _l("Primary")),
    (Level.SECUNDAIR, _l("Secondary")),
    (Level.HBO5, _l("HBO5 nursing")),
    (TrajectoryStatus.REQUESTED, _l("Requested")),
    (TrajectoryStatus.ACTIVE, _l("Active")),
    (TrajectoryStatus.ON_HOLD, _l("On hold")),
    (TrajectoryStatus.CLOSED, _l("Closed")),
    (HoldReason.NO_PUPIL_SUPPORT_NEEDED, _l("No more need for pupil support")),
    (HoldReason.SCHOOL_TAKES_OVER, _l("School takes over the care")),
    (HoldReason.PRIORITISING, _l("Prioritising")),
    (HoldReason.PUPIL_DECLINES, _l("Pupil judges support no longer needed")),
    (HoldReason.PUPIL_ABSENT, _l("Pupil not present at school")),
    (HoldReason.NO_TEACHER_SUPPORT_NEEDED, _l("No more need for teacher support")),
    (HoldReason.NO_HOURS_AVAILABLE, _l("No support hours available yet")),
    (HoldReason.OTHER, _l("Other reason")),
    (CloseReason.GOALS_REACHED, _l("Goals reached")),
    (CloseReason.SCHOOL_TAKES_OVER, _l("School takes over the care")),
    (CloseReason.PUPIL_LEFT_SCHOOL, _l("Pupil left the school")),
    (CloseReason.SPECIAL_EDUCATION, _l("Pupil moved to special education")),
    (CloseReason.REPORT_ENDED, _l("Report no longer valid")),
    (CloseReason.FAMILY_DECLINES, _l("Parents no longer want support")),
    (CloseReason.OTHER, _l("Other reason")),
    (Audience.PUPIL, _l("Pupil")),
    (Audience.PARENT, _l("Parent")),
    (Audience.TEACHER, _l("Teacher")),
    (Audience.SCHOOL, _l("School team")),
    (Audience.COACH, _l("Coach")),
    (Decision.CONTINUE, _l("Continue the support")),
    (Decision.REDUCE, _l("Reduce frequency or intensity")),
    (Decision.INTENSIFY, _l("Intensify the support")),
    (Decision.ON_HOLD, _l("Put on hold")),
    (Decision.CLOSE, _l("Close the trajectory")),
    (Answer.YES, _l("Yes")),
    (Answer.PARTLY, _l("Partly")),
    (Answer.NO, _l("No")),
    (GoalProgress.REACHED, _l("Reached")),
    (GoalProgress.PARTLY, _l("Partly reached")),
    (GoalProgress.NOT_YET, _l("Not yet")),
]


# Keyed by (class, value): StrEnum members of different classes with the same value
# (Focus.PUPIL and Audience.PUPIL) are equal, so they cannot be keys of one dictionary.
LABELS: dict[tuple[type, str], object] = {
    (type(member), member.value): text for member, text in _ALL_LABELS
}


THEME_LABELS: dict[str, object] = {
    "opdracht": _l("Purpose of the support"),
    "rollen": _l("Roles and tasks"),
    "doelgerichtheid": _l("Clear goals"),
    "leersteundomeinen": _l("Domains of support"),
    "vorm": _l("Form, duration and intensity"),
    "communicatie": _l("Communication and coordination"),
    "resultaat": _l("Focus on results"),
    "participatie": _l("Participation and growth"),
    "empowerment": _l("Empowering the context"),
    "algemeen": _l("Overall satisfaction"),
    "betrokkenheid": _l("Involvement"),
    "gehoord": _l("Being heard"),
    "effect": _l("Effect of the support"),
    "toegankelijkheid": _l("Accessibility"),
    "leervraag": _l("Learning question"),
    "professionalisering": _l("Professional growth"),
    "inbedding": _l("Embedding in class practice"),
    "samenwerking": _l("Cooperation"),
    "welbevinden": _l("Well-being"),
}


def theme_label(theme: str) -> str:
    return str(THEME_LABELS.get(theme, theme))


def label(value: enum.Enum | None) -> str:
    """The translated label of a vocabulary value; an empty string for ``None``."""
    if value is None:
        return ""
    return str(LABELS[(type(value), value.value)])


# Profile bands of a top-2 share (analysis.summary): 75 % and 50 % split them.
PROFILE_LABELS: dict[str, object] = {
    "strength": _l("Strength"),
    "opportunity": _l("Room to grow"),
    "challenge": _l("Challenge"),
    "uncertain": _l("Uncertain"),
    "insufficient": _l("Too few answers"),
}


def profile_label(profile: str | None) -> str:
    return str(PROFILE_LABELS.get(profile or "", profile or ""))
