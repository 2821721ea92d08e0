"""The council report (leersteunraad): satisfaction statistics and trajectory figures.

One function builds the whole report for a centre and a school year, with every figure below
the anonymity threshold already removed. The page, the PDF, the XLSX and CSV exports and the
API all read that one object, so no output can show what another hides, and a user's view
(a school, a coach) is cut from the same suppressed report rather than computed anew:
computing suppression per viewer would let two viewers' reports be subtracted.

Only ``anonymous_response`` is read for satisfaction figures (never the inbox of unpublished
answers), and never the feedbackmatrix, which is per trajectory and open by design.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
from flask import current_app
from flask_babel import get_locale
from sqlalchemy import String, func, select, type_coerce

from analysis import (
    Alpha,
    Scale,
    adjust_pvalues,
    compare_items,
    cronbach_alpha,
    likert_to_float,
    mean_ci,
    summarize_groups,
)
from questionnaires.schema import Questionnaire
from survey import clock
from survey.extensions import db
from survey.models import (
    AnonymousAnswer,
    AnonymousComment,
    AnonymousResponse,
    Audience,
    Campaign,
    Centre,
    Invitation,
    QuestionnaireMode,
    QuestionnaireVersion,
    Role,
    School,
    StaffUser,
    Trajectory,
    TrajectoryStatusChange,
)
from survey.questionnaire_versions.services import questionnaire_for
from survey.reports.scrub import Placeholders, scrub
from survey.reports.suppression import hidden_cells
from survey.reports.trajectory_figures import TrajectoryFigures, trajectory_figures
from survey.schoolyear import school_year_bounds, school_year_of

# Audiences of the satisfaction surveys, in the order the report shows them.
AUDIENCES = (Audience.PARENT, Audience.PUPIL, Audience.TEACHER, Audience.SCHOOL)

GroupKey = tuple[str, int | None]
CENTRE: GroupKey = ("centre", None)
# Answers from centre-wide campaigns carry no school (and teacher answers may carry no
# coach): they count in the centre's total but are never a row of their own.
NO_SCHOOL: GroupKey = ("school", None)
NO_COACH: GroupKey = ("coach", None)


class ReportRefused(ValueError):
    """A selection that would narrow a group below the threshold; the message says why."""


@dataclass(frozen=True)
class Period:
    """A school year, optionally narrowed to a custom window for the trajectory figures."""

    school_year: str
    start: date
    end: date

    @property
    def is_custom(self) -> bool:
        return (self.start, self.end) != school_year_bounds(self.school_year)

    @property
    def previous_school_year(self) -> str:
        first = int(self.school_year[:4]) - 1
        return f"{first}-{first + 1}"


def period_for(school_year: str, start: date | None = None, end: date | None = None) -> Period:
    """A period inside one school year; raises ``ValueError`` with a reason otherwise."""
    first, last = school_year_bounds(school_year)
    start, end = start or first, end or last
    if start > end:
        raise ValueError("the period ends before it starts")
    return Period(school_year, start, end)


@dataclass(frozen=True)
class Group:
    kind: str  # "centre", "school" or "coach"
    id: int | None
    name: str
    code: str = ""  # a school's instellingsnummer

    @property
    def key(self) -> GroupKey:
        return (self.kind, self.id)


@dataclass(frozen=True)
class Measure:
    """A statement (item) or a theme score of one audience's questionnaire."""

    id: str
    kind: str  # "item" or "theme"
    theme: str
    text: str
    scale: Scale
    scale_labels: tuple[str, ...] = ()
    dont_know_label: str = ""


@dataclass(frozen=True)
class Figure:
    """The statistics of one group on one measure; ``hidden`` ones carry no numbers at all."""

    hidden: bool
    n: int | None = None
    counts: tuple[int, ...] | None = None
    dont_know: int | None = None
    top2: float | None = None
    top2_low: float | None = None
    top2_high: float | None = None
    mean: float | None = None
    mean_low: float | None = None
    mean_high: float | None = None
    profile: str | None = None
    alpha: Alpha | None = None


HIDDEN = Figure(hidden=True)


@dataclass(frozen=True)
class Difference:
    """This school year minus the previous one, for one item at centre level."""

    top2: float
    top2_low: float
    top2_high: float
    mean: float
    mean_low: float
    mean_high: float
    p_holm: float

    @property
    def is_clear(self) -> bool:
        """True when the difference holds after Holm's correction for all items compared."""
        return bool(self.p_holm < 0.05)


@dataclass(frozen=True)
class CommentSet:
    question_id: str
    question: str
    comments: tuple[str, ...]


@dataclass
class AudienceResult:
    audience: Audience
    titles: tuple[str, ...]
    measures: list[Measure]
    respondents: dict[GroupKey, int | None]
    invitations: int | None
    previous_respondents: int | None
    figures: dict[tuple[GroupKey, str], Figure]
    previous: dict[str, Figure]
    differences: dict[str, Difference]
    comments: dict[GroupKey, list[CommentSet] | None]
    schools: list[Group]
    coaches: list[Group]

    @property
    def total(self) -> int | None:
        return self.respondents.get(CENTRE)

    @property
    def response_rate(self) -> float | None:
        if self.total is None or not self.invitations or self.total > self.invitations:
            return None
        return self.total / self.invitations

    def figure(self, group: GroupKey, measure: str) -> Figure:
        return self.figures.get((group, measure), HIDDEN)

    @property
    def overall(self) -> Measure | None:
        """The overall-satisfaction statement (theme ``algemeen``), the tables' headline."""
        return next((m for m in self.measures if m.kind == "item" and m.theme == "algemeen"), None)

    def themes(self) -> list[tuple[Measure | None, list[Measure]]]:
        """Theme scores with their statements, in questionnaire order."""
        out: list[tuple[Measure | None, list[Measure]]] = []
        for theme in dict.fromkeys(m.theme for m in self.measures if m.kind == "item"):
            score = next((m for m in self.measures if m.kind == "theme" and m.theme == theme), None)
            out.append((score, [m for m in self.measures if m.kind == "item" and m.theme == theme]))
        return out


@dataclass(frozen=True)
class CentreInfo:
    """The centre as the report needs it: plain values, so a cached report outlives its session."""

    id: int
    code: str
    name: str


@dataclass
class CouncilReport:
    centre: CentreInfo
    period: Period
    threshold: int
    comment_threshold: int
    generated_on: date
    audiences: list[AudienceResult]
    trajectories: TrajectoryFigures
    # Who the report was cut for: None for the whole centre, else the one school or coach.
    school: Group | None = None
    coach: Group | None = None
    groups: dict[GroupKey, Group] = field(default_factory=dict)

    @property
    def has_answers(self) -> bool:
        return any(result.total for result in self.audiences)


# ------------------------------------------------------------------------- loading answers


@dataclass
class _Answers:
    """The published answers of one audience in one school year, as arrays."""

    schools: np.ndarray  # school id per respondent, -1 for none
    coaches: np.ndarray  # coach id per respondent, -1 for none
    codes: np.ndarray  # respondents x items, -1 for not answered
    items: list[str]
    response_ids: list[Any]


def _load_answers(centre: Centre, school_year: str, audience: Audience, items: list[str]):
    scope = (
        AnonymousResponse.centre_id == centre.id,
        AnonymousResponse.school_year == school_year,
        AnonymousResponse.audience == audience,
    )
    # Ids as plain strings: converting half a million UUID objects costs seconds and buys
    # nothing here, the id only joins answers to their respondent.
    response_id = type_coerce(AnonymousResponse.id, String)
    # Core execution on the session's connection: the ORM's per-row bookkeeping would double
    # the time for half a million plain tuples.
    connection = db.session.connection()
    respondents = connection.execute(
        select(response_id, AnonymousResponse.school_id, AnonymousResponse.coach_id).where(*scope)
    ).all()
    index = {row[0]: i for i, row in enumerate(respondents)}
    column = {item: i for i, item in enumerate(items)}
    codes = np.full((len(index), len(items)), -1, dtype=np.int64)
    answers = connection.execute(
        select(
            type_coerce(AnonymousAnswer.response_id, String),
            AnonymousAnswer.item_id,
            AnonymousAnswer.value,
        )
        .join(AnonymousResponse)
        .where(*scope, AnonymousAnswer.item_id.in_(items))
    ).all()
    if answers:
        rows = np.fromiter((index[a[0]] for a in answers), dtype=np.int64, count=len(answers))
        cols = np.fromiter((column[a[1]] for a in answers), dtype=np.int64, count=len(answers))
        values = np.fromiter((a[2] for a in answers), dtype=np.int64, count=len(answers))
        codes[rows, cols] = values
    return _Answers(
        np.fromiter((-1 if r[1] is None else r[1] for r in respondents), dtype=np.int64),
        np.fromiter((-1 if r[2] is None else r[2] for r in respondents), dtype=np.int64),
        codes,
        items,
        list(index),
    )


def _questionnaires(centre: Centre, years: Iterable[str]) -> dict[Audience, list[Questionnaire]]:
    """The anonymous questionnaire versions answered per audience, newest first."""
    pairs = db.session.execute(
        select(AnonymousResponse.audience, AnonymousResponse.questionnaire_version_id)
        .where(
            AnonymousResponse.centre_id == centre.id,
            AnonymousResponse.school_year.in_(list(years)),
        )
        .distinct()
    ).all()
    versions = {
        version.id: version
        for version in db.session.scalars(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.id.in_({version_id for _, version_id in pairs}),
                QuestionnaireVersion.mode == QuestionnaireMode.ANONYMOUS,
            )
        )
    }
    found: dict[Audience, list[Questionnaire]] = defaultdict(list)
    for audience, version_id in sorted(
        pairs, key=lambda p: -versions[p[1]].version if p[1] in versions else 0
    ):
        if version_id in versions:
            version = versions[version_id]
            found[audience].append(questionnaire_for(version))
    return found


def _measures(audience: Audience, versions: list[Questionnaire], language: str) -> list[Measure]:
    seen: dict[str, Measure] = {}
    for questionnaire in versions:
        for item in questionnaire.items_for(audience.value):
            if item.id in seen:
                continue
            scale = questionnaire.scales[item.scale]
            seen[item.id] = Measure(
                id=item.id,
                kind="item",
                theme=item.theme,
                text=item.text_for(audience.value, language),
                scale=Scale(points=scale.points, positive=scale.positive),
                scale_labels=tuple(scale.labels.get(language) or scale.labels["nl"]),
                dont_know_label=scale.dont_know.get(language) or scale.dont_know["nl"],
            )
    items = list(seen.values())
    themes = []
    for theme in dict.fromkeys(m.theme for m in items):
        members = [m for m in items if m.theme == theme]
        # A theme of one statement would only repeat it; one of mixed scales has no mean.
        if len(members) > 1 and len({m.scale for m in members}) == 1:
            themes.append(
                Measure(
                    id=f"theme:{theme}", kind="theme", theme=theme, text="", scale=members[0].scale
                )
            )
    return items + themes


# ----------------------------------------------------------------------- computing figures


def _figure_from(summary, row: int, column: int) -> Figure:
    return Figure(
        hidden=False,
        n=int(summary.n[row, column]),
        counts=tuple(int(c) for c in summary.counts[row, column]),
        dont_know=int(summary.dont_know[row, column]),
        top2=float(summary.top2[row, column]),
        top2_low=float(summary.top2_low[row, column]),
        top2_high=float(summary.top2_high[row, column]),
        mean=float(summary.mean[row, column]),
        mean_low=float(summary.mean_low[row, column]),
        mean_high=float(summary.mean_high[row, column]),
        profile=str(summary.profile[row, column]),
    )


def _theme_scores(answers: _Answers, members: list[int]) -> np.ndarray:
    """Each respondent's mean over the theme's statements they rated (nan if none)."""
    values = likert_to_float(answers.codes[:, members])
    counted = (~np.isnan(values)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        return np.where(counted > 0, np.nansum(values, axis=1) / np.maximum(counted, 1), np.nan)


def _group_figures(
    answers: _Answers,
    measures: list[Measure],
    dimension: np.ndarray,
    kind: str,
    threshold: int,
    with_alpha: bool,
) -> dict[tuple[GroupKey, str], Figure]:
    """Figures of every group along one dimension (all rows in one group for the centre)."""
    out: dict[tuple[GroupKey, str], Figure] = {}
    group_ids = np.unique(dimension) if dimension.size else np.zeros(0, dtype=np.int64)

    def key(group_id: int) -> GroupKey:
        if kind == "centre":
            return CENTRE
        return (kind, None if group_id == -1 else int(group_id))

    items = [m for m in measures if m.kind == "item"]
    for scale in dict.fromkeys(m.scale for m in items):
        block = [m for m in items if m.scale == scale]
        columns = [answers.items.index(m.id) for m in block]
        summary = summarize_groups(answers.codes[:, columns], dimension, scale, groups=group_ids)
        for j, measure in enumerate(block):
            counts = {key(g): int(summary.n[i, j]) for i, g in enumerate(group_ids)}
            hidden = _hide(counts, threshold, kind)
            for i, g in enumerate(group_ids):
                if key(g) not in hidden and key(g) not in (NO_SCHOOL, NO_COACH):
                    out[(key(g), measure.id)] = _figure_from(summary, i, j)

    for measure in (m for m in measures if m.kind == "theme"):
        members = [answers.items.index(m.id) for m in items if m.theme == measure.theme]
        scores = _theme_scores(answers, members)
        counts = {
            key(g): int((~np.isnan(scores[dimension == g])).sum()) for g in group_ids.tolist()
        }
        hidden = _hide(counts, threshold, kind)
        for g in group_ids.tolist():
            if key(g) in hidden or key(g) in (NO_SCHOOL, NO_COACH):
                continue
            mask = dimension == g
            group_scores = scores[mask]
            group_scores = group_scores[~np.isnan(group_scores)]
            interval = mean_ci(group_scores)
            alpha = None
            if with_alpha:
                alpha = cronbach_alpha(likert_to_float(answers.codes[mask][:, members]))
            out[(key(g), measure.id)] = Figure(
                hidden=False,
                n=int(group_scores.size),
                mean=float(group_scores.mean()),
                mean_low=interval.low,
                mean_high=interval.high,
                alpha=alpha,
            )
    return out


def _hide(counts: dict[GroupKey, int], threshold: int, kind: str) -> set[GroupKey]:
    if kind == "centre":
        return {key for key, n in counts.items() if n < threshold}
    return hidden_cells(counts, threshold, unpublished=[NO_SCHOOL, NO_COACH])


def _respondents(
    dimension: np.ndarray, kind: str, threshold: int, universe: Iterable[int]
) -> dict[GroupKey, int | None]:
    counts: dict[GroupKey, int] = {(kind, g): 0 for g in universe}
    for g, n in zip(*np.unique(dimension, return_counts=True), strict=True):
        counts[(kind, None if g == -1 else int(g))] = int(n)
    hidden = hidden_cells(counts, threshold, unpublished=[NO_SCHOOL, NO_COACH])
    return {
        key: (None if key in hidden else n)
        for key, n in counts.items()
        if key not in (NO_SCHOOL, NO_COACH)
    }


def _comments(
    centre: Centre,
    school_year: str,
    audience: Audience,
    versions: list[Questionnaire],
    respondents: dict[GroupKey, int],
    threshold: int,
    language: str,
) -> dict[GroupKey, list[CommentSet] | None]:
    """Scrubbed comments of the centre and of each school, each only above the threshold."""
    school_counts = {key: n for key, n in respondents.items() if key[0] == "school"}
    hidden = hidden_cells(school_counts, threshold, unpublished=[NO_SCHOOL])
    shown: set[GroupKey] = {key for key in school_counts if key not in hidden} - {NO_SCHOOL}
    if respondents.get(CENTRE, 0) >= threshold:
        shown.add(CENTRE)
    result: dict[GroupKey, list[CommentSet] | None] = {
        key: None for key in (*school_counts, CENTRE) if key != NO_SCHOOL
    }
    if not shown:
        return result
    questions: dict[str, str] = {}
    for questionnaire in versions:
        for question in questionnaire.open_questions:
            questions.setdefault(question.id, question.text_for(audience.value, language))
    rows = db.session.execute(
        select(AnonymousResponse.school_id, AnonymousComment.question_id, AnonymousComment.text)
        .join(AnonymousComment)
        .where(
            AnonymousResponse.centre_id == centre.id,
            AnonymousResponse.school_year == school_year,
            AnonymousResponse.audience == audience,
        )
    ).all()
    names = db.session.scalars(select(StaffUser.name).where(StaffUser.centre_id == centre.id))
    known = list(names)
    marks = _placeholders()
    texts: dict[tuple[GroupKey, str], list[str]] = defaultdict(list)
    for school_id, question_id, text in rows:
        if not text.strip():
            continue
        cleaned = scrub(text.strip(), marks, known)
        for key in (CENTRE, ("school", school_id)):
            if key in shown:
                texts[(key, question_id)].append(cleaned)
    for key in shown:
        result[key] = [
            # Ordered by a hash of the text: says nothing about the order of answers, and the
            # first comments shown are a fair sample rather than those starting with "A".
            CommentSet(
                qid,
                questions.get(qid, qid),
                tuple(sorted(texts[(key, qid)], key=lambda t: hashlib.sha256(t.encode()).digest())),
            )
            for qid in questions
            if texts[(key, qid)]
        ]
    return result


def _placeholders() -> Placeholders:
    from flask_babel import gettext as _

    return Placeholders(
        email=_("[e-mail address]"),
        phone=_("[phone number]"),
        national_number=_("[national register number]"),
        name=_("[name]"),
    )


def _invitations(centre: Centre, period: Period, audience: Audience) -> int:
    first, last = school_year_bounds(period.school_year)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .join(Campaign)
            .join(
                QuestionnaireVersion, Campaign.questionnaire_version_id == QuestionnaireVersion.id
            )
            .where(
                Campaign.centre_id == centre.id,
                QuestionnaireVersion.mode == QuestionnaireMode.ANONYMOUS,
                Invitation.audience == audience,
                Invitation.created_on.between(first, last),
            )
        )
        or 0
    )


def _differences(
    current: _Answers, previous: _Answers, measures: list[Measure], shown: set[str]
) -> dict[str, Difference]:
    compared: list[tuple[str, Any]] = []
    for measure in measures:
        if measure.kind != "item" or measure.id not in shown or measure.id not in previous.items:
            continue
        a = current.codes[:, current.items.index(measure.id)]
        b = previous.codes[:, previous.items.index(measure.id)]
        compared.append((measure.id, compare_items(a, b, measure.scale)))
    # Holm over every item of the audience: ten items tested at 5 % would otherwise turn up
    # a "significant" change by chance in four reports out of ten.
    adjusted = adjust_pvalues([c.p_value for _, c in compared], "holm") if compared else []
    return {
        item: Difference(
            c.top2_diff,
            c.top2_diff_ci.low,
            c.top2_diff_ci.high,
            c.mean_diff,
            c.mean_diff_ci.low,
            c.mean_diff_ci.high,
            float(p),
        )
        for (item, c), p in zip(compared, adjusted, strict=True)
    }


def _language() -> str:
    try:
        return get_locale().language
    except (AttributeError, RuntimeError):
        return "nl"


def build_report(centre: Centre, period: Period) -> CouncilReport:
    """The whole centre's council report for one period, with suppression applied."""
    threshold = current_app.config["ANONYMITY_THRESHOLD"]
    comment_threshold = max(current_app.config["COMMENT_THRESHOLD"], threshold)
    language = _language()
    schools = db.session.scalars(
        select(School).where(School.centre_id == centre.id).order_by(School.name)
    ).all()
    coaches = db.session.scalars(
        select(StaffUser)
        .where(StaffUser.centre_id == centre.id, StaffUser.role == Role.COACH)
        .order_by(StaffUser.name)
    ).all()
    groups = {CENTRE: Group("centre", None, centre.name)}
    groups |= {
        ("school", s.id): Group("school", s.id, s.name, s.institution_number) for s in schools
    }
    groups |= {("coach", c.id): Group("coach", c.id, c.name) for c in coaches}
    school_ids = [s.id for s in schools]
    coach_ids = [c.id for c in coaches]

    versions = _questionnaires(centre, [period.school_year, period.previous_school_year])
    results = []
    for audience in AUDIENCES:
        if audience not in versions:
            continue
        measures = _measures(audience, versions[audience], language)
        items = [m.id for m in measures if m.kind == "item"]
        current = _load_answers(centre, period.school_year, audience, items)
        previous = _load_answers(centre, period.previous_school_year, audience, items)
        all_rows = np.zeros(len(current.response_ids), dtype=np.int64)
        total = len(current.response_ids)
        respondents: dict[GroupKey, int | None] = {CENTRE: total if total >= threshold else None}
        respondents |= _respondents(current.schools, "school", threshold, school_ids)
        figures = _group_figures(current, measures, all_rows, "centre", threshold, True)
        figures |= _group_figures(current, measures, current.schools, "school", threshold, False)
        if audience is Audience.TEACHER:
            respondents |= _respondents(current.coaches, "coach", threshold, coach_ids)
            figures |= _group_figures(current, measures, current.coaches, "coach", threshold, False)
        previous_total = len(previous.response_ids)
        previous_figures = _group_figures(
            previous,
            measures,
            np.zeros(previous_total, dtype=np.int64),
            "centre",
            threshold,
            True,
        )
        shown_now = {m for (g, m) in figures if g == CENTRE}
        shown_before = {m for (g, m) in previous_figures if g == CENTRE}
        raw_counts = {CENTRE: total}
        for g, n in zip(*np.unique(current.schools, return_counts=True), strict=True):
            raw_counts[("school", None if g == -1 else int(g))] = int(n)
        for s in school_ids:
            raw_counts.setdefault(("school", s), 0)
        results.append(
            AudienceResult(
                audience=audience,
                titles=tuple(
                    dict.fromkeys(
                        q.title.get(language) or q.title["nl"] for q in versions[audience]
                    )
                ),
                measures=measures,
                respondents=respondents,
                invitations=_invitations(centre, period, audience),
                previous_respondents=previous_total if previous_total >= threshold else None,
                figures=figures,
                previous={m: f for (g, m), f in previous_figures.items() if g == CENTRE},
                differences=_differences(current, previous, measures, shown_now & shown_before),
                comments=_comments(
                    centre,
                    period.school_year,
                    audience,
                    versions[audience],
                    raw_counts,
                    comment_threshold,
                    language,
                ),
                schools=[groups[("school", s)] for s in school_ids],
                coaches=[groups[("coach", c)] for c in coach_ids]
                if audience is Audience.TEACHER
                else [],
            )
        )
    return CouncilReport(
        centre=CentreInfo(centre.id, centre.code, centre.name),
        period=period,
        threshold=threshold,
        comment_threshold=comment_threshold,
        generated_on=clock.today(),
        audiences=results,
        trajectories=trajectory_figures(centre, period.start, period.end),
        groups=groups,
    )


# ------------------------------------------------------------------------------ viewers


def report_for(user: StaffUser, period: Period) -> CouncilReport:
    """The report as ``user`` may see it: cut from the centre's report, never recomputed.

    Coordinators and administrators see everything; a coach sees the centre, the schools and
    only their own coaching ratings; a school user sees the centre and their own school, and
    the trajectory figures of their school only.
    """
    report = cached_report(user.centre, period)
    if user.role is Role.SCHOOL:
        return restrict_to_school(report, user.school_id)
    if user.role is Role.COACH:
        return restrict_to_coach(report, user.id)
    return report


def restrict_to_school(report: CouncilReport, school_id: int) -> CouncilReport:
    own: GroupKey = ("school", school_id)
    audiences = [
        replace(
            result,
            respondents={k: v for k, v in result.respondents.items() if k in (CENTRE, own)},
            figures={k: v for k, v in result.figures.items() if k[0] in (CENTRE, own)},
            comments={own: result.comments.get(own)},
            schools=[s for s in result.schools if s.key == own],
            coaches=[],
        )
        for result in report.audiences
    ]
    return replace(
        report,
        audiences=audiences,
        school=report.groups[own],
        trajectories=trajectory_figures(
            report.centre, report.period.start, report.period.end, school_id=school_id
        ),
        groups={k: v for k, v in report.groups.items() if k in (CENTRE, own)},
    )


def school_selection(report: CouncilReport, school_id: int) -> CouncilReport:
    """A school's report chosen as a filter; refused when every respondent count is hidden.

    A school user's own report is never refused (it explains itself); a filter that would show
    nothing but gaps is, so page, CLI and API all give the same reason.
    """
    report = restrict_to_school(report, school_id)
    if all(result.respondents.get(report.school.key) is None for result in report.audiences):
        raise ReportRefused(str(school_id))
    return report


def restrict_to_coach(report: CouncilReport, coach_id: int) -> CouncilReport:
    own: GroupKey = ("coach", coach_id)

    def keep(key: GroupKey) -> bool:
        return key[0] != "coach" or key == own

    audiences = [
        replace(
            result,
            respondents={k: v for k, v in result.respondents.items() if keep(k)},
            figures={k: v for k, v in result.figures.items() if keep(k[0])},
            coaches=[c for c in result.coaches if c.key == own],
        )
        for result in report.audiences
    ]
    return replace(
        report,
        audiences=audiences,
        coach=report.groups.get(own),
        groups={k: v for k, v in report.groups.items() if keep(k)},
    )


def narrow(report: CouncilReport, audience: str | None) -> CouncilReport:
    """Keep one audience; refuse one with fewer than k respondents instead of showing nothing."""
    if not audience:
        return report
    kept = [r for r in report.audiences if r.audience.value == audience]
    if not kept or kept[0].total is None:
        raise ReportRefused(audience)
    return replace(report, audiences=kept)


def school_years(centre: Centre) -> list[str]:
    """School years with published answers, newest first, plus the current one."""
    years = set(
        db.session.scalars(
            select(AnonymousResponse.school_year)
            .where(AnonymousResponse.centre_id == centre.id)
            .distinct()
        )
    )
    years.add(school_year_of(clock.today()))
    return sorted(years, reverse=True)


def default_school_year(centre: Centre) -> str:
    """The newest school year with published answers: a council looks back on a year."""
    newest = db.session.scalar(
        select(func.max(AnonymousResponse.school_year)).where(
            AnonymousResponse.centre_id == centre.id
        )
    )
    return newest or school_year_of(clock.today())


# A read-only API is polled by dashboards; rebuilding a large centre's report for every page
# of every poll would cost seconds each. A built report is reused while nothing it depends on
# has visibly changed, and for at most CACHE_SECONDS (renamed schools or coaches show up then).
CACHE_SECONDS = 300
_CACHE_SIZE = 16
_cache: dict[tuple, tuple[tuple, float, CouncilReport]] = {}
# gunicorn runs several threads per worker: evicting and storing must not interleave.
_cache_lock = threading.Lock()
# One build per key at a time: when a dashboard's first requests for a big centre arrive
# together, the others wait for that build instead of each building the same report
# (bench/scale.py: parallel builds made the slowest request 30 s).
_build_locks: dict[tuple, threading.Lock] = {}


def _fingerprint(centre: Centre) -> tuple:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AnonymousResponse)
            .where(AnonymousResponse.centre_id == centre.id)
        ),
        db.session.scalar(
            select(func.max(TrajectoryStatusChange.id))
            .join(Trajectory)
            .where(Trajectory.centre_id == centre.id)
        ),
        db.session.scalar(select(func.max(Trajectory.id)).where(Trajectory.centre_id == centre.id)),
        clock.today(),
    )


def cached_report(centre: Centre, period: Period) -> CouncilReport:
    """:func:`build_report`, reused while the centre's data and the day are unchanged."""
    key = (
        centre.id,
        period,
        current_app.config["ANONYMITY_THRESHOLD"],
        current_app.config["COMMENT_THRESHOLD"],
        _language(),
    )
    fingerprint = _fingerprint(centre)
    fresh = _fresh_hit(key, fingerprint)
    if fresh is not None:
        return fresh
    with _cache_lock:
        building = _build_locks.setdefault(key, threading.Lock())
    with building:
        fresh = _fresh_hit(key, fingerprint)  # built by the request we waited for
        if fresh is not None:
            return fresh
        report = build_report(centre, period)
        with _cache_lock:
            while len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = (fingerprint, time.monotonic(), report)
            if len(_build_locks) > 4 * _CACHE_SIZE:
                # Locks of keys long gone. Should one be in use, a request arriving just now
                # builds that report a second time; nothing worse.
                _build_locks.clear()
    return report


def _fresh_hit(key: tuple, fingerprint: tuple) -> CouncilReport | None:
    hit = _cache.get(key)
    if hit is not None and hit[0] == fingerprint and time.monotonic() - hit[1] < CACHE_SECONDS:
        return hit[2]
    return None
