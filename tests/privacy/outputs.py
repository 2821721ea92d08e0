"""Staff and API users as attackers: subtract two outputs taken around a publication.

Each output (the API's results, the CSV export, the XLSX export with its comments sheet) is a
tidy table: one row per group, measure and statistic, with the group's n. Between two pulls
every group's n must change by 0 or by at least k; where it changes by one, the per-point
counts (or n times the mean) of every statement give that one respondent's answers, and a
comment that appears is theirs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Group = tuple[str, str, str]


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


@dataclass(frozen=True)
class Figures:
    """One pull of one format, indexed: n per group, and per group and statement its
    counts per scale point and its mean."""

    n: dict[Group, int]
    counts: dict[tuple[Group, str], dict[str, int]]
    means: dict[tuple[Group, str], tuple[float, int]]

    @classmethod
    def of(cls, rows: Iterable[dict[str, Any]]) -> Figures:
        n: dict[Group, int] = {}
        counts: dict[tuple[Group, str], dict[str, int]] = defaultdict(dict)
        means: dict[tuple[Group, str], tuple[float, int]] = {}
        for row in rows:
            if str(row["suppressed"]).lower() == "true":
                continue
            group = (str(row["audience"]), str(row["group_type"]), str(row["group_id"] or ""))
            kind, statistic = row["measure_type"], row["statistic"]
            if kind == "respondents" and statistic == "respondents":
                n[group] = int(_number(row["value"]))
            elif kind == "item" and statistic == "count":
                counts[(group, str(row["measure_id"]))][str(row["category"])] = int(
                    _number(row["value"])
                )
            elif kind == "item" and statistic == "mean" and _number(row["value"]) is not None:
                means[(group, str(row["measure_id"]))] = (
                    _number(row["value"]),
                    int(_number(row["n"])),
                )
        return cls(n, dict(counts), means)


@dataclass(frozen=True)
class Finding:
    step: str
    group: Group
    change: int
    vector: dict[str, int] | None


def subtract(before: Figures, after: Figures, step: str, threshold: int) -> list[Finding]:
    """Groups whose n changed by 1..k-1, with the one answer vector a change of one gives."""
    findings = []
    for group in before.n.keys() & after.n.keys():
        change = after.n[group] - before.n[group]
        if change == 0 or abs(change) >= threshold:
            continue
        vector = _one_answer(before, after, group) if change == 1 else None
        findings.append(Finding(step, group, change, vector))
    return findings


def _one_answer(before: Figures, after: Figures, group: Group) -> dict[str, int] | None:
    statements = {item for g, item in after.means if g == group}
    vector = {}
    for item in statements:
        new, old = after.counts.get((group, item)), before.counts.get((group, item))
        if new is not None and old is not None:
            grown = [point for point, count in new.items() if count - old.get(point, 0) == 1]
            if len(grown) == 1 and grown[0].isdigit():
                vector[item] = int(grown[0])
                continue
        if (group, item) in after.means and (group, item) in before.means:
            (mean_after, n_after), (mean_before, n_before) = (
                after.means[(group, item)],
                before.means[(group, item)],
            )
            vector[item] = round(mean_after * n_after - mean_before * n_before)
    return vector or None


def isolated_comments(
    before: Sequence[dict[str, Any]],
    after: Sequence[dict[str, Any]],
    before_n: dict[Group, int],
    after_n: dict[Group, int],
    threshold: int,
) -> list[str]:
    """Comments that appeared in a group whose n grew by fewer than k."""

    def by_group(rows: Sequence[dict[str, Any]]) -> dict[Group, Counter[str]]:
        grouped: dict[Group, Counter[str]] = defaultdict(Counter)
        for row in rows:
            key = (str(row["audience"]), str(row["group_type"]), str(row["group_id"] or ""))
            grouped[key][str(row["comment"])] += 1
        return grouped

    old, new = by_group(before), by_group(after)
    isolated = []
    for group, comments in new.items():
        appeared = comments - old.get(group, Counter())
        if not appeared or group not in before_n or group not in after_n:
            continue
        if after_n[group] - before_n[group] < threshold:
            isolated += list(appeared.elements())
    return isolated
