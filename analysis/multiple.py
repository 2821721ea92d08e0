"""Adjusting p-values for multiple comparisons."""

from __future__ import annotations

import numpy as np

__all__ = ["adjust_pvalues"]

METHODS = ("holm", "bh")


def adjust_pvalues(p: object, method: str = "holm") -> np.ndarray:
    """Adjusted p-values, same shape as ``p``.

    * ``"holm"``: Holm (1979, *Scand J Statist* 6:65) step-down; controls the family-wise
      error rate. ``p_(i) · (m - i + 1)`` made monotone from the smallest upward.
    * ``"bh"``: Benjamini & Hochberg (1995, *JRSS B* 57:289) step-up; controls the false
      discovery rate. ``p_(i) · m / i`` made monotone from the largest downward.

    Results are capped at 1. ``nan`` entries (a comparison that could not be made) stay ``nan``
    and do not count towards ``m``. An empty input gives an empty array.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {METHODS}")
    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    flat = arr.ravel()
    ok = ~np.isnan(flat)
    values = flat[ok]
    if values.size and (values.min() < 0.0 or values.max() > 1.0):
        raise ValueError("p-values must lie in [0, 1]")
    m = values.size
    if m == 0:
        return out
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    i = np.arange(1, m + 1)
    if method == "holm":
        adj = np.maximum.accumulate(ranked * (m - i + 1))
    else:
        adj = np.minimum.accumulate((ranked * m / i)[::-1])[::-1]
    adj = np.minimum(adj, 1.0)
    result = np.empty(m)
    result[order] = adj
    out_flat = out.ravel()
    out_flat[ok] = result
    return out_flat.reshape(arr.shape)
