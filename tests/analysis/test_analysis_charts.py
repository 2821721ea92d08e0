"""Charts render to SVG, PNG and PDF with alt text, from caller labels, without pyplot."""

import sys

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D

import analysis as A
from analysis import charts as C

CATS = ["c1", "c2", "c3", "c4"]


def dutch(x, d):
    return f"{x:.{d}f}".replace(".", ",")


def check_outputs(chart):
    assert chart.svg.lstrip().startswith("<?xml")
    assert "<svg" in chart.svg
    assert chart.png().startswith(b"\x89PNG")
    assert chart.pdf().startswith(b"%PDF")
    assert chart.alt


def test_charts_do_not_use_pyplot():
    assert "matplotlib.pyplot" not in sys.modules


def test_likert_bar_outputs_counts_n_and_dont_know():
    counts = np.array([[2, 5, 30, 20], [0, 0, 0, 0], [1, 0, 0, 0]])
    chart = C.likert_bar(
        counts,
        A.AGREE_4,
        ["row-a", "row-b", "row-c"],
        CATS,
        [3, 7, 0],
        dont_know_label="dk-label",
        n_label="N",
        title="T",
    )
    check_outputs(chart)
    assert "row-a: c1 2, c2 5, c3 30, c4 20, dk-label 3; N = 57" in chart.alt
    assert "row-b: c1 0, c2 0, c3 0, c4 0, dk-label 7; N = 0" in chart.alt
    texts = [t.get_text() for ax in chart.figure.axes for t in ax.texts]
    for label in ("N = 57", "N = 0", "N = 1", "30", "20", "3", "7"):
        assert label in texts


def test_likert_bar_negative_left_positive_right():
    chart = C.likert_bar(np.array([[4, 0, 0, 6]]), A.AGREE_4, ["r"], CATS, dont_know_label="dk")
    ax = chart.figure.axes[0]
    bars = [p for p in ax.patches if p.get_width() > 0]
    lefts = sorted((round(p.get_x(), 6), round(p.get_width(), 6)) for p in bars)
    assert lefts == [(-0.4, 0.4), (0.0, 0.6)]


def test_likert_bar_pictorial_neutral_straddles_zero():
    chart = C.likert_bar(
        np.array([[2, 4, 4]]),
        A.PICTORIAL_3,
        ["r"],
        ["sad", "neutral", "happy"],
        dont_know_label="dk",
    )
    ax = chart.figure.axes[0]
    neutral = [p for p in ax.patches if np.allclose(p.get_facecolor()[:3], to_rgb("#DDDDDD"))]
    assert len(neutral) == 1
    assert neutral[0].get_x() == pytest.approx(-0.2)
    assert neutral[0].get_width() == pytest.approx(0.4)


def test_likert_bar_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="category"):
        C.likert_bar(np.ones((1, 4)), A.AGREE_4, ["r"], CATS[:3], dont_know_label="dk")


def _interval_pixel_widths(chart):
    ax = chart.figure.axes[0]
    widths = []
    for line in ax.lines:
        if isinstance(line, Line2D) and len(line.get_xdata()) == 2:
            x = np.asarray(line.get_xdata(), dtype=float)
            y = np.asarray(line.get_ydata(), dtype=float)
            if y[0] == y[1] and x[0] != x[1]:
                px = ax.transData.transform(np.column_stack([x, y]))
                widths.append(abs(px[1, 0] - px[0, 0]))
    return widths


def test_forest_plot_wide_interval_looks_wide():
    chart = C.forest_plot(
        [0.5, 0.5],
        [0.45, 0.1],
        [0.55, 0.9],
        ["narrow", "wide"],
        xlim=(0, 1),
        n=[400, 6],
        fmt=dutch,
        title="T",
        axis_label="share",
    )
    check_outputs(chart)
    narrow, wide = _interval_pixel_widths(chart)
    assert wide / narrow == pytest.approx(8.0, rel=1e-6)
    assert "narrow: 0,50 [0,45; 0,55], n = 400" in chart.alt


def test_forest_plot_axis_is_fixed_by_caller_not_data():
    chart = C.forest_plot([3.0], [2.9], [3.1], ["a"], xlim=(1, 4))
    assert chart.figure.axes[0].get_xlim() == (1.0, 4.0)


def test_forest_plot_degenerate_rows():
    chart = C.forest_plot(
        [np.nan, 3.0, 2.0],
        [np.nan, np.nan, 2.0],
        [np.nan, np.nan, 2.0],
        ["none", "one", "flat"],
        xlim=(1, 4),
        n=[0, 1, 5],
    )
    check_outputs(chart)
    assert f"none: {C.MISSING_TEXT}, n = 0" in chart.alt
    assert "one: 3.00, n = 1" in chart.alt


def test_trend_chart_intervals_and_gaps():
    chart = C.trend_chart(
        ["y1", "y2", "y3"],
        {
            "s1": ([3.0, np.nan, 3.2], [2.5, np.nan, 3.1], [3.5, np.nan, 3.3]),
            "s2": ([2.0, 2.5, 2.6], [1.5, 2.4, np.nan], [2.5, 2.6, np.nan]),
        },
        ylim=(1, 4),
        n={"s1": [10, 0, 200]},
        fmt=dutch,
        title="T",
    )
    check_outputs(chart)
    assert chart.figure.axes[0].get_ylim() == (1.0, 4.0)
    dash = C.MISSING_TEXT
    assert f"s1: y1 3,00 [2,50; 3,50], n = 10; y2 {dash}, n = 0; y3 3,20 [3,10; 3,30], n = 200" in (
        chart.alt
    )
    assert "y3 2,60." in chart.alt  # no interval: the estimate alone


def test_trend_chart_single_series_puts_n_under_the_years():
    chart = C.trend_chart(
        ["y1", "y2"],
        {"s": ([0.5, 0.6], [0.2, 0.55], [0.8, 0.65])},
        ylim=(0, 1),
        n={"s": [9, 900]},
    )
    labels = [t.get_text() for t in chart.figure.axes[0].get_xticklabels()]
    assert labels == ["y1\nn = 9", "y2\nn = 900"]


def test_divergent_cells_rule():
    v = np.array([[3.2, 2.1, 3.0, 3.1], [2.5, 2.8, np.nan, 2.6], [3.1, 2.1, np.nan, np.nan]])
    mark = C.divergent_cells(v)
    assert mark.tolist() == [
        [True, True, False, True],
        [False, False, False, False],
        [True, True, False, False],  # 3.1 - 2.1 is a full point despite float rounding
    ]
    ref = C.divergent_cells(v, reference=0)
    assert ref.tolist()[0] == [False, True, False, False]


def test_feedback_heatmap_marks_divergences():
    v = [[3.2, 2.1, 3.0], [np.nan, np.nan, np.nan]]
    chart = C.feedback_heatmap(
        v,
        ["t1", "t2"],
        ["p1", "p2", "p3"],
        scale_points=4,
        divergence_label="div",
        n=[[5, 6, 7], [0, 0, 0]],
        fmt=dutch,
        title="T",
    )
    check_outputs(chart)
    assert "t1: p1 3,2 (div), p2 2,1 (div), p3 3,0" in chart.alt
    assert f"t2: p1 {C.MISSING_TEXT}, p2 {C.MISSING_TEXT}, p3 {C.MISSING_TEXT}" in chart.alt
    frames = [p for p in chart.figure.axes[0].patches if p.get_linewidth() > 2]
    assert len(frames) == 2


def _simulate(rgb, matrix):
    return np.clip(np.asarray(matrix) @ np.asarray(rgb), 0, 1)


# Machado, Oliveira & Fernandes (2009), severity 1.0 simulation matrices (linear RGB,
# applied here to sRGB values as an approximation that is adequate for a distinctness check).
PROTAN = [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
]
DEUTAN = [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.011820, 0.042940, 0.968881],
]
TRITAN = [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.303900],
]


@pytest.mark.parametrize("matrix", [PROTAN, DEUTAN, TRITAN])
def test_scale_colours_stay_distinct_under_colour_vision_deficiency(matrix):
    colours = [*C.scale_colours(A.AGREE_4), to_rgb(C.DONT_KNOW_COLOUR)]
    sim = [_simulate(c, matrix) for c in colours]
    for i in range(len(sim)):
        for j in range(i + 1, len(sim)):
            assert np.linalg.norm(sim[i] - sim[j]) > 0.12
