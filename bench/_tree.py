"""bench/load.py's helper for one source tree: seed links, count what the database holds.

bench/load.py serves two revisions of Klankbord side by side: the working tree and an older
one checked out into a git worktree (``--baseline``). Each must make its links and be counted
by its own code, so this file runs as a subprocess with that tree first on ``PYTHONPATH`` and
imports only what that tree's ``survey`` package offers; it prints one JSON object.

    python bench/_tree.py seed URL COUNT [--campaign ID]   -> {"campaign": ID, "tokens": [...]}
    python bench/_tree.py count URL THANKED.json           -> {"thanked": ..., "lost": ...}

``seed`` makes a ``tevredenheid-ouders`` campaign for one school (or adds links to
``--campaign``). ``count`` reads the thank-you pages the client received (JSON:
``{"items": statements on the form, "thanked": [[token, wrote_a_comment], ...]}``) and
counts the database against them, in whichever design the tree's schema has:

- the old one: ``invitation.used`` and its SHA-256 per link;
- the new one (docs/anonymity.md): a ``spent_link`` row per answered link, keyed by the
  link's nullifier, answers sealed in ``response_inbox`` until ``klankbord daily`` publishes
  them. Run the tree's publication before counting.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path, where bench/analysis.py would shadow
# the tree's own ``analysis`` package: only the tree (PYTHONPATH) and the venv remain.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

QUESTIONNAIRE = "tevredenheid-ouders"
BATCH = 5000  # issue_invitations makes at most this many at a time


def _app(url: str):
    from survey import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-tree"})


def seed(url: str, count: int, campaign_id: int | None) -> dict:
    from survey import clock
    from survey.campaigns.services import create_campaign, issue_invitations
    from survey.extensions import db
    from survey.models import Audience, Campaign, Centre, School

    app = _app(url)
    with app.app_context():
        today = clock.today()
        if campaign_id is None:
            centre = Centre(code="load", name="Leersteuncentrum Load")
            school = School(
                centre=centre, name="Basisschool De Klaproos", institution_number="123456"
            )
            db.session.add_all([centre, school])
            db.session.flush()
            campaign = create_campaign(
                centre=centre,
                questionnaire_id=QUESTIONNAIRE,
                audiences=[Audience.PARENT],
                opens_on=today,
                closes_on=today + timedelta(days=30),
                school=school,
            )
            db.session.commit()
            campaign_id = campaign.id
        tokens: list[str] = []
        while len(tokens) < count:
            campaign = db.session.get(Campaign, campaign_id)
            batch = issue_invitations(
                campaign, Audience.PARENT, min(BATCH, count - len(tokens)), today
            )
            tokens += [issued.token for issued in batch]
            db.session.commit()
            db.session.expunge_all()
        db.engine.dispose()
    return {"campaign": campaign_id, "tokens": tokens}


def _scalar(connection, sql: str, **params) -> int:
    from sqlalchemy import text

    return connection.scalar(text(sql), params)


def count(url: str, thanked: list[tuple[str, bool]], items: int) -> dict:
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    counter = _count_new if "spent_link" in tables else _count_old
    counts = counter(url, thanked, items)
    counts["items"] = items
    counts["comments_sent"] = sum(bool(wrote) for _token, wrote in thanked)
    return counts


def _published(connection, items: int) -> dict:
    return {
        "responses": _scalar(connection, "SELECT count(*) FROM anonymous_response"),
        "answers": _scalar(connection, "SELECT count(*) FROM anonymous_answer"),
        "comments": _scalar(connection, "SELECT count(*) FROM anonymous_comment"),
        "inbox_after": _scalar(connection, "SELECT count(*) FROM response_inbox"),
        "short_responses": _scalar(
            connection,
            "SELECT count(*) FROM anonymous_response r WHERE (SELECT count(*) FROM "
            "anonymous_answer a WHERE a.response_id = r.id) <> :items",
            items=items,
        ),
    }


def _count_old(url: str, thanked: list[tuple[str, bool]], items: int) -> dict:
    """``invitation.used``, the SHA-256 of each link, every answer published with ``--all``."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from survey.campaigns.services import hash_token

    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        spent = set(connection.scalars(text("SELECT token_hash FROM invitation WHERE used")))
        issued = _scalar(connection, "SELECT count(*) FROM invitation")
        figures = _published(connection, items)
    engine.dispose()
    thanked_keys = {hash_token(token) for token, _wrote in thanked}
    # Whatever still waits after ``publish-responses --all`` is counted as not published.
    stored = figures["responses"]
    return {
        "design": "old: invitation.used, SHA-256 per link",
        "issued": issued,
        "thanked": len(thanked),
        "used": len(spent),
        "thanked_not_used": len(thanked_keys - spent),
        "used_not_thanked": len(spent - thanked_keys),
        "waiting_after": figures["inbox_after"],
        "answers_waiting": 0,
        "comments_waiting": 0,
        **figures,
        "stored": stored,
        "lost": max(0, len(thanked) - stored) + len(thanked_keys - spent),
        "duplicated": max(0, stored - len(spent)),
    }


def _count_new(url: str, thanked: list[tuple[str, bool]], items: int) -> dict:
    """``spent_link`` by nullifier, published answers, and the inbox opened with the key.

    Each thanked token is read back into its link (the MAC must verify) and its nullifier
    recomputed under the anonymity key every process of the run shares; what still waits in
    the inbox after ``klankbord daily`` is opened to count its statements and comments.
    """
    from sqlalchemy import select, text

    from survey.extensions import db
    from survey.privacy.inbox import open_waiting
    from survey.privacy.keys import subkey
    from survey.privacy.models import ResponseInbox
    from survey.privacy.tokens import read_link

    app = _app(url)
    with app.app_context():
        connection = db.session.connection()
        spent = set(connection.scalars(text("SELECT nullifier FROM spent_link")))
        issued = _scalar(connection, "SELECT count(*) FROM invitation")
        counter = _scalar(connection, "SELECT coalesce(sum(published_answers), 0) FROM campaign")
        drafts = _scalar(connection, "SELECT count(*) FROM response_draft")
        figures = _published(connection, items)
        key = subkey("inbox")
        waiting = [open_waiting(row, key) for row in db.session.execute(select(ResponseInbox))]
        links = [read_link(token) for token, _wrote in thanked]
        thanked_keys = {link.nullifier for link in links if link is not None}
        db.session.rollback()
        db.engine.dispose()
    stored = figures["responses"] + len(waiting)
    return {
        "design": "new: `spent_link` by nullifier, sealed inbox, `klankbord daily`",
        "issued": issued,
        "thanked": len(thanked),
        "not_links": sum(link is None for link in links),
        "used": len(spent),
        "thanked_not_used": len(thanked) - len(thanked_keys & spent),
        "used_not_thanked": len(spent - thanked_keys),
        "waiting_after": len(waiting),
        "answers_waiting": sum(len(answer.values) for answer in waiting),
        "comments_waiting": sum(len(answer.texts) for answer in waiting),
        "short_waiting": sum(len(answer.values) != items for answer in waiting),
        "published_counter": counter,
        "drafts_left": drafts,
        **figures,
        "stored": stored,
        "lost": max(0, len(thanked) - stored) + len(thanked) - len(thanked_keys & spent),
        "duplicated": max(0, stored - len(spent)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("url")
    seeding.add_argument("count", type=int)
    seeding.add_argument("--campaign", type=int)
    counting = commands.add_parser("count")
    counting.add_argument("url")
    counting.add_argument("thanked", type=Path)
    args = parser.parse_args()

    import survey

    if args.command == "seed":
        result = seed(args.url, args.count, args.campaign)
    else:
        sent = json.loads(args.thanked.read_text())
        result = count(args.url, sent["thanked"], sent["items"])
    # Which tree answered: bench/load.py checks it is the one it meant.
    result["survey"] = str(Path(survey.__file__).resolve().parent)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
