"""Edge cases, coding rules and the agreement between the single and the grouped summary."""

import math

import numpy as np
import pytest

import analysis as A
from analysis.summary import INSUFFICIENT, UNCERTAIN

LABELS = {"strength", "opportunity", "challenge", "uncertain", "insufficient"}


def test_public_api_names():
    for name in (
        "proportion_ci",
        "proportion_diff_ci",
        "mean_ci",
        "mean_diff_ci",
        "cronbach_alpha",
        "summarize_item",
        "summarize_groups",
        "adjust_pvalues",
        "Interval",
        "Scale",
    ):
        assert name in A.__all__
        assert callable(getattr(A, name))


# --- intervals ---------------------------------------------------------------------------


def test_interval_unpacks_and_reports_width():
    low, high = A.proportion_ci(3, 10)
    assert 0 < low < 0.3 < high < 1
    assert A.Interval(0.2, 0.5).width == pytest.approx(0.3)
    assert A.Interval(0.2, 0.5).contains(0.3)
    assert not A.Interval(math.nan, math.nan).is_defined


@pytest.mark.parametrize("method", ["wilson", "wilson_cc", "exact"])
def test_proportion_empty_is_undefined(method):
    got = A.proportion_ci(0, 0, method=method)
    assert math.isnan(got.low)
    assert math.isnan(got.high)


def test_wilson_cc_hits_the_bounds_exactly():
    assert A.proportion_ci(0, 12, method="wilson_cc").low == 0.0
    assert A.proportion_ci(12, 12, method="wilson_cc").high == 1.0
    assert A.proportion_ci(0, 12, method="exact").low == 0.0
    assert A.proportion_ci(12, 12, method="exact").high == 1.0


def test_proportion_single_response_is_wide_but_inside_unit_interval():
    low, high = A.proportion_ci(1, 1)
    assert high == 1.0
    assert 0.15 < low < 0.25


def test_proportion_very_large_n_is_narrow_and_finite():
    got = A.proportion_ci(600_000_000, 1_000_000_000)
    assert got.low < 0.6 < got.high
    assert got.width < 1e-4


def test_proportion_bad_arguments_raise():
    with pytest.raises(ValueError, match="successes"):
        A.proportion_ci(5, 4)
    with pytest.raises(ValueError, match="method"):
        A.proportion_ci(1, 4, method="wald")
    with pytest.raises(ValueError, match="level"):
        A.proportion_ci(1, 4, level=95)
    with pytest.raises(ValueError, match="population"):
        A.proportion_ci(1, 4, population=3)


def test_finite_population_correction_narrows_and_collapses_at_census():
    plain = A.proportion_ci(8, 10)
    corrected = A.proportion_ci(8, 10, population=12)
    assert corrected.low > plain.low
    assert corrected.high < plain.high
    assert corrected.contains(0.8)
    assert tuple(A.proportion_ci(8, 10, population=10)) == (0.8, 0.8)
    # A huge population is no correction at all.
    far = A.proportion_ci(8, 10, population=10**9)
    assert far.low == pytest.approx(plain.low, abs=1e-7)


def test_mean_ci_fpc_matches_cochran():
    x = [1, 2, 2, 3, 4, 4, 4]
    n, N = 7, 9
    plain = A.mean_ci(x)
    got = A.mean_ci(x, population=N)
    factor = math.sqrt((N - n) / (N - 1))
    assert got.width == pytest.approx(plain.width * factor)
    assert (got.low + got.high) / 2 == pytest.approx(np.mean(x))
    assert A.mean_ci(x, population=n).width == 0.0


def test_mean_ci_degenerate_inputs():
    assert not A.mean_ci([]).is_defined
    assert not A.mean_ci([3.0]).is_defined
    assert not A.mean_ci([math.nan, 2.0, math.nan]).is_defined
    assert tuple(A.mean_ci([2.0, 2.0, 2.0])) == (2.0, 2.0)
    got = A.mean_ci([1.0, math.nan, 3.0])
    assert got.low < 2.0 < got.high
    assert tuple(A.mean_ci([1.0, None, 3.0])) == tuple(got)


def test_mean_diff_ci_degenerate_inputs():
    assert not A.mean_diff_ci([1.0], [1.0, 2.0]).is_defined
    assert not A.mean_diff_ci([], []).is_defined
    assert tuple(A.mean_diff_ci([3, 3, 3], [2, 2])) == (1.0, 1.0)


def test_proportion_diff_empty_group_is_undefined():
    assert not A.proportion_diff_ci(0, 0, 3, 10).is_defined
    assert not A.proportion_diff_ci(3, 10, 0, 0, method="newcombe_cc").is_defined


# --- alpha -------------------------------------------------------------------------------


def test_alpha_degenerate_inputs_return_nan_not_errors():
    assert not A.cronbach_alpha(np.empty((0, 4))).is_defined
    one_row = A.cronbach_alpha([[1, 2, 3]])
    assert not one_row.is_defined
    assert one_row.n == 1
    one_item = A.cronbach_alpha([[1], [2], [3]])
    assert not one_item.is_defined
    assert one_item.k == 1
    flat = A.cronbach_alpha([[2, 2], [2, 2], [2, 2]])
    assert not flat.is_defined
    assert flat.n == 3


def test_alpha_listwise_counts_complete_rows():
    data = [[1, 2], [2, 3], [math.nan, 4], [3, 3], [4, 5]]
    got = A.cronbach_alpha(data)
    assert got.n == 4
    assert got.value == pytest.approx(A.cronbach_alpha([[1, 2], [2, 3], [3, 3], [4, 5]]).value)
    assert got.low < got.value < got.high


def test_alpha_takes_likert_codes_through_likert_to_float():
    codes = np.array([[4, 3, 0], [3, 3, 3], [2, -1, 2], [1, 2, 1], [4, 4, 4]])
    got = A.cronbach_alpha(A.likert_to_float(codes))
    assert got.n == 3  # rows with "don't know" (0) or "not answered" (-1) are dropped


# --- p-values ----------------------------------------------------------------------------


def test_adjust_pvalues_keeps_nan_and_shape():
    p = np.array([[0.01, np.nan], [0.04, 0.03]])
    got = A.adjust_pvalues(p, "holm")
    assert got.shape == (2, 2)
    assert math.isnan(got[0, 1])
    assert got[0, 0] == pytest.approx(0.03)  # m = 3, not 4
    assert A.adjust_pvalues([], "bh").size == 0
    with pytest.raises(ValueError, match="method"):
        A.adjust_pvalues([0.1], "bonferroni")


# --- scales and item summaries ------------------------------------------------------------


def test_scale_from_questionnaire_and_defaults():
    agree = A.Scale(points=4, positive=[4, 3])
    assert agree.positive == (3, 4)
    assert agree.neutral == ()
    assert agree.negative == (1, 2)
    faces = A.Scale(points=3, positive=(3,))
    assert faces.neutral == (2,)
    assert faces.negative == (1,)
    with pytest.raises(ValueError, match="positive points"):
        A.Scale(points=4, positive=(5,))
    with pytest.raises(ValueError, match="non-positive"):
        A.Scale(points=4, positive=(1, 2, 3, 4))


def test_summary_coding_rules():
    s = A.summarize_item([4, 4, 3, 2, 0, -1, None, 1, 4, math.nan, -9], A.AGREE_4)
    assert s.counts == (1, 1, 1, 3)
    assert s.n == 6
    assert s.dont_know == 1
    assert s.not_answered == 4
    assert s.n_answered == 7
    assert s.mean == pytest.approx(3.0)
    assert s.top2 == pytest.approx(4 / 6)
    assert tuple(s.top2_ci) == tuple(A.proportion_ci(4, 6))
    assert tuple(s.mean_ci) == pytest.approx(tuple(A.mean_ci([4, 4, 3, 2, 1, 4])))


def test_summary_accepts_object_arrays_with_none():
    s = A.summarize_item(np.array([4, None, 0, 2], dtype=object), A.AGREE_4)
    assert (s.n, s.dont_know, s.not_answered) == (2, 1, 1)


def test_summary_rejects_codes_outside_the_scale():
    with pytest.raises(ValueError, match="above"):
        A.summarize_item([1, 5], A.AGREE_4)
    with pytest.raises(ValueError, match="whole"):
        A.summarize_item([1, 2.5], A.AGREE_4)


@pytest.mark.parametrize(
    ("values", "profile"),
    [
        ([], INSUFFICIENT),
        ([0, 0, 0], INSUFFICIENT),
        ([-1, -1], INSUFFICIENT),
        ([3], UNCERTAIN),
        ([4, 4, 4], UNCERTAIN),
    ],
)
def test_degenerate_items_never_leak_nan_into_labels(values, profile):
    s = A.summarize_item(values, A.AGREE_4)
    assert s.profile == profile
    assert s.profile in LABELS


def test_empty_and_all_dont_know_items():
    empty = A.summarize_item([], A.AGREE_4)
    assert empty.n == 0
    assert math.isnan(empty.mean)
    assert not empty.mean_ci.is_defined
    assert not empty.top2_ci.is_defined
    dk = A.summarize_item([0, 0, 0, 0], A.AGREE_4)
    assert dk.dont_know == 4
    assert dk.n == 0
    assert math.isnan(dk.top2)


def test_single_response_item():
    s = A.summarize_item([2], A.AGREE_4)
    assert s.n == 1
    assert s.mean == 2.0
    assert math.isnan(s.sd)
    assert not s.mean_ci.is_defined
    assert s.top2 == 0.0
    assert s.top2_ci.low == 0.0
    assert s.top2_ci.high > 0.75  # one answer cannot rule out a strength
    assert s.profile == UNCERTAIN


def test_zero_variance_item():
    s = A.summarize_item([3] * 8, A.AGREE_4)
    assert s.sd == 0.0
    assert tuple(s.mean_ci) == (3.0, 3.0)
    assert s.top2 == 1.0
    assert s.top2_ci.low < 0.75  # 8/8 is still compatible with less than 75 %
    assert s.profile == UNCERTAIN
    # From 12 unanimous answers on, the Wilson lower bound clears 75 % (0.7575).
    assert A.summarize_item([3] * 12, A.AGREE_4).profile == "strength"


@pytest.mark.parametrize(
    ("k", "n", "profile"),
    [
        (95, 100, "strength"),
        (62, 100, "opportunity"),
        (20, 100, "challenge"),
        (75, 100, "uncertain"),  # 75 % observed, interval straddles the 75 % boundary
        (50, 100, "uncertain"),
        (9, 12, "uncertain"),
    ],
)
def test_profile_bands(k, n, profile):
    values = [4] * k + [1] * (n - k)
    assert A.summarize_item(values, A.AGREE_4).profile == profile


def test_profile_label_boundaries():
    assert A.profile_label(0.75, 0.9, 10) == "strength"
    assert A.profile_label(0.5, 0.7499, 10) == "opportunity"
    assert A.profile_label(0.2, 0.4999, 10) == "challenge"
    assert A.profile_label(0.74, 0.80, 10) == "uncertain"
    assert A.profile_label(math.nan, math.nan, 0) == "insufficient"


def test_very_large_item():
    rng = np.random.default_rng(1)
    values = rng.choice([1, 2, 3, 4, 0, -1], size=2_000_000, p=[0.1, 0.1, 0.4, 0.3, 0.05, 0.05])
    s = A.summarize_item(values, A.AGREE_4)
    assert s.n + s.dont_know + s.not_answered == 2_000_000
    assert s.top2_ci.width < 0.002
    assert s.mean_ci.width < 0.005
    assert s.top2 == pytest.approx(0.7 / 0.9, abs=0.002)
    assert s.profile == "strength"


def test_pictorial_scale_top_box_is_point_3_only():
    s = A.summarize_item([3, 3, 2, 1, 0], A.PICTORIAL_3)
    assert s.counts == (1, 1, 2)
    assert s.top2 == pytest.approx(0.5)


# --- grouped summaries -------------------------------------------------------------------


def test_groups_match_single_item_summaries_exactly():
    rng = np.random.default_rng(7)
    codes = rng.integers(-1, 5, size=(400, 3))
    gids = rng.choice(np.array(["a", "b", "c", "d"]), size=400)
    g = A.summarize_groups(codes, gids, A.AGREE_4)
    assert list(g.groups) == ["a", "b", "c", "d"]
    assert g.mean.shape == (4, 3)
    assert g.counts.shape == (4, 3, 4)
    for gi, group in enumerate(g.groups):
        for item in range(3):
            single = A.summarize_item(codes[gids == group, item], A.AGREE_4)
            assert g.item(group, item) == single
            assert g.n[gi, item] == single.n


def test_groups_one_item_and_explicit_group_order_with_empty_group():
    codes = np.array([4, 3, 0, 1, -1, 4])
    gids = np.array([2, 2, 2, 5, 5, 5])
    g = A.summarize_groups(codes, gids, A.AGREE_4, groups=[5, 9, 2])
    assert g.n.tolist() == [2, 0, 2]
    assert g.dont_know.tolist() == [0, 0, 1]
    assert g.not_answered.tolist() == [1, 0, 0]
    assert g.profile.tolist()[1] == "insufficient"
    assert math.isnan(g.mean[1])
    assert g.item(2).counts == (0, 0, 1, 1)
    with pytest.raises(ValueError, match="not in groups"):
        A.summarize_groups(codes, gids, A.AGREE_4, groups=[5])


def test_groups_with_no_rows():
    g = A.summarize_groups(np.empty((0, 2), dtype=int), np.empty(0, dtype=int), A.AGREE_4)
    assert g.groups.size == 0
    assert g.mean.shape == (0, 2)


def test_groups_population_per_group():
    codes = np.array([4, 4, 3, 1, 4, 3, 3, 2])
    gids = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    g = A.summarize_groups(codes, gids, A.AGREE_4, population=[5, 4])
    assert g.mean_low[1] == g.mean_high[1]  # group 1 is a census
    expected = A.mean_ci([4, 4, 3, 1], population=5)
    assert g.mean_low[0] == pytest.approx(expected.low)
    single = A.summarize_item([4, 4, 3, 1], A.AGREE_4, population=5)
    assert g.item(0) == single
    with pytest.raises(ValueError, match="population"):
        A.summarize_groups(codes, gids, A.AGREE_4, population=3)
