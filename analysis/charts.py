"""Charts for pages (SVG) and reports (PNG/PDF), each with an alt text.

Design rules
------------
* Figures are built as :class:`matplotlib.figure.Figure` objects and rendered with the Agg
  canvas; :mod:`matplotlib.pyplot` and its global figure registry are never used, so charts can
  be drawn from concurrent requests.
* Every visible word comes from the caller (titles, axis labels, category names, the "n" and
  "don't know" labels), so the app can translate them. Numbers go through ``fmt(value,
  decimals)`` and shares through ``pct(share)`` so the app can use a decimal comma
  (``fmt=lambda x, d: f"{x:.{d}f}".replace(".", ",")``).
* The alt text is assembled from the same labels and numbers with punctuation only; pass
  ``alt=`` to replace it.
* Colours are the Okabe & Ito (2008) colour-blind-safe palette: negative points in vermillion /
  orange, positive points in sky blue / blue, neutral in light grey, "don't know" in a darker
  grey, kept apart in its own column.
* Interval charts use an axis range fixed by the caller (the scale range, or 0-100 %) rather
  than one fitted to the data, so a wide interval looks wide and charts stay comparable.

The result is a :class:`Chart`: ``svg`` (a string to embed in a page), ``alt``, and ``png()`` /
``pdf()`` methods that render the same figure to bytes for reports.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from analysis.summary import Scale

__all__ = [
    "OKABE_ITO",
    "Chart",
    "default_fmt",
    "default_pct",
    "feedback_heatmap",
    "forest_plot",
    "likert_bar",
    "scale_colours",
    "trend_chart",
]

# Okabe, M. & Ito, K. (2008), "Color Universal Design": distinguishable under the common
# forms of colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
NEUTRAL_COLOUR = "#DDDDDD"
DONT_KNOW_COLOUR = "#8C8C8C"
MISSING_COLOUR = "#F2F2F2"
# Printed where a value is missing (an en dash).
MISSING_TEXT = "\u2013"

Fmt = Callable[[float, int], str]
Pct = Callable[[float], str]


def default_fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def default_pct(share: float) -> str:
    return f"{share * 100:.0f}%"


@dataclass(frozen=True)
class Chart:
    """A rendered chart: ``svg`` for pages, ``alt`` for screen readers, ``png()``/``pdf()``."""

    svg: str
    alt: str
    figure: Figure = field(repr=False, compare=False)

    def png(self, dpi: int = 150) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()

    def pdf(self) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="pdf", metadata={"CreationDate": None})
        return buf.getvalue()


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _finish(fig: Figure, alt: str) -> Chart:
    buf = io.StringIO()
    # No date in the metadata: the same data gives the same SVG, so pages can be cached.
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return Chart(svg=buf.getvalue(), alt=alt, figure=fig)


def _mix(a: str, b: str, t: float) -> tuple[float, float, float]:
    ca, cb = np.array(to_rgb(a)), np.array(to_rgb(b))
    r, g, b_ = ca + (cb - ca) * t
    return (float(r), float(g), float(b_))


def _ink(colour: object) -> str:
    r, g, b = to_rgb(colour)  # type: ignore[arg-type]
    # Relative luminance (ITU-R BT.709); dark backgrounds get white text.
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "black"


def scale_colours(scale: Scale) -> list[tuple[float, float, float]]:
    """One colour per scale point: vermillion→orange for negative, sky blue→blue for positive."""
    colours: dict[int, tuple[float, float, float]] = {}
    neg = scale.negative
    for i, p in enumerate(neg):  # most negative first
        t = i / (len(neg) - 1) if len(neg) > 1 else 0.0
        colours[p] = _mix(OKABE_ITO["vermillion"], OKABE_ITO["orange"], t)
    pos = scale.positive
    for i, p in enumerate(pos):  # least positive first
        t = i / (len(pos) - 1) if len(pos) > 1 else 1.0
        colours[p] = _mix(OKABE_ITO["sky_blue"], OKABE_ITO["blue"], t)
    for p in scale.neutral or ():
        colours[p] = to_rgb(NEUTRAL_COLOUR)
    return [colours[p] for p in range(1, scale.points + 1)]


def _nice_limit(x: float) -> float:
    for lim in (0.25, 0.5, 0.75, 1.0):
        if x <= lim + 1e-12:
            return lim
    return 1.0


def likert_bar(
    counts: object,
    scale: Scale,
    row_labels: Sequence[str],
    category_labels: Sequence[str],
    dont_know: object = None,
    *,
    dont_know_label: str,
    n_label: str = "n",
    title: str = "",
    axis_label: str = "",
    fmt: Fmt = default_fmt,
    pct: Pct = default_pct,
    alt: str | None = None,
    width: float = 9.0,
) -> Chart:
    """Diverging stacked bar of Likert answers, one row per item (or group).

    ``counts`` is ``(rows, scale.points)`` (e.g. ``GroupSummary.counts``); ``dont_know`` is
    ``(rows,)``. Bars show each point's share of the row's ``n`` scale answers: negative points
    left of zero, positive points right of it, neutral points split evenly across zero. Each
    segment carries its count when it is wide enough to hold it (every count is in the alt
    text). "Don't know" is not part of ``n``, so it is drawn in a separate grey column at the
    right with its count, followed by ``n`` for every row. Rows with ``n == 0`` get an empty bar.
    """
    c = np.atleast_2d(np.asarray(counts, dtype=float))
    rows = c.shape[0]
    if c.shape[1] != scale.points or len(row_labels) != rows:
        raise ValueError("counts must be (len(row_labels), scale.points)")
    if len(category_labels) != scale.points:
        raise ValueError("one category label per scale point is needed")
    dk = np.zeros(rows) if dont_know is None else np.asarray(dont_know, dtype=float).ravel()
    n = c.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n[:, None] > 0, c / n[:, None], 0.0)
    colours = scale_colours(scale)
    neg, neu, pos = list(scale.negative), list(scale.neutral or ()), list(scale.positive)

    left_extent = (
        share[:, [p - 1 for p in neg]].sum(axis=1) + share[:, [p - 1 for p in neu]].sum(axis=1) / 2
    )
    right_extent = (
        share[:, [p - 1 for p in pos]].sum(axis=1) + share[:, [p - 1 for p in neu]].sum(axis=1) / 2
    )
    lim = _nice_limit(float(max(left_extent.max(initial=0), right_extent.max(initial=0), 0.25)))

    fig = _new_figure(width, 1.2 + 0.5 * rows)
    gs = fig.add_gridspec(1, 2, width_ratios=[7.0, 1.6])
    ax = fig.add_subplot(gs[0, 0])
    ax_dk = fig.add_subplot(gs[0, 1], sharey=ax)
    y = np.arange(rows)
    text_min = 0.07 * lim  # narrower segments cannot hold a number legibly

    for r in range(rows):
        # Neutral straddles zero; negatives stack leftwards from its left edge, most negative
        # outermost; positives stack rightwards from its right edge.
        neu_total = share[r, [p - 1 for p in neu]].sum() if neu else 0.0
        segments: list[tuple[int, float, float]] = []
        start = -neu_total / 2
        for p in neu:
            w = share[r, p - 1]
            segments.append((p, start, w))
            start += w
        start = -neu_total / 2
        for p in reversed(neg):
            w = share[r, p - 1]
            start -= w
            segments.append((p, start, w))
        start = neu_total / 2
        for p in pos:
            w = share[r, p - 1]
            segments.append((p, start, w))
            start += w
        for p, x0, w in segments:
            if w <= 0:
                continue
            colour = colours[p - 1]
            ax.barh(r, w, left=x0, height=0.7, color=colour, edgecolor="white", linewidth=0.6)
            if w >= text_min:
                ax.text(
                    x0 + w / 2,
                    r,
                    f"{int(c[r, p - 1])}",
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color=_ink(colour),
                )
    # Under the bars, so it never crosses a printed count; visible between rows.
    ax.axvline(0, color="#333333", linewidth=1.0, zorder=0.5)
    ax.set_xlim(-lim, lim)
    ticks = np.linspace(-lim, lim, 5)
    ax.set_xticks(ticks, [pct(abs(t)) for t in ticks])
    ax.set_yticks(y, list(row_labels))
    ax.invert_yaxis()
    ax.set_xlabel(axis_label)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)

    answered = n + dk
    with np.errstate(divide="ignore", invalid="ignore"):
        dk_share = np.where(answered > 0, dk / answered, 0.0)
    # The bar may take at most 60 % of the column, leaving room for its count.
    ax_dk.barh(y, 0.6 * dk_share, height=0.7, color=DONT_KNOW_COLOUR)
    for r in range(rows):
        ax_dk.text(
            0.6 * dk_share[r] + 0.04, r, f"{int(dk[r])}", va="center", ha="left", fontsize=8.5
        )
        ax_dk.text(
            1.02,
            r,
            f"{n_label} = {int(n[r])}",
            va="center",
            ha="left",
            fontsize=8.5,
            transform=ax_dk.get_yaxis_transform(),
            clip_on=False,
        )
    ax_dk.set_xlim(0, 1)
    ax_dk.set_xticks([])
    ax_dk.set_title(dont_know_label, fontsize=8.5, loc="left")
    ax_dk.spines[["top", "right", "left", "bottom"]].set_visible(False)
    ax_dk.tick_params(axis="y", length=0, labelleft=False)

    handles = [
        Patch(facecolor=colours[p - 1], label=category_labels[p - 1])
        for p in range(1, scale.points + 1)
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=scale.points,
        frameon=False,
        fontsize=8.5,
    )
    if title:
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")

    if alt is None:
        parts = []
        for r in range(rows):
            cats = ", ".join(f"{category_labels[j]} {int(c[r, j])}" for j in range(scale.points))
            parts.append(
                f"{row_labels[r]}: {cats}, {dont_know_label} {int(dk[r])}; {n_label} = {int(n[r])}"
            )
        alt = (f"{title}. " if title else "") + ". ".join(parts) + "."
    return _finish(fig, alt)


def _interval_text(est: float, lo: float, hi: float, fmt: Fmt, decimals: int) -> str:
    if math.isnan(est):
        return MISSING_TEXT
    if math.isnan(lo) or math.isnan(hi):
        return fmt(est, decimals)
    return f"{fmt(est, decimals)} [{fmt(lo, decimals)}; {fmt(hi, decimals)}]"


def forest_plot(
    estimates: object,
    lows: object,
    highs: object,
    row_labels: Sequence[str],
    *,
    xlim: tuple[float, float],
    n: object = None,
    n_label: str = "n",
    bands: Sequence[tuple[float, float, str]] = (),
    title: str = "",
    axis_label: str = "",
    fmt: Fmt = default_fmt,
    decimals: int = 2,
    alt: str | None = None,
    width: float = 8.0,
) -> Chart:
    """Forest plot: one row per theme, a point estimate and its interval as a horizontal line.

    ``xlim`` is required and should be the full range of the measure — ``(1, scale.points)``
    for means, ``(0, 1)`` for shares — so interval widths are comparable across charts.
    ``bands`` optionally shades ranges with a caller label, e.g. the profile bands
    ``[(0, .5, "challenge"), (.5, .75, "opportunity"), (.75, 1, "strength")]`` (translated).
    A row without an interval (``nan`` bounds, e.g. ``n == 1``) is drawn as a hollow marker
    with no line; a row without an estimate is left empty. The estimate, interval and ``n``
    are printed at the right of every row.
    """
    est = np.asarray(estimates, dtype=float).ravel()
    lo = np.asarray(lows, dtype=float).ravel()
    hi = np.asarray(highs, dtype=float).ravel()
    rows = est.size
    if not (lo.size == hi.size == rows == len(row_labels)):
        raise ValueError("estimates, lows, highs and row_labels must have the same length")
    ns = None if n is None else np.asarray(n).ravel()

    fig = _new_figure(width, 1.0 + 0.45 * max(rows, 1))
    gs = fig.add_gridspec(1, 2, width_ratios=[5.0, 2.2])
    ax = fig.add_subplot(gs[0, 0])
    ax_t = fig.add_subplot(gs[0, 1], sharey=ax)
    shades = ("#F4F4F4", "#E6E6E6")
    for i, (b0, b1, label) in enumerate(bands):
        ax.axvspan(b0, b1, color=shades[i % 2], zorder=0, linewidth=0)
        ax.text(
            (b0 + b1) / 2,
            1.0,
            label,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
            color="#444444",
        )
    y = np.arange(rows)
    colour = OKABE_ITO["blue"]
    for r in range(rows):
        if math.isnan(est[r]):
            continue
        if math.isnan(lo[r]) or math.isnan(hi[r]):
            ax.plot(est[r], r, "o", mfc="white", mec=colour, ms=7, zorder=3, clip_on=False)
            continue
        ax.plot([lo[r], hi[r]], [r, r], color=colour, linewidth=2.2, solid_capstyle="butt")
        ax.plot([lo[r], lo[r]], [r - 0.15, r + 0.15], color=colour, linewidth=1.5)
        ax.plot([hi[r], hi[r]], [r - 0.15, r + 0.15], color=colour, linewidth=1.5)
        ax.plot(est[r], r, "D", color=OKABE_ITO["black"], ms=6, zorder=3, clip_on=False)
    ax.set_xlim(*xlim)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_yticks(y, list(row_labels))
    ax.set_xlabel(axis_label)
    ax.xaxis.set_major_formatter(lambda v, _pos: fmt(v, 1 if xlim[1] - xlim[0] > 2 else 2))
    ax.grid(axis="x", color="white", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="y", length=0)

    for r in range(rows):
        text = _interval_text(est[r], lo[r], hi[r], fmt, decimals)
        if ns is not None:
            text += f"   {n_label} = {int(ns[r])}"
        ax_t.text(0.0, r, text, va="center", ha="left", fontsize=8.5)
    ax_t.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")

    if alt is None:
        parts = []
        for r in range(rows):
            part = f"{row_labels[r]}: {_interval_text(est[r], lo[r], hi[r], fmt, decimals)}"
            if ns is not None:
                part += f", {n_label} = {int(ns[r])}"
            parts.append(part)
        alt = (f"{title}. " if title else "") + "; ".join(parts) + "."
    return _finish(fig, alt)


def trend_chart(
    periods: Sequence[str],
    series: Mapping[str, tuple[object, object, object]],
    *,
    ylim: tuple[float, float],
    n: Mapping[str, object] | None = None,
    n_label: str = "n",
    title: str = "",
    axis_label: str = "",
    fmt: Fmt = default_fmt,
    decimals: int = 2,
    alt: str | None = None,
    width: float = 8.0,
) -> Chart:
    """Trend over school years: one line per series, each point with its interval as an error bar.

    ``series`` maps a (translated) series label to ``(estimates, lows, highs)`` over
    ``periods`` (e.g. ``["2022-2023", "2023-2024"]``). ``ylim`` is required for the same reason
    as in :func:`forest_plot`. Several series are dodged sideways so their intervals do not
    hide each other. A missing year (``nan`` estimate) breaks the line; a point without an
    interval gets a hollow marker.
    """
    periods = list(periods)
    x = np.arange(len(periods), dtype=float)
    fig = _new_figure(width, 4.2)
    ax = fig.add_subplot()
    palette = [
        OKABE_ITO["blue"],
        OKABE_ITO["vermillion"],
        OKABE_ITO["bluish_green"],
        OKABE_ITO["reddish_purple"],
        OKABE_ITO["orange"],
        OKABE_ITO["sky_blue"],
    ]
    markers = ["o", "s", "^", "D", "v", "P"]
    k = len(series)
    offsets = (np.arange(k) - (k - 1) / 2) * (0.12 if k > 1 else 0.0)
    alt_parts = []
    for i, (label, (e, lo_, hi_)) in enumerate(series.items()):
        est = np.asarray(e, dtype=float)
        lo = np.asarray(lo_, dtype=float)
        hi = np.asarray(hi_, dtype=float)
        if not (est.size == lo.size == hi.size == len(periods)):
            raise ValueError(f"series {label!r} must have one value per period")
        colour, marker = palette[i % len(palette)], markers[i % len(markers)]
        xs = x + offsets[i]
        ax.plot(xs, est, "-", color=colour, linewidth=1.6, label=label)
        has_ci = ~(np.isnan(lo) | np.isnan(hi)) & ~np.isnan(est)
        ax.errorbar(
            xs[has_ci],
            est[has_ci],
            yerr=[est[has_ci] - lo[has_ci], hi[has_ci] - est[has_ci]],
            fmt=marker,
            color=colour,
            capsize=4,
            linewidth=1.4,
            markersize=6,
        )
        no_ci = ~has_ci & ~np.isnan(est)
        ax.plot(xs[no_ci], est[no_ci], marker, mfc="white", mec=colour, linestyle="none", ms=6)
        ns = None if n is None or label not in n else np.asarray(n[label]).ravel()
        points = []
        for j, period in enumerate(periods):
            txt = _interval_text(est[j], lo[j], hi[j], fmt, decimals)
            if ns is not None:
                txt += f", {n_label} = {int(ns[j])}"
            points.append(f"{period} {txt}")
        alt_parts.append(f"{label}: " + "; ".join(points))
    if n is not None and k == 1:
        only = next(iter(series))
        if only in n:
            ns = np.asarray(n[only]).ravel()
            periods = [f"{p}\n{n_label} = {int(v)}" for p, v in zip(periods, ns, strict=True)]
    ax.set_xticks(x, periods)
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.set_ylim(*ylim)
    ax.yaxis.set_major_formatter(lambda v, _pos: fmt(v, 1 if ylim[1] - ylim[0] > 2 else 2))
    ax.set_ylabel(axis_label)
    ax.grid(axis="y", color="#E6E6E6")
    ax.spines[["top", "right"]].set_visible(False)
    if k > 1:
        ax.legend(frameon=False, loc="best", fontsize=8.5)
    if title:
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    if alt is None:
        alt = (f"{title}. " if title else "") + ". ".join(alt_parts) + "."
    return _finish(fig, alt)


def _diverging_cmap() -> LinearSegmentedColormap:
    return LinearSegmentedColormap.from_list(
        "klankbord_diverging",
        [OKABE_ITO["vermillion"], "#F3D3BC", "#F7F7F7", "#C6E1F2", OKABE_ITO["blue"]],
    )


def divergent_cells(values: object, threshold: float = 1.0, reference: int | None = None):
    """Boolean mask of cells that diverge by at least ``threshold`` scale points.

    Without ``reference``: a cell is marked when some other perspective in the same row differs
    from it by ``>= threshold`` (so both ends of a divergence are marked). With ``reference`` (a
    column index, e.g. the centre's self-assessment): cells differing from that column's value
    by ``>= threshold``. ``nan`` cells are never marked.
    """
    v = np.asarray(values, dtype=float)
    tol = 1e-9  # scores like 3.1 - 2.1 must count as a full point
    with np.errstate(invalid="ignore"):
        if reference is None:
            hi = np.nanmax(np.where(np.isnan(v), -np.inf, v), axis=1, keepdims=True)
            lo = np.nanmin(np.where(np.isnan(v), np.inf, v), axis=1, keepdims=True)
            mark = (hi - v >= threshold - tol) | (v - lo >= threshold - tol)
        else:
            mark = np.abs(v - v[:, [reference]]) >= threshold - tol
    return mark & ~np.isnan(v)


def feedback_heatmap(
    values: object,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    *,
    scale_points: int,
    threshold: float = 1.0,
    reference: int | None = None,
    divergence_label: str,
    n: object = None,
    n_label: str = "n",
    title: str = "",
    fmt: Fmt = default_fmt,
    decimals: int = 1,
    alt: str | None = None,
    width: float | None = None,
) -> Chart:
    """Feedbackmatrix heatmap: themes (rows) x perspectives (columns) of mean scores.

    The colour scale is fixed to ``1..scale_points`` and diverges at the scale's midpoint
    (vermillion below, blue above). Each cell prints its mean (and ``n`` when given).
    Cells marked by :func:`divergent_cells` (a divergence of at least ``threshold`` scale points)
    get a thick black frame and a ▲ in the corner, explained by ``divergence_label`` in the
    legend. Cells without data are light grey with a dash.
    """
    v = np.atleast_2d(np.asarray(values, dtype=float))
    rows, cols = v.shape
    if len(row_labels) != rows or len(col_labels) != cols:
        raise ValueError("labels must match values' shape (themes x perspectives)")
    ns = None if n is None else np.atleast_2d(np.asarray(n))
    mark = divergent_cells(v, threshold, reference)
    cmap = _diverging_cmap()
    vmin, vmax = 1.0, float(scale_points)

    fig = _new_figure(width or (2.5 + 1.35 * cols), 1.5 + 0.55 * rows)
    ax = fig.add_subplot()
    masked = np.ma.masked_invalid(v)
    cmap_missing = cmap.with_extremes(bad=MISSING_COLOUR)
    im = ax.imshow(masked, cmap=cmap_missing, vmin=vmin, vmax=vmax, aspect="auto")
    for r in range(rows):
        for c_ in range(cols):
            val = v[r, c_]
            if math.isnan(val):
                ax.text(c_, r, MISSING_TEXT, ha="center", va="center", fontsize=9, color="#666666")
                continue
            colour = cmap((val - vmin) / (vmax - vmin))
            text = fmt(val, decimals)
            if ns is not None:
                text += f"\n{n_label} = {int(ns[r, c_])}"
            ax.text(c_, r, text, ha="center", va="center", fontsize=8.5, color=_ink(colour))
            if mark[r, c_]:
                ax.add_patch(
                    Rectangle(
                        (c_ - 0.46, r - 0.46),
                        0.92,
                        0.92,
                        fill=False,
                        edgecolor="black",
                        linewidth=2.4,
                    )
                )
                ax.text(
                    c_ + 0.40,
                    r - 0.38,
                    "▲",
                    ha="right",
                    va="top",
                    fontsize=7,
                    color=_ink(colour),
                )
    ax.set_xticks(np.arange(cols), list(col_labels))
    ax.set_yticks(np.arange(rows), list(row_labels))
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, cols), minor=True)
    ax.set_yticks(np.arange(-0.5, rows), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    cbar = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02)
    cbar.set_ticks(np.arange(1, scale_points + 1))
    cbar.ax.yaxis.set_major_formatter(lambda t, _pos: fmt(t, 0))
    fig.legend(
        handles=[
            Patch(
                facecolor="white", edgecolor="black", linewidth=2.4, label=f"▲ {divergence_label}"
            )
        ],
        loc="outside lower left",
        frameon=False,
        fontsize=8.5,
    )
    if title:
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    if alt is None:
        parts = []
        for r in range(rows):
            cells = []
            for c_ in range(cols):
                value = MISSING_TEXT if math.isnan(v[r, c_]) else fmt(v[r, c_], decimals)
                cell = f"{col_labels[c_]} {value}"
                if mark[r, c_]:
                    cell += f" ({divergence_label})"
                cells.append(cell)
            parts.append(f"{row_labels[r]}: " + ", ".join(cells))
        alt = (f"{title}. " if title else "") + ". ".join(parts) + "."
    return _finish(fig, alt)
