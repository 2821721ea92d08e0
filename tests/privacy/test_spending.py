"""Spending a link: a keyed nullifier in ``spent_link``, the invitation never touched.

docs/anonymity.md, "Links that the database does not know" and "Spending: a keyed nullifier".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest
from sqlalchemy import func, inspect, select, text

from survey.campaigns.services import issue_invitations
from survey.extensions import db as _db
from survey.models import Audience, Invitation
from survey.privacy import tokens
from survey.privacy.keys import PURPOSES, decode_key, derive, new_key
from survey.privacy.links import open_link
from survey.privacy.models import ResponseInbox, SpentLink
from survey.privacy.spending import is_spent, spend, spent_counts
from survey.privacy.tokens import TOKEN_LENGTH, Link, new_link, read_link
from survey.respond.services import Answers, submit
from tests.conftest import TODAY, csrf_in, radio_names

pytestmark = pytest.mark.usefixtures("today")


@pytest.fixture
def campaign(make):
    return make.school_campaign(make.school(make.centre()))


def _count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def _answer(client, token: str):
    page = client.get(f"/r/{token}").get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), "3") | {"csrf_token": csrf_in(page), "page": "0"}
    return client.post(f"/r/{token}", data=data)


# --------------------------------------------------------------------------- spending


def test_spending_twice_stores_nothing_the_second_time(db, campaign):
    link = read_link(new_link(campaign.id, Audience.PARENT))
    assert not is_spent(link)
    assert spend(link) is True
    stored = db.session.execute(select(SpentLink.__table__)).all()
    assert [tuple(row) for row in stored] == [(link.nullifier, campaign.id, Audience.PARENT)]
    assert spend(link) is False
    assert db.session.execute(select(SpentLink.__table__)).all() == stored
    assert is_spent(link)
    assert spent_counts([campaign.id]) == {campaign.id: 1}


def test_a_second_submission_deposits_nothing(db, campaign):
    issued = issue_invitations(campaign, Audience.PARENT, 1, TODAY)[0]
    answers = Answers(values={"q": 1})
    assert submit(open_link(issued.token), answers, TODAY) is True
    assert (_count(SpentLink), _count(ResponseInbox)) == (1, 1)
    # The same link opened again, as a second tab or a resubmission would.
    assert submit(open_link(issued.token), answers, TODAY) is False
    assert (_count(SpentLink), _count(ResponseInbox)) == (1, 1)


def _invitation_rows(backend: str) -> list[dict]:
    """Every column of every invitation, and where its row version physically lies."""
    position = "ctid" if backend == "postgresql" else "rowid"
    columns = ", ".join(column.name for column in Invitation.__table__.columns)
    return [
        dict(row)
        for row in _db.session.execute(
            # Only the model's own column names and a constant system column are formatted in.
            text(f"SELECT {columns}, {position} AS pos FROM invitation ORDER BY id")  # noqa: S608
        ).mappings()
    ]


def test_answering_leaves_the_invitation_row_byte_for_byte_unchanged(
    app, client, db, campaign, backend
):
    # E-mailed links keep an address and a sealed link: the richest row there is.
    issued = issue_invitations(
        campaign, Audience.PARENT, 2, TODAY, emails=["an@example.org", "bert@example.org"]
    )
    db.session.commit()
    before = _invitation_rows(backend)
    assert all(row["email"] and row["sealed_link"] for row in before)

    answered = _answer(client, issued[0].token)
    assert answered.headers["Location"].endswith("/thanks")
    assert client.get(f"/r/{issued[0].token}/thanks").status_code == 200

    assert _count(SpentLink) == 1
    db.session.expire_all()
    # Not a column changed, and no new row version was written (its position would move).
    assert _invitation_rows(backend) == before


def test_the_nullifier_cannot_be_computed_from_the_database(app, client, db, campaign):
    issued = issue_invitations(campaign, Audience.PARENT, 1, TODAY, emails=["an@example.org"])[0]
    db.session.commit()
    _answer(client, issued.token)
    link = read_link(issued.token)
    [nullifier] = db.session.scalars(select(SpentLink.nullifier)).all()
    assert nullifier == link.nullifier

    # Not an unkeyed hash of the token or of what the token carries ...
    assert nullifier != hashlib.sha256(issued.token.encode()).hexdigest()
    assert nullifier != hashlib.sha256(link.body).hexdigest()
    assert nullifier != tokens.hash_token(issued.token)
    # ... and not the same under another key: the key, which the database never holds,
    # is what makes it.
    saved = app.config["ANONYMITY_KEY"]
    app.config["ANONYMITY_KEY"] = new_key()
    try:
        other = Link(link.token, link.campaign_id, link.audience, link.body).nullifier
    finally:
        app.config["ANONYMITY_KEY"] = saved
    assert other != nullifier
    assert Link(link.token, link.campaign_id, link.audience, link.body).nullifier == nullifier

    # Nothing the nullifier is computed from is stored: neither the token nor its secret,
    # nor the key or any of its sub-keys, in any column of any table.
    master = decode_key(app.config["ANONYMITY_KEY"])
    secrets_ = [issued.token.encode(), link.body, link.body[5:]]
    secrets_ += [master, app.config["ANONYMITY_KEY"].encode()]
    secrets_ += [derive(master, purpose) for purpose in PURPOSES]
    secrets_ += [s.hex().encode() for s in secrets_]
    for table in inspect(db.engine).get_table_names():
        # Table names come from the database's own catalogue.
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
            for value in row:
                stored = value if isinstance(value, bytes) else str(value).encode()
                assert not any(secret in stored for secret in secrets_), table


# --------------------------------------------------------------------------- reading tokens


def _flip(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


def test_a_forged_or_tampered_token_reads_as_nothing(app, db, campaign):
    token = new_link(campaign.id, Audience.PARENT)
    assert len(token) == TOKEN_LENGTH
    assert read_link(token) is not None
    # Any single character changed: campaign, audience, secret or tag.
    for index in range(TOKEN_LENGTH):
        assert read_link(_flip(token, index)) is None, index
    raw = base64.urlsafe_b64decode(token + "==")
    body, tag = raw[:21], raw[21:]

    def encode(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    other_campaign = (campaign.id + 1).to_bytes(4, "big") + body[4:]
    forged = [
        token[:-1],  # truncated
        token + "A",  # extended
        token[:-1] + "=",  # outside the alphabet
        token.replace(token[10], "+", 1),
        encode(other_campaign + tag),  # the tag of another campaign's link
        encode(body[:4] + b"\x03" + body[5:] + tag),  # another audience under the same tag
        encode(body + bytes(16)),  # no tag at all
        "A" * TOKEN_LENGTH,
        "",
        "../../etc/passwd",
    ]
    for candidate in forged:
        assert read_link(candidate) is None, candidate
    # A well-formed token made under another key is not Klankbord's either.
    saved = app.config["ANONYMITY_KEY"]
    app.config["ANONYMITY_KEY"] = new_key()
    try:
        foreign = new_link(campaign.id, Audience.PARENT)
    finally:
        app.config["ANONYMITY_KEY"] = saved
    assert read_link(foreign) is None
    # A valid tag over an audience code no release defines still reads as nothing.
    unknown = body[:4] + b"\x09" + body[5:]
    mac = hmac.new(derive(decode_key(saved), "link"), unknown, hashlib.sha256).digest()[:16]
    assert read_link(encode(unknown + mac)) is None


def test_a_forged_token_is_an_unknown_link_without_a_query(app, client, db, campaign):
    from sqlalchemy import event

    genuine = new_link(campaign.id, Audience.PARENT)
    forged = _flip(genuine, TOKEN_LENGTH - 1)
    statements = []
    engine = db.engine

    def count(*_args):
        statements.append(1)

    def get(token: str) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            return app.test_client().get(f"/r/{token}").status_code
        finally:
            event.remove(engine, "before_cursor_execute", count)

    assert get(genuine) == 200
    assert statements  # the listener does see the link's query
    assert get(forged) == 404
    assert statements == []


def test_a_genuine_token_of_a_deleted_campaign_is_a_404_page(client, db, campaign):
    token = new_link(campaign.id, Audience.PARENT)
    assert client.get(f"/r/{token}").status_code == 200
    db.session.delete(campaign)
    db.session.commit()
    assert read_link(token) is not None  # the tag still verifies ...
    page = client.get(f"/r/{token}")
    assert page.status_code == 404  # ... but there is nothing to answer
    assert re.search(r"<form[^>]*method=\"post\"", page.get_data(as_text=True)) is None
    assert client.post(f"/r/{token}", data={"page": "0"}).status_code == 404
    assert _count(SpentLink) == 0


def test_a_genuine_token_for_an_audience_the_campaign_does_not_ask_is_a_404(client, db, campaign):
    token = new_link(campaign.id, Audience.TEACHER)  # a parents' campaign
    assert read_link(token) is not None
    assert open_link(token) is None
    assert client.get(f"/r/{token}").status_code == 404
