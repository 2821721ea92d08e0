"""Attack 3: every tuple of every heap page, dead ones included (PostgreSQL, pageinspect).

As superuser the attacker reads each page of each table and TOAST table with
``heap_page_items(get_raw_page(...))``: t_xmin and t_xmax of every version (frozen, aborted
and lock-only ones left out), the invitation ids the tuples carry, and the raw t_data, searched
for answer values and comments. A deleted inbox row whose xmin is the transaction that changed
an invitation would give that invitation's answers away.
"""

from __future__ import annotations

import pytest

from tests.privacy.attacker import link, published_traces, traces_from_heap, verdict, view_of

pytestmark = pytest.mark.postgres


def test_dead_tuples_link_no_answer_below_k(postgres_story):
    story = postgres_story
    traces = traces_from_heap(story.require("pages"), story.catalog)
    view = view_of(story.final, story.catalog, [*traces, *published_traces(story.final)])
    claims = link(view, story.threshold)
    failure = verdict("dead tuples (postgresql)", claims, story.truth, story.threshold)
    assert failure is None, failure
