"""Published reference values, to 4 decimals.

Each row names its source. "Published" rows were read from the cited publication or from a
package's documented output of it; "cross-checked" rows are the remaining examples of the same
published tables, recomputed here and confirmed against an independent implementation
(statsmodels 0.14 ``proportion_confint`` / ``confint_proportions_2indep``, or a numerical root
of the interval's defining equation) because the printed table itself could not be retrieved.
"""

import math

import numpy as np
import pytest
from scipy import optimize, stats

import analysis as A

# R's datasets::sleep, extra ~ group (Student 1908 / Cushny & Peebles 1905).
SLEEP_GROUP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_GROUP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# pingouin's "cronbach_alpha" dataset (pingouin 0.7.0, datasets/cronbach_alpha.csv), pivoted
# to 15 subjects (rows, Subj 0..14) x 10 items (columns, Q1..Q10).
PINGOUIN_CRONBACH = [
    [3, 2, 4, 1, 4, 5, 1, 4, 3, 2],
    [5, 4, 6, 3, 5, 1, 2, 5, 5, 5],
    [7, 3, 5, 5, 6, 4, 3, 3, 6, 5],
    [2, 4, 3, 3, 2, 2, 2, 6, 6, 3],
    [6, 5, 6, 5, 4, 4, 4, 6, 7, 5],
    [1, 2, 3, 4, 2, 5, 2, 3, 5, 2],
    [4, 3, 5, 3, 5, 2, 1, 2, 4, 3],
    [2, 4, 4, 3, 7, 2, 2, 4, 6, 5],
    [6, 5, 5, 5, 1, 6, 5, 2, 3, 2],
    [5, 4, 6, 4, 3, 5, 3, 1, 7, 2],
    [4, 3, 5, 2, 5, 3, 2, 3, 4, 1],
    [4, 2, 3, 2, 5, 3, 4, 2, 3, 4],
    [5, 5, 6, 2, 3, 3, 2, 4, 4, 5],
    [6, 5, 5, 4, 2, 2, 1, 4, 6, 5],
    [4, 3, 5, 5, 3, 1, 3, 2, 3, 4],
]

# pingouin's "cronbach_wide_missing" dataset (pingouin 0.7.0), 12 x 11 binary items.
_ = math.nan
PINGOUIN_WIDE_MISSING = [
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0],
    [_, 0, 1, 1, _, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0],
    [0, 1, _, 0, 1, 1, 1, 1, 0, 0, 0],
    [1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0],
    [1, 0, 0, 1, 0, 1, 0, 0, _, 0, 0],
    [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
]


def r4(interval):
    return (round(interval.low, 4), round(interval.high, 4))


# --- single proportion: Newcombe 1998, Stat Med 17:857, Table I -----------------------------


def test_wilson_81_of_263_published():
    # Published: Newcombe 1998 (17:857) Table I, method 3, 81/263 -> 0.2553 to 0.3662.
    assert r4(A.proportion_ci(81, 263)) == (0.2553, 0.3662)


@pytest.mark.parametrize(
    ("k", "n", "wilson", "exact"),
    [
        # Cross-checked: the other examples of Newcombe's Table I (methods 3 and 5);
        # each pair equals statsmodels proportion_confint(method="wilson" / "beta").
        (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
        (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
        (0, 20, (0.0000, 0.1611), (0.0000, 0.1684)),
        (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
    ],
)
def test_table_one_wilson_and_exact(k, n, wilson, exact):
    assert r4(A.proportion_ci(k, n, method="wilson")) == wilson
    assert r4(A.proportion_ci(k, n, method="exact")) == exact


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        # Cross-checked: Table I, method 4 (score with continuity correction); confirmed by
        # solving its defining equation numerically in test_wilson_cc_solves_its_equation.
        (81, 263, (0.2535, 0.3682)),
        (15, 148, (0.0598, 0.1644)),
        (0, 20, (0.0000, 0.2005)),
        (1, 29, (0.0018, 0.1963)),
    ],
)
def test_table_one_wilson_cc(k, n, expected):
    assert r4(A.proportion_ci(k, n, method="wilson_cc")) == expected


@pytest.mark.parametrize(("k", "n"), [(81, 263), (15, 148), (1, 29), (7, 9)])
def test_wilson_cc_solves_its_equation(k, n):
    # The continuity-corrected score limits are the roots of
    # |p̂ - p| - 1/(2n) = z sqrt(p(1-p)/n) on either side of p̂ (Newcombe 1998, method 4).
    z = stats.norm.ppf(0.975)
    p_hat = k / n

    def g(p):
        return abs(p_hat - p) - 1 / (2 * n) - z * math.sqrt(p * (1 - p) / n)

    low = optimize.brentq(g, 1e-12, p_hat - 1 / (2 * n))
    high = optimize.brentq(g, p_hat + 1 / (2 * n), 1 - 1e-12)
    got = A.proportion_ci(k, n, method="wilson_cc")
    assert got.low == pytest.approx(low, abs=1e-9)
    assert got.high == pytest.approx(high, abs=1e-9)


# --- difference of proportions: Newcombe 1998, Stat Med 17:873, Table II --------------------


def test_newcombe_method_10_example_a_published():
    # Published: Newcombe 1998 (17:873), example (a) 56/70 - 48/80, method 10.
    assert r4(A.proportion_diff_ci(56, 70, 48, 80)) == (0.0524, 0.3339)


def test_newcombe_method_10_example_d_published():
    # Published: example (d) 5/56 - 0/29, method 10; also the expected value in the ratesci
    # R package's tests ("Newcombe RD example (d)", moverci(type = "wilson")).
    assert r4(A.proportion_diff_ci(5, 56, 0, 29)) == (-0.0381, 0.1926)


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "expected"),
    [
        # Cross-checked: the remaining examples (b)-(h) of Table II, method 10; each equals
        # statsmodels confint_proportions_2indep(method="newcomb", compare="diff").
        (9, 10, 3, 10, (0.1705, 0.8090)),
        (6, 7, 2, 7, (0.0582, 0.8062)),
        (0, 10, 0, 20, (-0.1611, 0.2775)),
        (0, 10, 0, 10, (-0.2775, 0.2775)),
        (10, 10, 0, 20, (0.6791, 1.0000)),
        (10, 10, 0, 10, (0.6075, 1.0000)),
    ],
)
def test_table_two_method_10(k1, n1, k2, n2, expected):
    assert r4(A.proportion_diff_ci(k1, n1, k2, n2)) == expected


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2"),
    [(56, 70, 48, 80), (9, 10, 3, 10), (6, 7, 2, 7), (5, 56, 0, 29), (0, 10, 0, 20)],
)
def test_method_11_is_method_10_built_on_corrected_limits(k1, n1, k2, n2):
    # Method 11 is the square-and-add of the continuity-corrected Wilson limits (method 4),
    # which test_wilson_cc_solves_its_equation checks independently.
    l1, u1 = A.proportion_ci(k1, n1, method="wilson_cc")
    l2, u2 = A.proportion_ci(k2, n2, method="wilson_cc")
    p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    got = A.proportion_diff_ci(k1, n1, k2, n2, method="newcombe_cc")
    assert got.low == pytest.approx(d - math.hypot(p1 - l1, u2 - p2), abs=1e-12)
    assert got.high == pytest.approx(d + math.hypot(u1 - p1, p2 - l2), abs=1e-12)
    assert got.width > A.proportion_diff_ci(k1, n1, k2, n2).width


def test_method_11_example_a():
    # Cross-checked: example (a), method 11, from the corrected limits above.
    assert r4(A.proportion_diff_ci(56, 70, 48, 80, method="newcombe_cc")) == (0.0428, 0.3422)


# --- Welch: R's sleep data -------------------------------------------------------------------


def test_welch_sleep_published():
    # Published: R, t.test(extra ~ group, data = sleep): 95 % CI -3.3654832 to 0.2054832,
    # t = -1.8608, df = 17.776.
    got = A.mean_diff_ci(SLEEP_GROUP_1, SLEEP_GROUP_2)
    assert r4(got) == (-3.3655, 0.2055)


def test_welch_sleep_other_levels():
    # Cross-checked: the same test at 90 % and 99 % from the printed t and df
    # (mean difference -1.58, standard error 1.58 / 1.8608).
    diff = -1.58
    se = math.sqrt(np.var(SLEEP_GROUP_1, ddof=1) / 10 + np.var(SLEEP_GROUP_2, ddof=1) / 10)
    assert diff / se == pytest.approx(-1.8608, abs=1e-4)
    for level in (0.90, 0.99):
        half = stats.t.ppf(0.5 + level / 2, 17.776) * se
        got = A.mean_diff_ci(SLEEP_GROUP_1, SLEEP_GROUP_2, level=level)
        assert got.low == pytest.approx(diff - half, abs=2e-4)
        assert got.high == pytest.approx(diff + half, abs=2e-4)


def test_t_interval_sleep_group_1():
    # Cross-checked: the one-sample t-interval of R's sleep group 1 (mean 0.75), equal to
    # scipy.stats.t.interval(0.95, 9, loc=0.75, scale=sem) = -0.5297804 to 2.0297804.
    assert r4(A.mean_ci(SLEEP_GROUP_1)) == (-0.5298, 2.0298)


# --- Cronbach's alpha: pingouin's examples ---------------------------------------------------


def test_alpha_pingouin_likert_published():
    # Published: pingouin.cronbach_alpha docstring, "cronbach_alpha" dataset:
    # (0.5917188485995826, array([0.195, 0.84])).
    got = A.cronbach_alpha(PINGOUIN_CRONBACH)
    assert round(got.value, 4) == 0.5917
    assert (round(got.low, 3), round(got.high, 3)) == (0.195, 0.840)
    assert (got.n, got.k) == (15, 10)


def test_alpha_pingouin_median_imputed_published():
    # Published: pingouin docstring, cronbach_wide_missing after fillna(median):
    # (0.7380191693290734, array([0.447, 0.911])). Complete data, so no deletion.
    data = np.array(PINGOUIN_WIDE_MISSING, dtype=float)
    filled = np.where(np.isnan(data), np.nanmedian(data, axis=0), data)
    got = A.cronbach_alpha(filled)
    assert round(got.value, 4) == 0.7380
    assert (round(got.low, 3), round(got.high, 3)) == (0.447, 0.911)


def test_alpha_pingouin_listwise_value_published_and_n_after_deletion():
    # Published: pingouin docstring, nan_policy="listwise" (= psych::alpha(use="complete.obs")):
    # alpha 0.8016949152542373. pingouin prints the interval [0.581, 0.933], but it computes it
    # with n = 12, the row count *before* deletion; Feldt's interval needs the rows actually
    # used, n = 9, so ours is wider. Both facts are asserted.
    got = A.cronbach_alpha(PINGOUIN_WIDE_MISSING)
    assert round(got.value, 4) == 0.8017
    assert got.n == 9
    assert got.k == 11
    df_pre = (11, 11 * 10)
    pingouin_low = 1 - (1 - got.value) * stats.f.isf(0.025, *df_pre)
    pingouin_high = 1 - (1 - got.value) * stats.f.isf(0.975, *df_pre)
    assert (round(pingouin_low, 3), round(pingouin_high, 3)) == (0.581, 0.933)
    assert got.low < pingouin_low
    assert got.high > pingouin_high
    df_post = (8, 8 * 10)
    assert got.low == pytest.approx(1 - (1 - got.value) * stats.f.isf(0.025, *df_post))


# --- p-value adjustment ------------------------------------------------------------------------


def test_adjust_pvalues_match_r():
    # Cross-checked: hand-computed Holm (1979) and Benjamini-Hochberg (1995) adjustments,
    # equal to statsmodels multipletests(method="holm" / "fdr_bh").
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    assert A.adjust_pvalues(p, "holm") == pytest.approx([0.05, 0.08, 0.09, 0.09, 0.09])
    assert A.adjust_pvalues(p, "bh") == pytest.approx([0.05, 0.05, 0.05, 0.05, 0.05])
    q = [0.04, 0.001, 0.03, 0.2]
    assert A.adjust_pvalues(q, "holm") == pytest.approx([0.09, 0.004, 0.09, 0.2])
    assert A.adjust_pvalues(q, "bh") == pytest.approx([0.05333333, 0.004, 0.05333333, 0.2])
