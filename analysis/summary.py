"""Summaries of Likert items: counts, mean with t-interval, top-2-box share with Wilson interval.

Answer coding (the contract with the app)
-----------------------------------------
* ``1 .. scale.points``: a scale point, 1 the most negative.
* ``0`` (:data:`DONT_KNOW`): "don't know / not applicable". Counted in ``dont_know``; left out
  of ``n``, of the mean and of the top-2 share.
* any negative code (use ``-1``, :data:`NOT_ANSWERED`), ``None`` or ``nan``: not answered.
  Counted in ``not_answered`` only, so the app can report item non-response; excluded from
  everything else.
* anything else (a code above ``points``, a fraction) is a data error and raises ``ValueError``.

``n`` is therefore the number of scale answers: the denominator of the mean and of the share,
and the number a reader needs to judge precision. ``n_answered = n + dont_know``.

Profile bands
-------------
The inspectorate's bands on the top-2 share: strength at or above :data:`STRENGTH_MIN` (75 %),
opportunity from :data:`OPPORTUNITY_MIN` (50 %) up to 75 %, challenge below 50 %. The label is
given only when the *whole* Wilson interval of the share lies in one band; an interval that
reaches into two bands is :data:`UNCERTAIN`. With ``n == 0`` (no data, or only "don't know")
the label is :data:`INSUFFICIENT`. Labels are plain identifiers for the app to translate and are
never computed from ``nan``.

Degenerate data
---------------
* ``n == 0``: mean, sd, share and both intervals are ``nan``; profile ``"insufficient"``.
* ``n == 1``: the mean is the answer; sd and the mean interval are ``nan`` (a t-interval needs
  two values); the share has its Wilson interval, which is wide, so the profile is usually
  ``"uncertain"``.
* all answers equal (``n >= 2``): sd 0 and a zero-width mean interval (what the t formula gives);
  the Wilson interval of the share still has width, so small groups stay ``"uncertain"``.
* large ``n``: exact integer counts; intervals narrow as they should.

The single-item and the grouped summary share one vectorised implementation, so they agree to
the last bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from analysis.intervals import Interval, fpc_factor

__all__ = [
    "AGREE_4",
    "DONT_KNOW",
    "NOT_ANSWERED",
    "OPPORTUNITY_MIN",
    "PICTORIAL_3",
    "PROFILES",
    "STRENGTH_MIN",
    "GroupSummary",
    "ItemSummary",
    "Scale",
    "likert_to_float",
    "profile_label",
    "summarize_groups",
    "summarize_item",
]

DONT_KNOW = 0
NOT_ANSWERED = -1

STRENGTH_MIN = 0.75
OPPORTUNITY_MIN = 0.50

STRENGTH = "strength"
OPPORTUNITY = "opportunity"
CHALLENGE = "challenge"
UNCERTAIN = "uncertain"
INSUFFICIENT = "insufficient"
PROFILES = (STRENGTH, OPPORTUNITY, CHALLENGE, UNCERTAIN, INSUFFICIENT)

# Index = band number from _band(); keeps the vectorised and scalar labels identical.
_BAND_LABELS = np.array([CHALLENGE, OPPORTUNITY, STRENGTH])


@dataclass(frozen=True)
class Scale:
    """A Likert scale: ``points`` categories coded 1..points, and which of them count as positive.

    ``positive`` are the "top box" points (``(3, 4)`` on the 4-point agree scale, ``(3,)`` on the
    3-point pictorial scale). ``neutral`` only matters for the diverging bar chart, which centres
    neutral points on zero; by default it is the middle point of an odd scale when that point is
    not positive (point 2 of the 3-point scale), and nothing on an even scale. Every other point
    is negative.

    Build it from a questionnaire scale: ``Scale(points=s["points"], positive=s["positive"])``.
    """

    points: int
    positive: tuple[int, ...]
    neutral: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if int(self.points) != self.points or self.points < 2:
            raise ValueError(f"a scale needs at least 2 points, got {self.points!r}")
        positive = tuple(sorted({int(p) for p in self.positive}))
        if not positive or positive[0] < 1 or positive[-1] > self.points:
            raise ValueError(f"positive points must lie in 1..{self.points}, got {self.positive}")
        if len(positive) == self.points:
            raise ValueError("at least one point must be non-positive")
        if self.neutral is None:
            mid = (self.points + 1) // 2
            neutral: tuple[int, ...] = (
                (mid,) if self.points % 2 == 1 and mid not in positive else ()
            )
        else:
            neutral = tuple(sorted({int(p) for p in self.neutral}))
            if set(neutral) & set(positive) or any(not 1 <= p <= self.points for p in neutral):
                raise ValueError("neutral points must be scale points that are not positive")
        object.__setattr__(self, "points", int(self.points))
        object.__setattr__(self, "positive", positive)
        object.__setattr__(self, "neutral", neutral)

    @property
    def negative(self) -> tuple[int, ...]:
        others = set(self.positive) | set(self.neutral or ())
        return tuple(p for p in range(1, self.points + 1) if p not in others)


AGREE_4 = Scale(points=4, positive=(3, 4))
PICTORIAL_3 = Scale(points=3, positive=(3,))


@dataclass(frozen=True)
class ItemSummary:
    """Summary of one item (see the module docstring for coding and degenerate cases).

    ``counts[j]`` is the number of answers on scale point ``j + 1``. ``top2`` is the share of
    the ``n`` scale answers on a positive point (a fraction in [0, 1], not a percentage).
    """

    n: int
    counts: tuple[int, ...]
    dont_know: int
    not_answered: int
    mean: float
    sd: float
    mean_ci: Interval
    top2: float
    top2_ci: Interval
    profile: str

    @property
    def n_answered(self) -> int:
        return self.n + self.dont_know


@dataclass(frozen=True)
class GroupSummary:
    """Summaries for many groups (and optionally many items) as numpy arrays.

    ``groups`` holds the group ids in row order. With 1-D ``codes`` every per-cell array has
    shape ``(G,)``; with 2-D ``codes`` (respondents x items) it is ``(G, I)``. ``counts`` has one
    more trailing axis of length ``scale.points``. ``profile`` holds the label strings.
    Fields have the same meaning as in :class:`ItemSummary`; undefined values are ``nan``.
    """

    scale: Scale
    level: float
    groups: np.ndarray
    n: np.ndarray
    counts: np.ndarray
    dont_know: np.ndarray
    not_answered: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    mean_low: np.ndarray
    mean_high: np.ndarray
    top2: np.ndarray
    top2_low: np.ndarray
    top2_high: np.ndarray
    profile: np.ndarray
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def row(self, group: object) -> int:
        """Row number of a group id (``KeyError`` if absent)."""
        if not self._index:
            self._index.update({g: i for i, g in enumerate(self.groups.tolist())})
        return self._index[group.item() if isinstance(group, np.generic) else group]

    def item(self, group: object, item: int | None = None) -> ItemSummary:
        """The :class:`ItemSummary` of one group (and item, for 2-D input)."""
        idx: tuple = (self.row(group),) if item is None else (self.row(group), item)
        return ItemSummary(
            n=int(self.n[idx]),
            counts=tuple(int(c) for c in self.counts[idx]),
            dont_know=int(self.dont_know[idx]),
            not_answered=int(self.not_answered[idx]),
            mean=float(self.mean[idx]),
            sd=float(self.sd[idx]),
            mean_ci=Interval(float(self.mean_low[idx]), float(self.mean_high[idx])),
            top2=float(self.top2[idx]),
            top2_ci=Interval(float(self.top2_low[idx]), float(self.top2_high[idx])),
            profile=str(self.profile[idx]),
        )


def _band(x: np.ndarray) -> np.ndarray:
    return (x >= OPPORTUNITY_MIN).astype(np.int8) + (x >= STRENGTH_MIN).astype(np.int8)


def profile_label(low: float, high: float, n: int) -> str:
    """Profile of a top-2 share from its interval bounds (see the module docstring)."""
    return str(_profiles(np.array([low]), np.array([high]), np.array([n]))[0])


def _profiles(low: np.ndarray, high: np.ndarray, n: np.ndarray) -> np.ndarray:
    defined = (n > 0) & ~np.isnan(low) & ~np.isnan(high)
    lo_band = _band(np.where(defined, low, 0.0))
    hi_band = _band(np.where(defined, high, 0.0))
    labels = np.where(lo_band == hi_band, _BAND_LABELS[lo_band], UNCERTAIN)
    return np.where(defined, labels, INSUFFICIENT).astype("<U12")


def _codes_array(values: object) -> np.ndarray:
    """Validated integer codes; not-answered folded to -1."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "O":
        values = values.tolist()  # may hold None for "not answered"
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        arr = values
    else:
        if isinstance(values, np.ndarray):
            raw = values
        else:
            raw = np.asarray(
                [np.nan if v is None else v for v in values]
                if isinstance(values, Sequence) and not isinstance(values, str)
                else values,
                dtype=float,
            )
        raw = np.asarray(raw, dtype=float)
        raw = np.where(np.isnan(raw), NOT_ANSWERED, raw)
        if raw.size and not np.array_equal(raw, np.round(raw)):
            raise ValueError("answer codes must be whole numbers")
        arr = raw.astype(np.int64)
    return arr


def _check_range(arr: np.ndarray, scale: Scale) -> None:
    if arr.size and int(arr.max()) > scale.points:
        raise ValueError(f"answer code {int(arr.max())} is above the scale's {scale.points} points")


def _t_quantiles(df: np.ndarray, q: float) -> np.ndarray:
    # Few distinct sample sizes occur, so evaluate the quantile once per distinct df.
    out = np.full(df.shape, np.nan)
    ok = df >= 1
    if ok.any():
        uniq, inv = np.unique(df[ok], return_inverse=True)
        out[ok] = stats.t.ppf(q, uniq)[inv]
    return out


def _from_counts(
    counts: np.ndarray, scale: Scale, level: float, fpc: np.ndarray
) -> dict[str, np.ndarray]:
    """All statistics from a (..., points) count array; ``fpc`` broadcasts against ``n``."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    points = np.arange(1, scale.points + 1, dtype=float)
    n = counts.sum(axis=-1)
    nf = n.astype(float)
    pos = counts[..., np.asarray(scale.positive) - 1].sum(axis=-1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, (counts * points).sum(axis=-1) / nf, np.nan)
        dev2 = (counts * (points - mean[..., None]) ** 2).sum(axis=-1)
        sd = np.where(n > 1, np.sqrt(dev2 / (nf - 1.0)), np.nan)
        tq = _t_quantiles(n - 1, 0.5 + level / 2.0)
        half = tq * sd / np.sqrt(nf) * np.sqrt(fpc)
        mean_low = np.where(n > 1, mean - half, np.nan)
        mean_high = np.where(n > 1, mean + half, np.nan)

        # Wilson (1927) with the effective sample size n/f for the finite-population case
        # (see analysis.intervals); f == 0 (census) collapses the interval onto p.
        p = np.where(n > 0, pos / nf, np.nan)
        z = float(stats.norm.ppf(0.5 + level / 2.0))
        z2 = z * z
        census = fpc == 0.0
        n_eff = np.where(census, 1.0, nf / np.where(census, 1.0, fpc))
        denom = 1.0 + z2 / n_eff
        centre = (p + z2 / (2.0 * n_eff)) / denom
        whalf = z * np.sqrt(p * (1.0 - p) / n_eff + z2 / (4.0 * n_eff * n_eff)) / denom
        w_low = np.where(pos <= 0, 0.0, np.maximum(0.0, centre - whalf))
        w_high = np.where(pos >= nf, 1.0, np.minimum(1.0, centre + whalf))
        w_low = np.where(census, p, w_low)
        w_high = np.where(census, p, w_high)
        w_low = np.where(n > 0, w_low, np.nan)
        w_high = np.where(n > 0, w_high, np.nan)
    return {
        "n": n,
        "mean": mean,
        "sd": sd,
        "mean_low": mean_low,
        "mean_high": mean_high,
        "top2": p,
        "top2_low": w_low,
        "top2_high": w_high,
        "profile": _profiles(w_low, w_high, n),
    }


def _fpc_array(n: np.ndarray, population: object) -> np.ndarray:
    if population is None:
        return np.ones(n.shape)
    pop = np.asarray(population, dtype=float)
    pop = pop.reshape(pop.shape + (1,) * (n.ndim - pop.ndim)) if pop.ndim else pop
    pop = np.broadcast_to(pop, n.shape)
    if np.any(pop < n):
        raise ValueError("population is smaller than the number of answers")
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(pop > 1, (pop - n) / (pop - 1.0), 0.0)
    return np.clip(f, 0.0, 1.0)


def summarize_item(
    values: object,
    scale: Scale,
    level: float = 0.95,
    population: int | None = None,
) -> ItemSummary:
    """Summarise one item's answer codes (see the module docstring for coding and edge cases).

    * counts per scale point, ``dont_know`` and ``not_answered``;
    * the mean with a Student t-interval (with Cochran's 1977 finite-population correction when
      ``population`` — the number of people asked — is given);
    * the top-2-box share with its Wilson (1927) score interval (same correction);
    * the profile label from that interval and the inspectorate's bands.
    """
    codes = _codes_array(values).ravel()
    _check_range(codes, scale)
    slots = np.bincount(np.clip(codes, -1, None) + 1, minlength=scale.points + 2)
    counts = slots[2:][None, :]
    n_scale = int(counts.sum())
    f = np.array([fpc_factor(n_scale, population)])
    r = _from_counts(counts, scale, level, f)
    return ItemSummary(
        n=n_scale,
        counts=tuple(int(c) for c in counts[0]),
        dont_know=int(slots[1]),
        not_answered=int(slots[0]),
        mean=float(r["mean"][0]),
        sd=float(r["sd"][0]),
        mean_ci=Interval(float(r["mean_low"][0]), float(r["mean_high"][0])),
        top2=float(r["top2"][0]),
        top2_ci=Interval(float(r["top2_low"][0]), float(r["top2_high"][0])),
        profile=str(r["profile"][0]),
    )


def summarize_groups(
    codes: object,
    group_ids: object,
    scale: Scale,
    level: float = 0.95,
    population: object = None,
    groups: object = None,
) -> GroupSummary:
    """Vectorised :func:`summarize_item` for every group (and item) at once.

    ``codes`` is ``(R,)`` for one item or ``(R, I)`` for I items (respondents x items);
    ``group_ids`` is ``(R,)``. All counts come from one ``numpy.bincount`` per item over a
    combined (group, category) key, and every statistic is then computed on the ``(G, I, points)``
    count table, so there is no Python loop over groups.

    ``groups`` fixes the output rows (and their order), e.g. to include groups without answers;
    by default the sorted distinct ``group_ids``. ``population`` is ``None``, one number, or one
    number per output group (the number of people asked in that group).
    """
    arr = _codes_array(codes)
    one_item = arr.ndim == 1
    if one_item:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"codes must be 1-D or 2-D, got shape {arr.shape}")
    _check_range(arr, scale)
    gid = np.asarray(group_ids)
    if gid.shape != (arr.shape[0],):
        raise ValueError("group_ids must have one entry per row of codes")
    if groups is None:
        uniq, gidx = np.unique(gid, return_inverse=True)
    else:
        uniq = np.asarray(groups)
        if np.unique(uniq).size != uniq.size:
            raise ValueError("groups contains duplicates")
        sorter = np.argsort(uniq, kind="stable")
        gidx = np.zeros(gid.shape, dtype=np.intp)
        if gid.size:
            if uniq.size == 0:
                raise ValueError("group_ids contains ids that are not in groups")
            pos = np.minimum(np.searchsorted(uniq, gid, sorter=sorter), uniq.size - 1)
            gidx = sorter[pos]
            if not np.array_equal(uniq[gidx], gid):
                raise ValueError("group_ids contains ids that are not in groups")
    n_groups = uniq.size
    n_slots = scale.points + 2
    n_items = arr.shape[1]

    table = np.zeros((n_groups, n_items, n_slots), dtype=np.int64)
    if arr.size:
        base = gidx.astype(np.int64) * n_slots
        # Column by column keeps the temporaries at one column's size; this is a loop over
        # items (a handful), never over groups.
        cols = np.ascontiguousarray(arr.T)
        for i in range(n_items):
            slot = np.clip(cols[i], -1, None).astype(np.int64)
            slot += 1
            slot += base
            table[:, i, :] = np.bincount(slot, minlength=n_groups * n_slots).reshape(
                n_groups, n_slots
            )
    counts = table[..., 2:]
    n = counts.sum(axis=-1)
    r = _from_counts(counts, scale, level, _fpc_array(n, population))
    squeeze = (lambda a: a[:, 0]) if one_item else (lambda a: a)
    return GroupSummary(
        scale=scale,
        level=level,
        groups=uniq,
        n=squeeze(r["n"]),
        counts=squeeze(counts),
        dont_know=squeeze(table[..., 1]),
        not_answered=squeeze(table[..., 0]),
        mean=squeeze(r["mean"]),
        sd=squeeze(r["sd"]),
        mean_low=squeeze(r["mean_low"]),
        mean_high=squeeze(r["mean_high"]),
        top2=squeeze(r["top2"]),
        top2_low=squeeze(r["top2_low"]),
        top2_high=squeeze(r["top2_high"]),
        profile=squeeze(r["profile"]),
    )


def likert_to_float(codes: object) -> np.ndarray:
    """Codes as floats with "don't know" and "not answered" turned into ``nan``.

    The input for :func:`analysis.mean_ci` and :func:`analysis.cronbach_alpha`.
    """
    arr = _codes_array(codes).astype(float)
    arr[arr <= 0] = np.nan
    return arr
