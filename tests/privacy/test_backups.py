"""Attack 5: two backups taken around one submission, diffed.

PostgreSQL: two ``pg_dump --data-only`` dumps; SQLite: two copies through the sqlite3 backup
API. The attacker diffs them row by row (rows keyed by their primary key from the catalog):
the one submission between them is the only change, so an invitation row that changed and an
answer that appeared would belong together; the final state tells which published response
that answer became.
"""

from __future__ import annotations

from tests.privacy.attacker import link, published_traces, traces_from_snapshots, verdict, view_of


def test_two_backups_around_a_submission_link_no_answer_below_k(story):
    traces = traces_from_snapshots("backup", list(story.require("backups")), story.catalog)
    view = view_of(story.final, story.catalog, [*traces, *published_traces(story.final)])
    claims = link(view, story.threshold)
    failure = verdict(f"two backups ({story.backend})", claims, story.truth, story.threshold)
    assert failure is None, failure
