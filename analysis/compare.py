"""Comparing one item between two independent groups (two school years, a school and the rest)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from analysis.intervals import Interval, mean_diff_ci, proportion_diff_ci
from analysis.summary import Scale, likert_to_float

__all__ = ["Comparison", "compare_items"]


@dataclass(frozen=True)
class Comparison:
    """``a`` minus ``b`` for one item.

    ``top2_diff`` is the difference of the top-2 shares (fractions) with Newcombe's hybrid
    score interval; ``mean_diff`` the difference of the means with Welch's interval;
    ``p_value`` Welch's two-sided t-test of equal means (``nan`` when it cannot be computed),
    to be adjusted with :func:`analysis.adjust_pvalues` when many items are compared at once.
    """

    top2_diff: float
    top2_diff_ci: Interval
    mean_diff: float
    mean_diff_ci: Interval
    p_value: float


def compare_items(a: object, b: object, scale: Scale, level: float = 0.95) -> Comparison:
    """Compare the answer codes of one item in two independent samples ``a`` and ``b``.

    * Top-2 share: difference ``p_a - p_b`` with Newcombe's (1998, *Stat Med* 17:873-890)
      method 10 interval, built from the two Wilson intervals.
    * Mean: difference with Welch's (1947, *Biometrika* 34:28-35) interval and the matching
      two-sided t-test (unequal variances, Welch-Satterthwaite degrees of freedom).

    "Don't know" and "not answered" are left out of both, as in
    :func:`analysis.summary.summarize_item`. A sample with fewer than two answers gives
    ``nan`` for the mean difference and the p-value; an empty one also for the shares.
    """
    x = likert_to_float(a)
    y = likert_to_float(b)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    positive = np.asarray(scale.positive, dtype=float)
    k1, n1 = int(np.isin(x, positive).sum()), int(x.size)
    k2, n2 = int(np.isin(y, positive).sum()), int(y.size)
    top2_ci = proportion_diff_ci(k1, n1, k2, n2, level=level)
    top2 = k1 / n1 - k2 / n2 if n1 and n2 else math.nan
    mean_ci = mean_diff_ci(x, y, level=level)
    mean = float(x.mean() - y.mean()) if n1 and n2 else math.nan
    p_value = math.nan
    if n1 >= 2 and n2 >= 2 and (x.std() > 0 or y.std() > 0):
        p_value = float(stats.ttest_ind(x, y, equal_var=False).pvalue)
    elif n1 >= 2 and n2 >= 2:
        # Two constant samples: the test statistic is undefined; equal constants differ by
        # nothing (p = 1), unequal ones differ with certainty as far as the data go (p = 0).
        p_value = 1.0 if mean == 0 else 0.0
    return Comparison(top2, top2_ci, mean, mean_ci, p_value)
