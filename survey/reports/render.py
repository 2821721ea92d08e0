"""The council report as a page, a standalone HTML file and a PDF, with analysis/ charts."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, render_template
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from analysis.charts import forest_plot, likert_bar
from survey.labels import label, profile_label, theme_label
from survey.reports.services import CENTRE, AudienceResult, CouncilReport, Group

MAX_FOREST_ROWS = 40
# A council reads a sample; every comment is in the XLSX download.
MAX_COMMENTS = 30


@dataclass(frozen=True)
class ChartImage:
    src: str
    alt: str


def _fmt(value: float, decimals: int) -> str:
    return format_decimal(round(value, decimals), format="0." + "0" * decimals if decimals else "0")


def _pct(share: float) -> str:
    return format_percent(share, format="0 %")


def _image(chart, raster: bool) -> ChartImage:
    """SVG for screens; PNG for the PDF, which WeasyPrint lays out several times faster."""
    if raster:
        data, mime = chart.png(dpi=150), "image/png"
    else:
        data, mime = chart.svg.encode("utf-8"), "image/svg+xml"
    return ChartImage(f"data:{mime};base64," + base64.b64encode(data).decode("ascii"), chart.alt)


def _likert(result: AudienceResult, raster: bool) -> ChartImage | None:
    items = [m for m in result.measures if m.kind == "item"]
    shown = [(m, result.figure(CENTRE, m.id)) for m in items]
    shown = [(m, f) for m, f in shown if not f.hidden]
    if not shown:
        return None
    first = shown[0][0]
    chart = likert_bar(
        [f.counts for _m, f in shown],
        first.scale,
        [m.text for m, _f in shown],
        list(first.scale_labels),
        [f.dont_know for _m, f in shown],
        dont_know_label=_("Don't know"),
        n_label="n",
        title=_("Answers per statement: %(audience)s", audience=label(result.audience).lower()),
        fmt=_fmt,
        pct=_pct,
    )
    return _image(chart, raster)


def _forest(
    result: AudienceResult, groups: list[Group], title: str, raster: bool
) -> ChartImage | None:
    overall = result.overall
    if overall is None:
        return None
    rows = [(g, result.figure(g.key, overall.id)) for g in groups]
    rows = [(g, f) for g, f in rows if not f.hidden]
    # Beyond a few dozen rows a forest plot is a smear; the table below it carries the figures.
    if not 2 <= len(rows) <= MAX_FOREST_ROWS:
        return None
    chart = forest_plot(
        [f.top2 for _g, f in rows],
        [f.top2_low for _g, f in rows],
        [f.top2_high for _g, f in rows],
        [g.name for g, _f in rows],
        xlim=(0.0, 1.0),
        n=[f.n for _g, f in rows],
        n_label="n",
        bands=[
            (0.0, 0.5, str(profile_label("challenge"))),
            (0.5, 0.75, str(profile_label("opportunity"))),
            (0.75, 1.0, str(profile_label("strength"))),
        ],
        title=title,
        axis_label=_("Share (rather) agreeing, with its 95 percent interval"),
        fmt=lambda value, decimals: _pct(value),
        decimals=2,
    )
    return _image(chart, raster)


def report_charts(report: CouncilReport, raster: bool = False) -> dict[tuple[str, str], ChartImage]:
    """Charts per audience: statements (centre), schools and coaches on the overall item."""
    charts: dict[tuple[str, str], ChartImage] = {}
    centre = report.groups[CENTRE]
    for result in report.audiences:
        key = result.audience.value
        likert = _likert(result, raster)
        if likert:
            charts[(key, "items")] = likert
        schools = _forest(
            result,
            [centre, *result.schools],
            _("Overall satisfaction per school: %(audience)s", audience=label(result.audience)),
            raster,
        )
        if schools:
            charts[(key, "schools")] = schools
        if result.coaches:
            coaches = _forest(
                result,
                [centre, *result.coaches],
                _("Teachers' overall satisfaction per coach"),
                raster,
            )
            if coaches:
                charts[(key, "coaches")] = coaches
    return charts


def _helpers() -> dict:
    def pct(value: float | None) -> str:
        if value is None or math.isnan(value):
            return "–"
        return _pct(value)

    def dec(value: float | None, decimals: int = 2) -> str:
        if value is None or math.isnan(value):
            return "–"
        return _fmt(value, decimals)

    def points(value: float | None) -> str:
        """A difference of shares in percentage points, signed."""
        if value is None or math.isnan(value):
            return "–"
        return ("+" if value > 0 else "") + format_decimal(round(value * 100), format="0")

    def signed(value: float | None, decimals: int = 2) -> str:
        if value is None or math.isnan(value):
            return "–"
        return ("+" if value > 0 else "") + _fmt(value, decimals)

    return {
        "pct": pct,
        "dec": dec,
        "points": points,
        "signed": signed,
        "profile_label": profile_label,
        "theme_label": theme_label,
        "CENTRE": CENTRE,
        "max_comments": MAX_COMMENTS,
    }


def render_report(
    report: CouncilReport, *, template: str = "reports/document.html", **context: object
) -> str:
    charts = report_charts(report, raster=bool(context.get("for_pdf")))
    return render_template(template, report=report, charts=charts, **_helpers(), **context)


def report_stylesheet() -> str:
    return (Path(current_app.static_folder) / "report.css").read_text(encoding="utf-8")


def report_pdf(report: CouncilReport) -> bytes:
    from weasyprint import HTML  # loads Pango; only printing needs it

    html = render_report(report, for_pdf=True, stylesheet=report_stylesheet())
    return HTML(string=html).write_pdf()
