"""Attack 1: one read of the database, transaction ids as a clock, and elimination.

The attacker reads every table once (on PostgreSQL with each row's ctid, xmin and xmax, on
SQLite with its rowid), either when the last answer is in or at the very end, and later the
published answers. It links by transactions the rows still share, pairs invitations rewritten
one by one with the publications that followed them, narrows each invitation to the
responses its campaign's attributes allow, and eliminates responses pinned to one invitation
from everyone else's candidates.
"""

from __future__ import annotations

import pytest

from tests.privacy.attacker import (
    align_by_order,
    combine,
    link,
    published_traces,
    traces_from_snapshots,
    verdict,
    view_of,
)


@pytest.mark.parametrize("moment", ["answering_ended", "final"])
def test_one_read_of_the_database_links_no_answer_below_k(story, moment):
    read = getattr(story, moment)
    traces = traces_from_snapshots(moment, [read], story.catalog)
    view = view_of(story.final, story.catalog, [*traces, *published_traces(story.final)])
    claims = combine(link(view, story.threshold), align_by_order(view, read, story.final))
    failure = verdict(
        f"one read at {moment} + elimination ({story.backend})",
        claims,
        story.truth,
        story.threshold,
    )
    assert failure is None, failure
