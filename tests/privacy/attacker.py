"""The database holder as an attacker: from row versions and transaction ids to candidate sets.

The attacker knows only that ``invitation`` identifies the links (its ``id``, and ``email``
for e-mailed ones) and that published answers are in ``anonymous_response``,
``anonymous_answer`` and ``anonymous_comment``. Everything else it discovers.

Every row version it has seen, from whatever source, becomes a :class:`Trace`: the table, the
transactions that wrote it (``born``) and replaced or deleted it (``died``), its readable
content, and the invitations it names (its own id, or a column that references
``invitation``). Observation intervals (between two polls, two backups) act as transactions
too. Two traces sharing a transaction are connected.

For each invitation the attacker then outputs a candidate set of published responses:

1. ``content``: answers readable in a row written together with the invitation (or naming it),
   matched to the published response with the same values or comment;
2. ``xid``: else the published responses written in such a transaction, directly or one row
   away (a row written with the invitation and removed by the publication);
3. ``attributes``: else every published response with the invitation's campaign's attributes
   (a generalised answer, with an attribute left empty, counts for every campaign).

A transaction counts as the invitation's own only when it touched fewer than k invitations:
one that touched k or more (making links, closing a campaign) cannot tell them apart. Links
pinned down to one response are then eliminated from everyone else's candidates, and so on
until nothing changes.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.privacy.observe import Catalog, HeapTuple, Row, Snapshot, WalRecord, decode_field

INVITATION = "invitation"
PUBLISHED = "anonymous_response"
PUBLISHED_PARTS = ("anonymous_answer", "anonymous_comment")
# A readable text counts as one respondent's answers when it agrees with a published response
# on at least this many statements (a saved draft holds part of the form).
MIN_MATCHING_ITEMS = 3
# Comments shorter than this could occur by chance in unrelated bytes.
MIN_COMMENT_LENGTH = 12

# "item": 3 in JSON, also inside a JSON string (SQLite keeps JSON as text) where quotes are \".
_PAIR = re.compile(r'\\?"([\w-]+)\\?"\s*:\s*(\d+)')
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class Trace:
    """A row (or a chain of its versions) the attacker has seen, and what touched it."""

    source: str
    table: str
    born: set[Hashable] = field(default_factory=set)
    died: set[Hashable] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    names: set[int] = field(default_factory=set)
    # For rows of the published tables: the published response they belong to.
    response: str | None = None

    @property
    def xids(self) -> set[Hashable]:
        return self.born | self.died

    def label(self) -> str:
        return f"a {self.table} row ({self.source}, written by {_xids(self.born)})"


def _xids(xids: Iterable[Hashable], shown: int = 4) -> str:
    names = sorted(map(str, xids))
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more if names else "-"


@dataclass(frozen=True)
class Published:
    id: str
    attributes: dict[str, Any]
    values: dict[str, int]
    texts: tuple[str, ...]
    dates: tuple[str, ...]


@dataclass
class View:
    """What the attacker has: the invitations, the published responses, and every trace."""

    invitations: dict[int, dict[str, Any]]
    published: dict[str, Published]
    traces: list[Trace]


@dataclass(frozen=True)
class Claim:
    candidates: frozenset[str]
    rule: str
    evidence: tuple[str, ...] = ()


# ------------------------------------------------------------------------- the view


def view_of(final: Snapshot, catalog: Catalog, traces: Sequence[Trace]) -> View:
    """Invitations with the attributes their campaigns publish, and the published responses.

    The attributes are the published columns whose names the invitation or a table it
    references also has (centre, school, audience, questionnaire version ...), read from the
    final state.
    """
    published_table = catalog[PUBLISHED]
    invitation_table = catalog[INVITATION]
    dates = set(published_table.date_columns)
    shared = [c for c in published_table.columns if c not in dates and c not in published_table.key]
    invitations = {}
    for row in final[INVITATION].values():
        known = dict(row.values)
        for target, columns in invitation_table.references.items():
            referenced = catalog[target]
            wanted = tuple(str(row.values[column]) for column in columns)
            for other in final[target].values():
                if tuple(str(other.values[column]) for column in referenced.key) == wanted:
                    known = dict(other.values) | dict(row.values)
        invitations[int(row.values["id"])] = {c: known[c] for c in shared if c in known}
    values: dict[str, dict[str, int]] = defaultdict(dict)
    texts: dict[str, list[str]] = defaultdict(list)
    for row in final["anonymous_answer"].values():
        values[str(row.values["response_id"])][str(row.values["item_id"])] = int(
            row.values["value"]
        )
    for row in final["anonymous_comment"].values():
        texts[str(row.values["response_id"])].append(str(row.values["text"]))
    published = {}
    for row in final[PUBLISHED].values():
        response = str(row.values["id"])
        published[response] = Published(
            id=response,
            attributes={c: row.values[c] for c in shared},
            values=values[response],
            texts=tuple(texts[response]),
            dates=tuple(str(row.values[c]) for c in published_table.date_columns),
        )
    return View(invitations, published, list(traces))


def compatible(view: View, invitation: int) -> frozenset[str]:
    """The published responses whose attributes the invitation's campaign could have given."""
    wanted = view.invitations[invitation]
    return frozenset(
        response.id
        for response in view.published.values()
        if all(
            value is None or column not in wanted or str(value) == str(wanted[column])
            for column, value in response.attributes.items()
        )
    )


def content_matches(text: str, published: Iterable[Published]) -> set[str]:
    """Published responses whose answers (or a comment) can be read in ``text``."""
    found: dict[str, set[int]] = defaultdict(set)
    for key, value in _PAIR.findall(text):
        found[key].add(int(value))
    matches = set()
    for response in published:
        shared = [item for item in response.values if item in found]
        agrees = len(shared) >= MIN_MATCHING_ITEMS and all(
            response.values[item] in found[item] for item in shared
        )
        if agrees or any(len(t) >= MIN_COMMENT_LENGTH and t in text for t in response.texts):
            matches.add(response.id)
    return matches


# --------------------------------------------------------------------- the inference


class _Index:
    """The traces by what connects them: invitations named, transactions that wrote them."""

    def __init__(self, view: View) -> None:
        self.naming: dict[int, list[Trace]] = defaultdict(list)
        self.born_in: dict[Hashable, list[Trace]] = defaultdict(list)
        self.published_in: dict[Hashable, set[str]] = defaultdict(set)
        self.touched: dict[Hashable, set[int]] = defaultdict(set)
        for trace in view.traces:
            for name in trace.names:
                self.naming[name].append(trace)
                for xid in trace.xids:
                    self.touched[xid].add(name)
            if trace.response is not None:
                for xid in trace.born:
                    self.published_in[xid].add(trace.response)
            elif not trace.names:
                for xid in trace.born:
                    self.born_in[xid].append(trace)
        self.published = list(view.published.values())
        self._matched: dict[int, set[str]] = {}

    def own(self, invitation: int, threshold: int) -> set[Hashable]:
        """Transactions of the invitation's rows that touched fewer than k invitations."""
        return {
            xid
            for trace in self.naming[invitation]
            for xid in trace.xids
            if len(self.touched[xid]) < threshold
        }

    def matches(self, trace: Trace) -> set[str]:
        if id(trace) not in self._matched:
            self._matched[id(trace)] = set().union(
                *(content_matches(text, self.published) for text in trace.texts)
            )
        return self._matched[id(trace)]


def link(view: View, threshold: int) -> dict[int, Claim]:
    """Each invitation's candidate set, by content, then transaction, then attributes."""
    index = _Index(view)
    claims = {}
    for invitation in view.invitations:
        own = index.own(invitation, threshold)
        alongside = [trace for xid in own for trace in index.born_in[xid]]
        allowed = compatible(view, invitation)
        by_content: set[str] = set()
        read: list[str] = []
        for trace in [*index.naming[invitation], *alongside]:
            if index.matches(trace):
                by_content |= index.matches(trace)
                read.append(f"answers read in {trace.label()}")
        by_xid = set().union(*(index.published_in[xid] for xid in own))
        removed: list[str] = []
        for trace in alongside:
            for xid in trace.died:
                if index.published_in[xid]:
                    by_xid |= index.published_in[xid]
                    removed.append(f"{trace.label()} removed by publication {xid}")
        shared = f"shares transactions {_xids(own)}"
        if by_content & allowed:
            evidence = (shared, *dict.fromkeys(read))
            claims[invitation] = Claim(frozenset(by_content & allowed), "content", evidence)
        elif by_xid & allowed:
            evidence = (shared, *dict.fromkeys(removed))
            claims[invitation] = Claim(frozenset(by_xid & allowed), "xid", evidence)
        else:
            claims[invitation] = Claim(allowed, "attributes", ("the campaign's attributes",))
    return eliminate(claims)


def eliminate(claims: dict[int, Claim]) -> dict[int, Claim]:
    """Remove every response pinned to one invitation from the other invitations' sets."""
    claims = dict(claims)
    while True:
        pinned = Counter(
            next(iter(claim.candidates)) for claim in claims.values() if len(claim.candidates) == 1
        )
        owned = {response for response, count in pinned.items() if count == 1}
        changed = False
        for invitation, claim in claims.items():
            if len(claim.candidates) == 1:
                continue
            left = claim.candidates - owned
            if left and left != claim.candidates:
                claims[invitation] = Claim(
                    left, claim.rule, (*claim.evidence, "others pinned down (elimination)")
                )
                changed = True
        if not changed:
            return claims


# -------------------------------------------------------------------- order of rows


def align_by_order(view: View, moment: Snapshot, final: Snapshot) -> dict[int, Claim]:
    """Pair invitations and responses by when the database says their rows were written.

    A transaction id is a clock. An invitation row that is the only one with its xmin was
    rewritten alone, as using a link would; the published responses with one xmin are one
    publication. The invitations rewritten between two publications are paired with what
    the later one published, in order: by xmin on one side, by the responses' dates on the
    other (responses alike in date are one tie; their physical order within a publication is
    what a shuffle makes of it). Only groups of campaign attributes are paired, and only
    where both sides count the same. SQLite keeps no xmin, and its rowid order of invitations
    is the order they were made in: it pairs nothing.
    """
    rewritten = Counter(row.xmin for row in moment[INVITATION].values())
    alone = {
        int(row.values["id"]): row.xmin
        for row in moment[INVITATION].values()
        if row.xmin is not None and rewritten[row.xmin] == 1
    }
    publication = {
        str(row.values["id"]): row.xmin for row in final[PUBLISHED].values() if row.xmin is not None
    }
    moments = sorted(set(publication.values()))
    claims = {}
    for members, alike in _strata(view):
        for earlier, later in zip([0, *moments], moments, strict=False):
            used = sorted((x, i) for i, x in alone.items() if i in members and earlier < x < later)
            batch = [r for r in alike if publication.get(r.id) == later]
            if not used or len(used) != len(batch):
                continue
            ranked = sorted(batch, key=lambda r: r.dates)
            for (xmin, invitation), response in zip(used, ranked, strict=True):
                tie = frozenset(r.id for r in batch if r.dates == response.dates)
                claims[invitation] = Claim(
                    tie, "order", (f"rewritten alone by {xmin} before publication {later}",)
                )
    return claims


def _strata(view: View) -> list[tuple[set[int], list[Published]]]:
    """Invitations grouped by their campaigns' attributes, each with the responses that carry
    exactly those attributes."""
    strata: dict[tuple, set[int]] = defaultdict(set)
    for invitation, wanted in view.invitations.items():
        strata[tuple(sorted((k, str(v)) for k, v in wanted.items()))].add(invitation)
    grouped = []
    for attributes, members in strata.items():
        wanted = dict(attributes)
        alike = [
            response
            for response in view.published.values()
            if all(
                value is not None and str(value) == wanted[column]
                for column, value in response.attributes.items()
                if column in wanted
            )
        ]
        grouped.append((members, alike))
    return grouped


def combine(*sources: dict[int, Claim]) -> dict[int, Claim]:
    """For each invitation the smallest candidate set any source gave, then elimination."""
    best: dict[int, Claim] = {}
    for claims in sources:
        for invitation, claim in claims.items():
            if invitation not in best or len(claim.candidates) < len(best[invitation].candidates):
                best[invitation] = claim
    return eliminate(best)


# ------------------------------------------------------------------- making traces


def naming_values(table: str, catalog: Catalog, values: dict[str, Any]) -> set[int]:
    """The invitations a row names: its own id in ``invitation``, or a column referencing it."""
    columns = ("id",) if table == INVITATION else catalog[table].references.get(INVITATION, ())
    named = set()
    for column in columns:
        value = values.get(column)
        if value is not None and str(value).lstrip("-").isdigit():
            named.add(int(value))
    return named


def response_of(table: str, values: dict[str, Any]) -> str | None:
    if table == PUBLISHED:
        return str(values["id"])
    if table in PUBLISHED_PARTS:
        return str(values["response_id"])
    return None


def traces_from_snapshots(
    source: str, snapshots: Sequence[Snapshot], catalog: Catalog
) -> list[Trace]:
    """One trace per row identity seen in a series of snapshots.

    The interval between snapshots i-1 and i is a transaction ``source:i``: a row that appears
    in it was born in it, one that disappears died in it, one that changes did both. On
    PostgreSQL each version's xmin (born) and xmax (died, or locked: the app's role cannot
    tell) join them.
    """
    traces: dict[tuple[str, tuple], Trace] = {}

    def trace(table: str, key: tuple, row: Row) -> Trace:
        if (table, key) not in traces:
            traces[(table, key)] = Trace(
                source=source,
                table=table,
                names=naming_values(table, catalog, row.values),
                response=response_of(table, row.values),
            )
        found = traces[(table, key)]
        if row.content not in found.texts:
            found.texts.append(row.content)
        if row.xmin is not None:
            found.born.add(row.xmin)
        if row.xmax is not None:
            found.died.add(row.xmax)
        return found

    previous: Snapshot = {}
    for number, current in enumerate(snapshots):
        interval = f"{source}:{number}"
        for table, rows in current.items():
            before = previous.get(table, {})
            for key, row in rows.items():
                seen = trace(table, key, row)
                if number and key not in before:
                    seen.born.add(interval)
                elif number and before[key].content != row.content:
                    seen.born.add(interval)
                    seen.died.add(interval)
            for key, row in before.items():
                if key not in rows:
                    trace(table, key, row).died.add(interval)
        previous = current
    return list(traces.values())


def traces_from_heap(tuples: Sequence[HeapTuple], catalog: Catalog) -> list[Trace]:
    """One trace per tuple (live or dead) of every heap page."""
    traces = []
    for item in tuples:
        named: set[int] = set()
        response = None
        if item.table in catalog:  # not a TOAST table
            decoded = {name: decode_field(raw) for name, raw in item.fields.items()}
            named = naming_values(item.table, catalog, decoded)
            response = response_of(item.table, decoded)
        traces.append(
            Trace(
                source="page",
                table=item.table,
                born={item.xmin} - {None},
                died={item.xmax} - {None},
                texts=[item.data.decode("utf-8", "replace")],
                names=named,
                response=response,
            )
        )
    return traces


def traces_from_wal(
    records: Sequence[WalRecord], nodes: dict[int, str], final: Snapshot, catalog: Catalog
) -> list[Trace]:
    """Follow every tuple position back through the WAL, from the live rows to their inserts.

    Walking the records backwards, a position is occupied by the chain that the live row (or
    a later record) left there; an update moves the chain to the old position, an insert
    starts it, a delete opens a chain for a row no longer there. Each chain is one trace with
    the transactions of its records and their bytes.
    """
    occupant: dict[tuple[str, int, int], Trace] = {}
    for table, rows in final.items():
        for row in rows.values():
            block, item = row.position
            occupant[(table, block, item)] = Trace(
                source="wal",
                table=table,
                names=naming_values(table, catalog, row.values),
                response=response_of(table, row.values),
                texts=[],
            )
    chains = list(occupant.values())
    for record in reversed(records):
        table = nodes.get(record.filenode)
        if table is None or record.offset is None:
            continue
        content = record.data.decode("utf-8", "replace")
        if record.kind == "INSERT":
            chain = occupant.pop((table, record.block, record.offset), None)
            if chain is None:
                chain = Trace(source="wal", table=table)
                chains.append(chain)
            chain.born.add(record.xid)
        elif record.kind in ("UPDATE", "HOT_UPDATE") and record.new_offset is not None:
            chain = occupant.pop((table, record.block, record.new_offset), None)
            if chain is None:
                chain = Trace(source="wal", table=table)
                chains.append(chain)
            chain.born.add(record.xid)
            chain.died.add(record.xid)
            old_block = record.block if record.old_block is None else record.old_block
            occupant[(table, old_block, record.offset)] = chain
        elif record.kind == "DELETE":
            chain = Trace(source="wal", table=table)
            chains.append(chain)
            chain.died.add(record.xid)
            occupant[(table, record.block, record.offset)] = chain
        else:
            continue  # locks and in-place changes move nothing
        chain.texts.append(content)
    return chains


def published_traces(final: Snapshot) -> list[Trace]:
    """The published rows of the final state with their xmin: which transaction published them."""
    traces = []
    for table in (PUBLISHED, *PUBLISHED_PARTS):
        for row in final[table].values():
            traces.append(
                Trace(
                    source="final",
                    table=table,
                    born={row.xmin} - {None},
                    texts=[row.content],
                    response=response_of(table, row.values),
                )
            )
    return traces


def addresses(traces: Iterable[Trace]) -> dict[str, set[int]]:
    """Every e-mail address seen in a version of an invitation row, with its invitations.

    A text holding one address names that address's invitation; one holding several (a
    full-page image in the WAL) only says the address is among the invitations it names.
    """
    alone: dict[str, set[int]] = defaultdict(set)
    among: dict[str, set[int]] = defaultdict(set)
    for trace in traces:
        if trace.table != INVITATION:
            continue
        for text in trace.texts:
            found = {address.lower() for address in EMAIL.findall(text)}
            for address in found:
                (alone if len(found) == 1 else among)[address] |= trace.names
    return {address: alone.get(address) or among[address] for address in alone.keys() | among}


# ------------------------------------------------------------------------- verdicts


def verdict(
    attack: str,
    claims: dict[Hashable, Claim],
    truth: dict[Hashable, str],
    threshold: int,
    what: str = "invitations",
) -> str | None:
    """Why the claims break k-anonymity, or None when every candidate set holds.

    Every set must have at least k members, and every link claimed from content or
    transactions must contain the true response (the harness knows it; the attacker does not).
    """
    below = [i for i, claim in claims.items() if len(claim.candidates) < threshold]
    holding = [i for i in below if truth.get(i) in claims[i].candidates]
    exact = [i for i in holding if len(claims[i].candidates) == 1]
    missed = [
        i
        for i, claim in claims.items()
        if claim.rule in ("content", "xid") and truth.get(i) not in claim.candidates
    ]
    if not below and not missed:
        return None
    sizes = Counter(len(claim.candidates) for claim in claims.values())
    rules = Counter(claims[i].rule for i in below)
    examples = [
        f"{i}: {len(claims[i].candidates)} candidate(s) by {claims[i].rule}: "
        + "; ".join(claims[i].evidence[:3])
        for i in list(dict.fromkeys(below + missed))[:3]
    ]
    return (
        f"{attack}: {len(below)} of {len(claims)} {what} narrowed below k={threshold} "
        f"({len(holding)} to a set holding their true answer, {len(exact)} to exactly it; "
        f"by {dict(rules)}); {len(missed)} claimed links miss the true answer; "
        f"candidate-set sizes {dict(sorted(sizes.items()))}. E.g. " + " | ".join(examples)
    )
