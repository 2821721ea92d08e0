"""An attacker with the whole database and every log line cannot link answers to invitations.

Respondents answer anonymous links through a real HTTP server (so its access log is written),
in a random order, each with a recognisable answer pattern; ``klankbord daily`` then publishes.
The attacker reads every table, the physical row order (SQLite rowid, PostgreSQL ctid) and
PostgreSQL's transaction ids (xmin), before and after the answers, and every log record, and
tries to pair answers with invitations or with the spent links that record when each came in.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import urllib.parse
import urllib.request
from datetime import date
from http.cookiejar import CookieJar

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from survey import MIGRATIONS_DIR
from survey.campaigns.services import create_campaign, issue_invitations
from survey.extensions import db
from survey.models import Audience
from survey.privacy.tokens import read_link
from survey.questionnaire_versions.services import register_builtin_questionnaires
from tests.conftest import csrf_in, fresh_database, make_app
from tests.factories import Factories

RESPONDENTS = 30
TODAY = date(2026, 5, 12)


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _answer(base_url: str, path: str, pattern: list[str]) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(base_url + path).read().decode()
    names = sorted(set(re.findall(r'name="(item-[^"]+)"', page)))
    token = csrf_in(page)
    data = dict(zip(names, pattern, strict=False)) | {"csrf_token": token, "page": "0"}
    body = urllib.parse.urlencode(data).encode()
    final = opener.open(base_url + path, data=body)
    assert final.geturl().endswith("/thanks")


@pytest.fixture
def world(backend, tmp_path, monkeypatch):
    monkeypatch.setattr("survey.clock.today", lambda: TODAY)
    with fresh_database(backend, tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
            register_builtin_questionnaires()
            make = Factories(db.session)
            centre = make.centre()
            campaign = create_campaign(
                centre=centre,
                questionnaire_id="tevredenheid-ouders",
                audiences=[Audience.PARENT],
                opens_on=date(2026, 5, 1),
                closes_on=date(2026, 6, 30),
                school=make.school(centre),
            )
            issued = issue_invitations(campaign, Audience.PARENT, RESPONDENTS, TODAY)
            links = [(item.invitation.id, item.token) for item in issued]
            db.session.commit()
        yield app, links, backend
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _rows(backend: str, table: str, columns: str, order: str = "") -> list[dict]:
    """What the attacker reads of a table: every column, physical position, transaction id."""
    position = "ctid" if backend == "postgresql" else "rowid"
    system = ", xmin::text::bigint AS xmin" if backend == "postgresql" else ""
    connection = db.session.connection()
    return [
        dict(row)
        for row in connection.execute(
            # Only constant table, column and system-column names are formatted in.
            text(f"SELECT {columns}, {position} AS pos{system} FROM {table} {order}")  # noqa: S608
        ).mappings()
    ]


INVITATION_COLUMNS = (
    "id, campaign_id, audience, language, email, sealed_link, email_sent, reminder_sent, created_on"
)


def test_answers_cannot_be_linked_to_invitations(world):
    app, links, backend = world
    rng = random.Random(7)
    order = links[:]
    rng.shuffle(order)
    # Each respondent's answers form a unique pattern, so the test (not the attacker) knows
    # which stored answer came from which invitation.
    patterns = {}
    for invitation_id, _token in order:
        patterns[invitation_id] = [str(rng.randint(1, 4)) for _ in range(10)]
    with app.app_context():
        invitations_before = _rows(backend, "invitation", INVITATION_COLUMNS, "ORDER BY id")
        # The test (never the attacker, who has no key) knows each link's nullifier.
        spent_by = {read_link(token).nullifier: invitation_id for invitation_id, token in links}
        db.session.remove()

    logs = Collect()
    logging.getLogger().addHandler(logs)
    logging.getLogger().setLevel(logging.INFO)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_port}"
        for invitation_id, token in order:
            _answer(base_url, f"/r/{token}", patterns[invitation_id])
    finally:
        server.shutdown()
        logging.getLogger().removeHandler(logs)

    # Answering published nothing (not even the answer that made k): all 30 wait, sealed.
    with app.app_context():
        connection = db.session.connection()
        assert connection.execute(text("SELECT count(*) FROM anonymous_response")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM response_inbox")).scalar() == (
            RESPONDENTS
        )
        # ... and nothing about any invitation changed: no flag, no lock, no new row version.
        assert _rows(backend, "invitation", INVITATION_COLUMNS, "ORDER BY id") == (
            invitations_before
        )
        db.session.remove()

    daily = app.test_cli_runner().invoke(args=["daily"])
    assert daily.exit_code == 0, daily.output

    # --- the attacker's view ------------------------------------------------------------
    with app.app_context():
        connection = db.session.connection()
        invitations = _rows(backend, "invitation", INVITATION_COLUMNS, "ORDER BY id")
        spent = _rows(backend, "spent_link", "nullifier, campaign_id, audience")
        responses = _rows(
            backend,
            "anonymous_response",
            "id, school_id, school_year, audience, coach_id, published_on",
        )
        answers = connection.execute(
            text("SELECT response_id, item_id, value FROM anonymous_answer ORDER BY item_id")
        ).all()
        inbox = connection.execute(text("SELECT count(*) FROM response_inbox")).scalar()
        drafts = connection.execute(text("SELECT count(*) FROM response_draft")).scalar()
        db.session.remove()

    assert len(responses) == RESPONDENTS
    assert inbox == 0
    assert drafts == 0
    # Every link is spent, known only by a nullifier the key alone can compute ...
    assert {row["nullifier"] for row in spent} == set(spent_by)
    # ... and the invitations are exactly as they were made, publication and purge included.
    assert invitations == invitations_before

    # 1. No token anywhere in the logs (the access log included).
    assert logs.lines, "the server should have logged its requests"
    for _invitation_id, token in links:
        assert not any(token in line for line in logs.lines)
    # ... and no log line names a response id or a nullifier.
    response_ids = {str(row["id"]) for row in responses}
    assert not any(rid in line for line in logs.lines for rid in response_ids)
    assert not any(nullifier in line for line in logs.lines for nullifier in spent_by)

    # 2. No shared value: a response row holds nothing an invitation or spent link holds.
    stored_values = {
        str(v) for row in invitations + spent for k, v in row.items() if k not in ("pos", "xmin")
    }
    for row in responses:
        for key in ("id", "coach_id"):
            assert str(row[key]) not in stored_values or row[key] is None

    # 3. Timing: only the publication's day, the same for the whole batch; no answer says
    #    when it was sent.
    assert {str(row["published_on"]) for row in responses} == {TODAY.isoformat()}

    # 4. Order: pair the k-th invitation (by any order the database keeps) with the k-th
    #    response (by physical position) and count hits, using the known patterns; likewise
    #    the k-th spent link (whose order is the order the answers came in).
    by_pattern = {}
    for response_id, _item, value in answers:
        by_pattern.setdefault(str(response_id), []).append(str(value))
    truth = {}
    for invitation_id, pattern in patterns.items():
        # Items are filled in sorted order, and read back ordered by item id.
        matches = [rid for rid, values in by_pattern.items() if values == pattern]
        truth[invitation_id] = matches
    # The patterns identify every answer (ties between identical patterns are possible).
    assert all(truth.values())
    invitation_orders = [sorted(invitations, key=lambda r: _physical(r["pos"]))]
    spent_orders = [sorted(spent, key=lambda r: _physical(r["pos"]))]
    if backend == "postgresql":
        invitation_orders.append(sorted(invitations, key=lambda r: r["xmin"]))
        spent_orders.append(sorted(spent, key=lambda r: r["xmin"]))
        # The links were made in one transaction, and no answer wrote an invitation since.
        assert len({r["xmin"] for r in invitations}) == 1
        # Publication runs in its own transaction: no response shares the xmin of an
        # invitation or of a respondent's transaction (the one that wrote its spent link).
        assert not {r["xmin"] for r in responses} & {r["xmin"] for r in invitations + spent}
        # ... and each publication holds at least k answers, so a transaction id
        # narrows an answer down to no fewer than k invitations.
        batches = {}
        for row in responses:
            batches[row["xmin"]] = batches.get(row["xmin"], 0) + 1
        assert min(batches.values()) >= app.config["ANONYMITY_THRESHOLD"]
    response_order = sorted(responses, key=lambda r: _physical(r["pos"]))
    for ordering in invitation_orders:
        hits = sum(
            str(response["id"]) in truth[invitation["id"]]
            for invitation, response in zip(ordering, response_order, strict=True)
        )
        # Chance level is about one hit per batch of five (six here); the shuffle keeps the
        # attacker there. Far below the 30 an unshuffled store would give.
        assert hits < RESPONDENTS // 2, f"{hits} of {RESPONDENTS} linked by row order"
    for ordering in spent_orders:
        hits = sum(
            str(response["id"]) in truth[spent_by[link["nullifier"]]]
            for link, response in zip(ordering, response_order, strict=True)
        )
        assert hits < RESPONDENTS // 2, f"{hits} of {RESPONDENTS} linked to answer order"


def _physical(position: object) -> tuple[int, ...]:
    # PostgreSQL's ctid reads "(page,row)"; SQLite's rowid is an integer.
    return tuple(int(part) for part in re.findall(r"\d+", str(position)))
