"""compare_items: Newcombe and Welch on Likert codes, with "don't know" left out."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from analysis import AGREE_4, compare_items, proportion_diff_ci


def test_compare_items_matches_its_parts():
    a = [4, 4, 3, 3, 3, 2, 1, 0, -1]  # 0 = don't know, -1 = not answered: both left out
    b = [2, 2, 3, 1, 1, 2, 4]
    result = compare_items(a, b, AGREE_4)
    # Top-2: 5 of 7 against 2 of 7.
    assert math.isclose(result.top2_diff, 5 / 7 - 2 / 7)
    expected = proportion_diff_ci(5, 7, 2, 7)
    assert math.isclose(result.top2_diff_ci.low, expected.low)
    assert math.isclose(result.top2_diff_ci.high, expected.high)
    x, y = np.array([4, 4, 3, 3, 3, 2, 1]), np.array(b, dtype=float)
    assert math.isclose(result.mean_diff, x.mean() - y.mean())
    assert math.isclose(result.p_value, stats.ttest_ind(x, y, equal_var=False).pvalue)
    assert result.mean_diff_ci.contains(result.mean_diff)


def test_compare_items_degenerate_samples():
    assert math.isnan(compare_items([4], [1, 2], AGREE_4).p_value)
    assert math.isnan(compare_items([], [1, 2], AGREE_4).top2_diff)
    assert compare_items([3, 3], [3, 3], AGREE_4).p_value == 1.0
    assert compare_items([4, 4], [1, 1], AGREE_4).p_value == 0.0
