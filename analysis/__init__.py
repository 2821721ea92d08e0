"""Klankbord's statistics and charts: arrays and dataclasses in, numbers and figures out.

A pure package: it never imports Flask or touches the database, and nothing in it is
user-facing text (labels are identifiers; chart texts are passed in by the caller).
See :mod:`analysis.summary` for how Likert answers are coded.
"""

from analysis.compare import Comparison, compare_items
from analysis.intervals import (
    Interval,
    mean_ci,
    mean_diff_ci,
    proportion_ci,
    proportion_diff_ci,
)
from analysis.multiple import adjust_pvalues
from analysis.reliability import Alpha, cronbach_alpha
from analysis.summary import (
    AGREE_4,
    DONT_KNOW,
    NOT_ANSWERED,
    OPPORTUNITY_MIN,
    PICTORIAL_3,
    PROFILES,
    STRENGTH_MIN,
    GroupSummary,
    ItemSummary,
    Scale,
    likert_to_float,
    profile_label,
    summarize_groups,
    summarize_item,
)

__all__ = [
    "AGREE_4",
    "DONT_KNOW",
    "NOT_ANSWERED",
    "OPPORTUNITY_MIN",
    "PICTORIAL_3",
    "PROFILES",
    "STRENGTH_MIN",
    "Alpha",
    "Comparison",
    "GroupSummary",
    "Interval",
    "ItemSummary",
    "Scale",
    "adjust_pvalues",
    "compare_items",
    "cronbach_alpha",
    "likert_to_float",
    "mean_ci",
    "mean_diff_ci",
    "profile_label",
    "proportion_ci",
    "proportion_diff_ci",
    "summarize_groups",
    "summarize_item",
]
