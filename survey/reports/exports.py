"""The report in tidy long form (one row per group x measure x statistic) for CSV, XLSX and API.

Power BI and spreadsheets read long tables best: every figure is one row with its interval and
its n, so a dashboard can filter and pivot without parsing layouts. A hidden group is one row
with ``suppressed`` true and no value, so a gap shows as a gap and never as a zero.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from flask_babel import gettext as _

from survey.labels import theme_label
from survey.reports.services import CENTRE, AudienceResult, CouncilReport, Figure, Group
from survey.reports.trajectory_figures import Count

COLUMNS = (
    "centre",
    "school_year",
    "audience",
    "group_type",
    "group_id",
    "group_code",
    "group_name",
    "measure_type",
    "measure_id",
    "theme",
    "measure_text",
    "category",
    "statistic",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "suppressed",
    "compared_with",
)


@dataclass(frozen=True)
class Row:
    centre: str
    school_year: str
    audience: str
    group_type: str
    group_id: int | None
    group_code: str
    group_name: str
    measure_type: str
    measure_id: str
    theme: str
    measure_text: str
    category: str
    statistic: str
    value: float | str | None
    ci_low: float | None
    ci_high: float | None
    n: int | None
    suppressed: bool
    compared_with: str = ""

    def as_dict(self) -> dict:
        # Not dataclasses.asdict: it deep-copies every field, which is most of the export time.
        return {column: getattr(self, column) for column in COLUMNS}


def _num(value: float | None) -> float | None:
    """``None`` for undefined figures: a NaN in a CSV or JSON file reads as a number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 6)


def _figure_rows(base: dict, figure: Figure, kind: str, detail: bool = True) -> Iterator[Row]:
    if figure.hidden:
        yield Row(
            **base,
            category="",
            statistic="n",
            value=None,
            ci_low=None,
            ci_high=None,
            n=None,
            suppressed=True,
        )
        return

    def row(statistic: str, value, low=None, high=None, category: str = "") -> Row:
        return Row(
            **base,
            category=category,
            statistic=statistic,
            value=value,
            ci_low=_num(low),
            ci_high=_num(high),
            n=figure.n,
            suppressed=False,
        )

    # Visible figures carry n on every row; a separate "n" row is only needed for hidden ones.
    if kind == "item":
        if detail:
            for point, count in enumerate(figure.counts or (), start=1):
                yield row("count", count, category=str(point))
            yield row("count", figure.dont_know, category="dont_know")
        yield row("top2_share", _num(figure.top2), figure.top2_low, figure.top2_high)
        yield row("profile", figure.profile)
    yield row("mean", _num(figure.mean), figure.mean_low, figure.mean_high)
    if figure.alpha is not None:
        yield row("cronbach_alpha", _num(figure.alpha.value), figure.alpha.low, figure.alpha.high)


def _group_base(report: CouncilReport, result: AudienceResult, group: Group, year: str) -> dict:
    return {
        "centre": report.centre.code,
        "school_year": year,
        "audience": result.audience.value,
        "group_type": group.kind,
        "group_id": group.id,
        "group_code": group.code,
        "group_name": group.name,
    }


def _audience_rows(report: CouncilReport, result: AudienceResult) -> Iterator[Row]:
    year = report.period.school_year
    centre_group = report.groups[CENTRE]
    shown_groups = [centre_group, *result.schools, *result.coaches]
    empty = {"measure_type": "respondents", "measure_id": "", "theme": "", "measure_text": ""}
    for group in shown_groups:
        n = result.respondents.get(group.key)
        base = _group_base(report, result, group, year) | empty
        yield Row(
            **base,
            category="",
            statistic="respondents",
            value=n,
            ci_low=None,
            ci_high=None,
            n=n,
            suppressed=n is None,
        )
    base = _group_base(report, result, centre_group, year) | empty
    if result.total is not None:
        yield Row(
            **base,
            category="",
            statistic="invitations",
            value=result.invitations,
            ci_low=None,
            ci_high=None,
            n=result.total,
            suppressed=False,
        )
        yield Row(
            **base,
            category="",
            statistic="response_rate",
            value=_num(result.response_rate),
            ci_low=None,
            ci_high=None,
            n=result.total,
            suppressed=False,
        )
    for measure in result.measures:
        about = {
            "measure_type": measure.kind,
            "measure_id": measure.id,
            "theme": measure.theme,
            "measure_text": measure.text or theme_label(measure.theme),
        }
        for group in shown_groups:
            base = _group_base(report, result, group, year) | about
            # Answer counts per scale point for the report's own subject only (the centre, or
            # the school of a school report): for hundreds of schools they would multiply the
            # file by three while the share, mean and n already tell each school's story.
            detail = group.key in (CENTRE, report.school.key if report.school else CENTRE)
            figure = result.figure(group.key, measure.id)
            yield from _figure_rows(base, figure, measure.kind, detail)
        previous = result.previous.get(measure.id)
        if previous is not None:
            base = _group_base(report, result, centre_group, report.period.previous_school_year)
            yield from _figure_rows(base | about, previous, measure.kind)
        difference = result.differences.get(measure.id)
        if difference is not None:
            base = _group_base(report, result, centre_group, year) | about
            compared = {"compared_with": report.period.previous_school_year}
            common = {"category": "", "n": None, "suppressed": False} | compared
            yield Row(
                **base,
                **common,
                statistic="top2_share_difference",
                value=_num(difference.top2),
                ci_low=_num(difference.top2_low),
                ci_high=_num(difference.top2_high),
            )
            yield Row(
                **base,
                **common,
                statistic="mean_difference",
                value=_num(difference.mean),
                ci_low=_num(difference.mean_low),
                ci_high=_num(difference.mean_high),
            )
            yield Row(
                **base,
                **common,
                statistic="p_holm",
                value=_num(difference.p_holm),
                ci_low=None,
                ci_high=None,
            )


def _trajectory_rows(report: CouncilReport) -> Iterator[Row]:
    figures = report.trajectories
    group = report.school or report.groups[CENTRE]
    base = {
        "centre": report.centre.code,
        "school_year": report.period.school_year,
        "audience": "",
        "group_type": group.kind,
        "group_id": group.id,
        "group_code": group.code,
        "group_name": group.name,
        "measure_type": "trajectories",
        "theme": "",
        "ci_low": None,
        "ci_high": None,
        "suppressed": False,
    }

    def counts(measure_id: str, text: str, items: list[Count]) -> Iterator[Row]:
        for item in items:
            key = getattr(item.key, "value", item.key)
            common = base | {"measure_id": measure_id, "measure_text": text, "category": key}
            yield Row(**common, statistic="count", value=item.count, n=item.total)
            yield Row(**common, statistic="share", value=_num(item.share), n=item.total)

    yield from counts("active_by_report", _("Active by report type"), figures.by_report)
    yield from counts("active_by_report_detail", _("Active by report"), figures.by_report_detail)
    yield from counts("active_by_disability", _("Active by type"), figures.by_disability)
    yield from counts("active_by_level", _("Active by level"), figures.by_level)
    yield from counts("active_by_focus", _("Active by focus"), figures.by_focus)
    yield from counts("on_hold_by_reason", _("On hold by reason"), figures.on_hold_by_reason)
    yield from counts("closed_by_reason", _("Closed by reason"), figures.closed_by_reason)
    flow_text = _(
        "Flow from %(start)s to %(end)s",
        start=figures.start.isoformat(),
        end=figures.as_of.isoformat(),
    )
    for name, value in asdict(figures.flow).items():
        common = base | {"measure_id": "flow", "measure_text": flow_text, "category": name}
        yield Row(**common, statistic="count", value=value, n=None)


def tidy_rows(report: CouncilReport) -> list[Row]:
    """Every published figure of the report, hidden groups included as empty rows."""
    rows: list[Row] = []
    for result in report.audiences:
        rows.extend(_audience_rows(report, result))
    rows.extend(_trajectory_rows(report))
    return rows


# ------------------------------------------------------------------------------- files

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Power BI's
# Excel import ("=HYPERLINK(...)" from a school name or comment). OWASP's advice: prefix a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value)


def to_csv(report: CouncilReport) -> bytes:
    """UTF-8 with a BOM (so Excel reads accents), comma-separated, one header line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in tidy_rows(report):
        values = row.as_dict()
        writer.writerow(["" if values[c] is None else _cell(values[c]) for c in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: CouncilReport) -> bytes:
    """Sheet "data" in tidy form, "comments" with the scrubbed comments shown in the report."""
    from openpyxl import Workbook

    # Write-only mode streams rows instead of keeping a cell object per value in memory.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(list(COLUMNS))
    for row in tidy_rows(report):
        values = row.as_dict()
        sheet.append([neutralise(values[c]) for c in COLUMNS])
    sheet.freeze_panes = "A2"

    comments = workbook.create_sheet("comments")
    comments.append(
        [
            "school_year",
            "audience",
            "group_type",
            "group_id",
            "group_name",
            "question_id",
            "question",
            "comment",
        ]
    )
    for result in report.audiences:
        for key, sets in result.comments.items():
            group = report.groups.get(key)
            for comment_set in sets or ():
                for text in comment_set.comments:
                    comments.append(
                        [
                            neutralise(v)
                            for v in (
                                report.period.school_year,
                                result.audience.value,
                                group.kind,
                                group.id,
                                group.name,
                                comment_set.question_id,
                                comment_set.question,
                                text,
                            )
                        ]
                    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
