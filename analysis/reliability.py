"""Internal consistency of a theme: Cronbach's alpha with Feldt's confidence interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Alpha", "cronbach_alpha"]

NAN = float("nan")


@dataclass(frozen=True)
class Alpha:
    """Cronbach's alpha, its confidence interval, and the data it rests on.

    ``n`` is the number of respondents left after listwise deletion, ``k`` the number of items.
    ``value``, ``low`` and ``high`` are ``nan`` when alpha is undefined (see
    :func:`cronbach_alpha`).
    """

    value: float
    low: float
    high: float
    n: int
    k: int

    @property
    def is_defined(self) -> bool:
        return not math.isnan(self.value)


def cronbach_alpha(matrix: object, level: float = 0.95) -> Alpha:
    """Cronbach's (1951) alpha for a respondents x items matrix, with Feldt's interval.

    ``alpha = k/(k-1) · (1 - Σ s²_item / s²_total)`` with sample variances (ddof = 1).

    Missing values are ``nan`` (convert Likert codes first with
    :func:`analysis.summary.likert_to_float`, which maps "don't know" and "not answered" to
    ``nan``). Rows with any missing value are dropped (listwise deletion) and ``n`` counts the
    rows that remain.

    The interval is Feldt's (1965, *Psychometrika* 30:357; Feldt, Woodruff & Salih 1987,
    *Applied Psychological Measurement* 11:93): ``(1 - alpha)`` follows
    ``(1 - true alpha) · F(n-1, (n-1)(k-1))``, so
    ``low = 1 - (1 - alpha) · F(1-g/2)`` and ``high = 1 - (1 - alpha) · F(g/2)``, g = 1 - level.

    Degenerate data give ``nan`` for value and bounds (never an exception): fewer than two items,
    fewer than two complete rows, or a zero variance of the total score (everyone gave the same
    total, so there is no between-person variation to be consistent about). With ``n == 2`` an
    alpha exists but the interval is very wide — that is the honest answer.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"matrix must be 2-D (respondents x items), got shape {x.shape}")
    k = int(x.shape[1])
    complete = x[~np.isnan(x).any(axis=1)]
    n = int(complete.shape[0])
    if k < 2 or n < 2:
        return Alpha(NAN, NAN, NAN, n, k)
    item_var = complete.var(axis=0, ddof=1).sum()
    total_var = complete.sum(axis=1).var(ddof=1)
    if total_var <= 0.0:
        return Alpha(NAN, NAN, NAN, n, k)
    value = float(k / (k - 1.0) * (1.0 - item_var / total_var))
    df1, df2 = n - 1, (n - 1) * (k - 1)
    gamma = 1.0 - level
    low = 1.0 - (1.0 - value) * float(stats.f.ppf(1.0 - gamma / 2.0, df1, df2))
    high = 1.0 - (1.0 - value) * float(stats.f.ppf(gamma / 2.0, df1, df2))
    return Alpha(value, low, high, n, k)
