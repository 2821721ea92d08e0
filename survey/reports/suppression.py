"""Which cells of a report stay hidden: primary and complementary suppression.

Pure functions, no Flask or database, so the rule can be tested on its own and is applied the
same way to every output (page, PDF, XLSX, CSV and API all read one suppressed report).

The attack they stop: a report publishes a total (the centre) and its parts (schools, coaches,
audiences). Hiding the parts below *k* is not enough: the total minus every visible part is the
hidden remainder. If that remainder is a single small group, or several that together still
count fewer than *k* people, its figures can be worked out by subtraction. So whenever the
hidden part of a total holds between 1 and k - 1 respondents, the smallest visible parts are
hidden as well until the remainder counts at least *k* (Cox 1980, "Suppression methodology and
statistical disclosure control", JASA 75:377-385, the "complementary suppression" of
sensitivity rules; here with the threshold rule as the sensitivity measure).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping


def hidden_cells(
    counts: Mapping[Hashable, int],
    threshold: int,
    unpublished: Iterable[Hashable] = (),
) -> set[Hashable]:
    """The keys of ``counts`` to hide in one additive table (parts of one published total).

    ``counts`` maps every part of the total to its number of respondents, including parts that
    are never shown as a row (``unpublished``, e.g. answers without a school): those are part of
    the remainder an attacker computes, so they count towards it but are not in the result.

    A part is hidden when it has fewer than ``threshold`` respondents (zero included: "nobody
    answered" is shown as "fewer than k" too, so an empty cell cannot be told apart from a
    small one). Then the remainder is topped up from the smallest visible part upwards until
    it is empty or holds at least ``threshold`` respondents.
    """
    never_shown = set(unpublished)
    hidden = {key for key, n in counts.items() if n < threshold and key not in never_shown}
    remainder = sum(counts[key] for key in hidden) + sum(counts.get(key, 0) for key in never_shown)
    visible = sorted(
        (key for key in counts if key not in hidden and key not in never_shown),
        key=lambda key: (counts[key], str(key)),
    )
    for key in visible:
        if remainder == 0 or remainder >= threshold:
            break
        hidden.add(key)
        remainder += counts[key]
    return hidden
