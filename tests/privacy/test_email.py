"""Attack 7: e-mailed links, linked back to the parent's address.

Ten links go out by e-mail through a real SMTP server (aiosmtpd), six are answered, the
reminder goes out (``klankbord campaigns remind``), the last four are answered with the link
it carries, and the campaign closes. The attacker collects every address from every version
of an ``invitation`` row it has (polls and backups; on PostgreSQL also dead tuples and the
WAL), and asks which published responses each address's invitation can be linked to, with
every trace it holds. In the old design the version that still had the
address was replaced in the very transaction that stored the answer.
"""

from __future__ import annotations

from tests.privacy.attacker import (
    Claim,
    addresses,
    link,
    published_traces,
    traces_from_heap,
    traces_from_snapshots,
    traces_from_wal,
    verdict,
    view_of,
)


def test_no_address_is_linked_to_an_answer_below_k(story):
    traces = traces_from_snapshots("poll", story.polls, story.catalog)
    traces += traces_from_snapshots("backup", list(story.require("backups")), story.catalog)
    if story.backend == "postgresql":
        traces += traces_from_heap(story.require("pages"), story.catalog)
        traces += traces_from_wal(story.require("wal"), story.nodes, story.final, story.catalog)
    seen = addresses(traces)
    mailed = {link.email: link.invitation_id for link in story.links if link.email}
    assert set(mailed) <= set(seen), "the attacker should see every address once"
    view = view_of(story.final, story.catalog, [*traces, *published_traces(story.final)])
    claims = link(view, story.threshold)
    by_address = {}
    for address, invitations in seen.items():
        # An address gets the candidates of the invitation(s) whose rows it was seen on.
        found = [claims[invitation] for invitation in sorted(invitations)]
        rules = {claim.rule for claim in found}
        by_address[address] = Claim(
            frozenset().union(*(claim.candidates for claim in found)),
            rules.pop() if len(rules) == 1 else "attributes",
            (f"on invitation(s) {sorted(invitations)}", *found[0].evidence),
        )
    truth = {address: story.truth[invitation] for address, invitation in mailed.items()}
    failure = verdict(
        f"e-mailed addresses ({story.backend})", by_address, truth, story.threshold, "addresses"
    )
    assert failure is None, failure
