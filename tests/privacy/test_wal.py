"""Attack 4: the write-ahead log of the whole story (PostgreSQL, pg_waldump).

The attacker lists every heap record of the database between the WAL locations before and
after the story (``pg_waldump``: transaction id, relation file node, tuple offsets), maps file
nodes to tables (``pg_relation_filenode``), reads each record's bytes from the segment files
of ``SHOW data_directory``, and follows every tuple position back from the live rows to
their inserts. Records of one transaction that touch an invitation and an answer-bearing row
would link them.
"""

from __future__ import annotations

import pytest

from tests.privacy.attacker import link, published_traces, traces_from_wal, verdict, view_of

pytestmark = pytest.mark.postgres


def test_the_wal_links_no_answer_below_k(postgres_story):
    story = postgres_story
    traces = traces_from_wal(story.require("wal"), story.nodes, story.final, story.catalog)
    view = view_of(story.final, story.catalog, [*traces, *published_traces(story.final)])
    claims = link(view, story.threshold)
    failure = verdict("WAL (postgresql)", claims, story.truth, story.threshold)
    assert failure is None, failure
