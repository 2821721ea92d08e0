"""Confidence intervals for proportions, means and their differences.

Every function returns an :class:`Interval`. When an interval is undefined (no data, or a
single observation for a t-interval) both bounds are ``nan``; callers test with
``Interval.is_defined``. Nothing here raises on degenerate data; invalid *arguments*
(negative counts, successes > n, an unknown method, a level outside (0, 1)) raise
``ValueError``.

Finite-population correction (``population=N``)
-----------------------------------------------
When ``n`` of a known group of ``N`` answered (for example 9 of the 11 coaches of a centre), the
sampling variance shrinks by the factor ``f = (N - n) / (N - 1)`` (Cochran 1977, *Sampling
Techniques*, 3rd ed., eqs. 2.12 and 3.4). For the t-interval of a mean the standard error is
multiplied by ``sqrt(f)``. For the proportion intervals, which are not of the form
``estimate ± z·se``, the correction is applied through the effective sample size
``n_eff = n / f`` with the observed share kept (``k_eff = p̂·n_eff``), the device Korn &
Graubard (1998, *Survey Methodology* 24:193) use to carry a design effect into score and
Clopper-Pearson intervals. With ``N == n`` (a census) the interval collapses to the observed
value; with ``N`` much larger than ``n`` it tends to the uncorrected interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "Interval",
    "fpc_factor",
    "mean_ci",
    "mean_diff_ci",
    "proportion_ci",
    "proportion_diff_ci",
]

NAN = float("nan")

PROPORTION_METHODS = ("wilson", "wilson_cc", "exact")
DIFFERENCE_METHODS = ("newcombe", "newcombe_cc")


@dataclass(frozen=True)
class Interval:
    """A closed interval ``[low, high]``; both bounds are ``nan`` when undefined.

    It unpacks like a pair: ``low, high = proportion_ci(3, 10)``.
    """

    low: float
    high: float

    def __iter__(self) -> Iterator[float]:
        yield self.low
        yield self.high

    @property
    def is_defined(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        return self.is_defined and self.low <= value <= self.high


UNDEFINED = Interval(NAN, NAN)


def _z(level: float) -> float:
    _check_level(level)
    return float(stats.norm.ppf(0.5 + level / 2.0))


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")


def _check_counts(successes: float, n: float) -> None:
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes!r}, n={n!r}")


def fpc_factor(n: float, population: float | None) -> float:
    """Cochran's finite-population variance factor ``(N - n) / (N - 1)``; 1 when ``N`` is None.

    Raises ``ValueError`` when ``N < n``: more answers than people means the caller passed the
    wrong group size, and silently ignoring that would hide a data error.
    """
    if population is None:
        return 1.0
    if population < n:
        raise ValueError(f"population ({population}) is smaller than the sample ({n})")
    if population <= 1:
        return 0.0
    return max(0.0, (population - n) / (population - 1.0))


def _wilson(k: float, n: float, z: float) -> tuple[float, float]:
    # Wilson (1927): the roots in p of (p̂ - p)^2 = z^2 p (1 - p) / n.
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    low = 0.0 if k <= 0 else max(0.0, centre - half)
    high = 1.0 if k >= n else min(1.0, centre + half)
    return low, high


def _wilson_cc(k: float, n: float, z: float) -> tuple[float, float]:
    # Newcombe (1998a) method 4, the continuity-corrected score interval (Fleiss 1981).
    p = k / n
    q = 1.0 - p
    z2 = z * z
    denom = 2.0 * (n + z2)
    if k <= 0:
        low = 0.0
    else:
        low = 2 * n * p + z2 - 1 - z * math.sqrt(max(0.0, z2 - 2 - 1 / n + 4 * p * (n * q + 1)))
        low = max(0.0, low / denom)
    if k >= n:
        high = 1.0
    else:
        high = 2 * n * p + z2 + 1 + z * math.sqrt(max(0.0, z2 + 2 - 1 / n + 4 * p * (n * q - 1)))
        high = min(1.0, high / denom)
    return low, high


def _exact(k: float, n: float, level: float) -> tuple[float, float]:
    # Clopper & Pearson (1934) via the beta quantiles of the binomial tail areas.
    a = 1.0 - level
    low = 0.0 if k <= 0 else float(stats.beta.ppf(a / 2.0, k, n - k + 1.0))
    high = 1.0 if k >= n else float(stats.beta.ppf(1.0 - a / 2.0, k + 1.0, n - k))
    return low, high


def proportion_ci(
    successes: float,
    n: float,
    level: float = 0.95,
    method: str = "wilson",
    population: float | None = None,
) -> Interval:
    """Confidence interval for a binomial proportion ``successes / n``.

    Methods (numbering from Newcombe 1998, *Stat Med* 17:857-872):

    * ``"wilson"`` (default): the Wilson (1927) score interval, method 3. Never leaves
      [0, 1] and never has zero width; the inspectorate's top-2-box reporting uses it.
    * ``"wilson_cc"``: the continuity-corrected score interval, method 4. Its lower bound is
      exactly 0 at 0 successes and its upper bound exactly 1 at ``n``.
    * ``"exact"``: Clopper & Pearson (1934), method 5, from beta quantiles.

    ``population`` applies the finite-population correction described in the module docstring
    (Cochran 1977; effective sample size as in Korn & Graubard 1998).

    ``n == 0`` gives the undefined interval ``Interval(nan, nan)``.
    """
    if method not in PROPORTION_METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {PROPORTION_METHODS}")
    _check_level(level)
    _check_counts(successes, n)
    if n == 0:
        return UNDEFINED
    f = fpc_factor(n, population)
    p = successes / n
    if f == 0.0:
        return Interval(p, p)
    n_eff = n / f
    k_eff = p * n_eff
    if method == "wilson":
        low, high = _wilson(k_eff, n_eff, _z(level))
    elif method == "wilson_cc":
        low, high = _wilson_cc(k_eff, n_eff, _z(level))
    else:
        low, high = _exact(k_eff, n_eff, level)
    return Interval(low, high)


def proportion_diff_ci(
    k1: float,
    n1: float,
    k2: float,
    n2: float,
    level: float = 0.95,
    method: str = "newcombe",
) -> Interval:
    """Confidence interval for ``k1/n1 - k2/n2`` from two independent samples.

    ``"newcombe"`` is Newcombe's hybrid score interval (1998, *Stat Med* 17:873-890, method 10):
    with Wilson limits ``(l1, u1)`` and ``(l2, u2)`` and ``d = p1 - p2``,
    ``[d - sqrt((p1-l1)^2 + (u2-p2)^2), d + sqrt((u1-p1)^2 + (p2-l2)^2)]``.
    ``"newcombe_cc"`` (method 11) uses the continuity-corrected Wilson limits instead.

    Either ``n`` being 0 gives ``Interval(nan, nan)``.
    """
    if method not in DIFFERENCE_METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {DIFFERENCE_METHODS}")
    _check_level(level)
    _check_counts(k1, n1)
    _check_counts(k2, n2)
    if n1 == 0 or n2 == 0:
        return UNDEFINED
    single = "wilson" if method == "newcombe" else "wilson_cc"
    l1, u1 = proportion_ci(k1, n1, level, single)
    l2, u2 = proportion_ci(k2, n2, level, single)
    p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Interval(max(-1.0, low), min(1.0, high))


def _clean(values: object) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    return arr[~np.isnan(arr)]


def mean_ci(values: object, level: float = 0.95, population: float | None = None) -> Interval:
    """Student t-interval for the mean, ignoring missing values (``nan`` or ``None``).

    ``mean ± t(1-a/2; n-1) · s/√n · √f``, with ``f`` Cochran's (1977, eq. 2.12)
    finite-population factor ``(N-n)/(N-1)`` when ``population=N`` is given, else 1.

    Degenerate data: no values or a single value give ``Interval(nan, nan)`` (a t-interval
    needs ``n >= 2``); values that are all equal give the zero-width ``Interval(m, m)``, which
    is what the t formula yields — the spread of the sample is the only evidence it has.
    """
    _check_level(level)
    x = _clean(values)
    n = x.size
    if n < 2:
        return UNDEFINED
    m = float(x.mean())
    s = float(x.std(ddof=1))
    se = s / math.sqrt(n) * math.sqrt(fpc_factor(n, population))
    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * se
    return Interval(m - half, m + half)


def mean_diff_ci(a: object, b: object, level: float = 0.95) -> Interval:
    """Welch (1947) interval for ``mean(a) - mean(b)`` with unequal variances.

    ``d ± t(1-a/2; df) · √(s1²/n1 + s2²/n2)``, ``df`` from the Welch-Satterthwaite equation.
    Missing values (``nan``) are ignored. Either sample with fewer than two values gives
    ``Interval(nan, nan)``; two zero-variance samples give the zero-width ``Interval(d, d)``.
    """
    _check_level(level)
    x, y = _clean(a), _clean(b)
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        return UNDEFINED
    d = float(x.mean() - y.mean())
    v1 = float(x.var(ddof=1)) / n1
    v2 = float(y.var(ddof=1)) / n2
    se2 = v1 + v2
    if se2 == 0.0:
        return Interval(d, d)
    df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    half = float(stats.t.ppf(0.5 + level / 2.0, df)) * math.sqrt(se2)
    return Interval(d - half, d + half)
