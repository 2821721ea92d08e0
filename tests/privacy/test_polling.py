"""Attack 2: polling every table, as the application's role, around every write.

The attacker takes a snapshot of every table between each of the 30 submissions (and each
draft save, publication, reminder and closing) and diffs consecutive snapshots: what
appeared, changed or disappeared in one interval counts as written together. On PostgreSQL
each row's xmin and xmax join in. Whatever a link's use changes on its invitation row, and
whatever answer appears with it, would be paired up.
"""

from __future__ import annotations

from tests.privacy.attacker import link, published_traces, traces_from_snapshots, verdict, view_of


def test_polling_every_table_links_no_answer_below_k(story):
    traces = traces_from_snapshots("poll", story.polls, story.catalog)
    view = view_of(story.final, story.catalog, [*traces, *published_traces(story.final)])
    claims = link(view, story.threshold)
    failure = verdict(f"polling ({story.backend})", claims, story.truth, story.threshold)
    assert failure is None, failure
