"""Drafts: sealed under a key only the link's token derives, padded, refused once spent.

docs/anonymity.md, "Drafts nobody can read or place".
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import func, inspect, select

from survey.campaigns.services import issue_invitations, questionnaire_of
from survey.extensions import db as _db
from survey.models import Audience, Invitation
from survey.privacy.drafts import open_draft, save_draft
from survey.privacy.inbox import deposit
from survey.privacy.keys import new_key
from survey.privacy.links import open_link
from survey.privacy.models import ResponseDraft, ResponseInbox
from survey.privacy.sealing import bucket_for
from survey.privacy.spending import lock_link, spend
from survey.privacy.tokens import Link, new_link, read_link
from survey.respond import services as respond
from tests.conftest import TODAY, checked_radios, csrf_in, radio_names

pytestmark = pytest.mark.usefixtures("today")

SECRET_TEXT = "Mijn zoon Jonas huilt elke ochtend voor de schoolpoort"


@pytest.fixture
def pupils(make):
    """A pupils' campaign: one statement per screen, so every screen saves a draft."""
    return make.school_campaign(
        make.school(make.centre()),
        "tevredenheid-leerlingen",
        Audience.PUPIL,
        opens_on=date(2026, 1, 5),
        closes_on=date(2026, 6, 30),
    )


def _drafts() -> list:
    return _db.session.execute(select(ResponseDraft.__table__)).all()


def _answers(campaign, value: int = 3, text: str = "") -> respond.Answers:
    questionnaire = questionnaire_of(campaign)
    items = questionnaire.items_for(Audience(campaign.audiences[0]).value)
    texts = {questionnaire.open_questions[0].id: text} if text else {}
    return respond.Answers({item.id: value for item in items}, texts)


def test_a_draft_is_stored_sealed_and_names_no_invitation(client, db, pupils):
    issued = issue_invitations(pupils, Audience.PUPIL, 1, TODAY)[0]
    db.session.commit()
    path = issued.path
    page = client.get(path).get_data(as_text=True)
    [item] = radio_names(page)
    moved = client.post(
        path, data={item: "3", "csrf_token": csrf_in(page), "page": "0", "action": "next"}
    )
    assert moved.status_code == 302, moved.get_data(as_text=True)
    assert respond.save_draft(
        open_link(issued.token), _answers(pupils, 4, SECRET_TEXT), TODAY
    )  # the open answer too, as the last screen would

    [row] = _drafts()
    assert set(row._mapping) == {"id", "campaign_id", "sealed", "updated_on"}
    assert row.campaign_id == pupils.id
    assert row.updated_on == TODAY
    # Neither the answers nor their shape are readable in the stored bytes.
    stored = b"".join(value if isinstance(value, bytes) else str(value).encode() for value in row)
    for readable in (SECRET_TEXT, "Jonas", '"values"', '"texts"', item.removeprefix("item-")):
        assert readable.encode() not in stored, readable
        assert json.dumps(readable)[1:-1].encode() not in stored, readable
    # The row's id is derived from the token: it is no invitation's id, and no invitation
    # column holds it (or anything else of the draft).
    invitation = dict(
        db.session.execute(
            select(Invitation.__table__).where(Invitation.id == issued.invitation.id)
        )
        .one()
        ._mapping
    )
    assert row.id == read_link(issued.token).draft_id
    assert row.id != str(issued.invitation.id)
    assert row.id not in {str(value) for value in invitation.values()}
    assert "invitation_id" not in {
        c["name"] for c in inspect(db.engine).get_columns("response_draft")
    }


def test_a_draft_opens_only_with_its_own_token(app, client, db, pupils):
    first, second = issue_invitations(pupils, Audience.PUPIL, 2, TODAY)
    db.session.commit()
    answers = _answers(pupils, 2, SECRET_TEXT)
    assert respond.save_draft(open_link(first.token), answers, TODAY)
    [row] = _drafts()

    link = read_link(first.token)
    assert open_draft(link, row.sealed) == answers.as_json()
    # Another link of the same campaign: neither the same id nor a key that opens it.
    other = read_link(second.token)
    assert other.draft_id != row.id
    assert open_draft(other, row.sealed) is None
    # Tampered with: one bit flipped anywhere, it opens no more.
    for index in (0, 12, len(row.sealed) // 2, len(row.sealed) - 1):
        tampered = bytearray(row.sealed)
        tampered[index] ^= 1
        assert open_draft(link, bytes(tampered)) is None, index
    # The same token under another anonymity key derives another draft id and key.
    saved = app.config["ANONYMITY_KEY"]
    app.config["ANONYMITY_KEY"] = new_key()
    try:
        foreign = Link(link.token, link.campaign_id, link.audience, link.body)
        assert foreign.draft_id != row.id
        assert open_draft(foreign, row.sealed) is None
    finally:
        app.config["ANONYMITY_KEY"] = saved

    # Through the pages: the first link's form shows its answers, the second's none.
    page = client.get(first.path).get_data(as_text=True)
    assert checked_radios(page) == dict.fromkeys(radio_names(page), "2")
    elsewhere = app.test_client().get(second.path).get_data(as_text=True)
    assert checked_radios(elsewhere) == {}


def _sealed_lengths(campaign, texts: list[str]) -> set[int]:
    questionnaire = questionnaire_of(campaign)
    lengths = set()
    for text in texts:
        variants = [
            respond.Answers(),
            respond.Answers({questionnaire.items[0].id: 1}),
            _answers(campaign, 4),
            _answers(campaign, 0, text),
        ]
        for answers in variants:
            link = read_link(new_link(campaign.id, Audience(campaign.audiences[0])))
            assert save_draft(link, answers.as_json(), TODAY, bucket_for(questionnaire))
            sealed = _db.session.scalar(
                select(ResponseDraft.sealed).where(ResponseDraft.id == link.draft_id)
            )
            lengths.add(len(sealed))
    return lengths


def _longest(campaign, character: str) -> str:
    [question] = questionnaire_of(campaign).open_questions
    return character * question.max_length


def test_every_draft_of_a_questionnaire_has_the_same_length(db, make, pupils):
    parents = make.school_campaign(make.school(make.centre()))
    for campaign in (pupils, parents):
        texts = [
            "ja",
            _longest(campaign, "a"),
            _longest(campaign, "é"),  # JSON writes \u00e9: six bytes for one character
            _longest(campaign, '"'),  # and \" for a quote
            _longest(campaign, "\u2028"),
        ]
        assert len(_sealed_lengths(campaign, texts)) == 1, campaign.audiences


def test_a_long_comment_of_emoji_seals_to_the_same_length(db, make, pupils):
    # Outside the BMP: ASCII-escaped JSON would spend 12 bytes on each (a surrogate pair),
    # beyond the bucket's 6 bytes per character, and the long comment would stand out.
    parents = make.school_campaign(make.school(make.centre()))
    for campaign in (pupils, parents):
        assert len(_sealed_lengths(campaign, ["ja", _longest(campaign, "😀")])) == 1
    questionnaire = questionnaire_of(parents)
    [question] = questionnaire.open_questions
    for text in ("ja", _longest(parents, "😀")):
        deposit(parents, questionnaire, Audience.PARENT, {}, {question.id: text}, TODAY)
    lengths = {len(row.sealed) for row in db.session.execute(select(ResponseInbox.__table__))}
    assert len(lengths) == 1


def test_every_waiting_answer_of_a_questionnaire_has_the_same_length(db, make):
    # The inbox's plaintexts are padded likewise: a long comment is not told by its length.
    campaign = make.school_campaign(make.school(make.centre()))
    questionnaire = questionnaire_of(campaign)
    [question] = questionnaire.open_questions
    for text in ("", "kort", "é" * question.max_length, '"' * question.max_length):
        texts = {question.id: text} if text else {}
        deposit(campaign, questionnaire, Audience.PARENT, {}, texts, TODAY)
    lengths = {len(row.sealed) for row in db.session.execute(select(ResponseInbox.__table__))}
    assert len(lengths) == 1


def test_a_draft_is_refused_once_the_link_is_spent(app, client, db, pupils):
    issued = issue_invitations(pupils, Audience.PUPIL, 1, TODAY)[0]
    db.session.commit()
    link = read_link(issued.token)
    bucket = bucket_for(questionnaire_of(pupils))
    assert save_draft(link, _answers(pupils, 1).as_json(), TODAY, bucket)
    assert respond.submit(open_link(issued.token), _answers(pupils, 3), TODAY)
    db.session.commit()
    # Submitting deleted the draft, and no save can bring one back.
    assert _drafts() == []
    assert save_draft(link, _answers(pupils, 2).as_json(), TODAY, bucket) is False
    assert _drafts() == []
    # A page saved in a tab left open says the link was answered, and stores nothing.
    page = app.test_client().post(issued.path, data={"page": "0", "action": "next", "item-x": "2"})
    assert page.status_code in (200, 302)
    assert _drafts() == []


def test_a_draft_is_refused_when_spent_by_another_path(db, pupils):
    # The nullifier alone decides: spent through spend() directly, the save is refused.
    link = read_link(new_link(pupils.id, Audience.PUPIL))
    lock_link(link)
    assert spend(link)
    bucket = bucket_for(questionnaire_of(pupils))
    assert save_draft(link, {"values": {"a": 1}, "texts": {}}, TODAY, bucket) is False
    assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0
    assert re.fullmatch(r"[0-9a-f]{64}", link.draft_id)
