"""Publication: batches of at least k answers with identical attributes, and nothing smaller.

survey.privacy.publication.publish is the one way an anonymous answer leaves the sealed inbox
(docs/anonymity.md, "The inbox and k-anonymous batches"). Each test states one rule and fails
if it breaks: a group below k while its campaign is open, the batch's shape (shuffled, fresh
ids, the publication's own date, inbox rows gone), generalisation after a campaign ended
(coach first, then school), a remainder below k, closing, and the per-campaign counter.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from survey.campaigns.services import campaign_for_trajectory, close_campaign, questionnaire_of
from survey.models import AnonymousComment, AnonymousResponse, Audience, Campaign, Role
from survey.privacy.inbox import Attributes, Waiting, deposit
from survey.privacy.models import ResponseInbox
from survey.privacy.publication import PublicationOutcome, form_batches, publish
from tests.conftest import TODAY

K = 5


# --------------------------------------------------------------------------- helpers


def _answer(campaign: Campaign, count: int, *, on: date = TODAY, texts=None) -> None:
    """``count`` answers of the campaign's one audience, sealed into the inbox on ``on``."""
    questionnaire = questionnaire_of(campaign)
    audience = Audience(campaign.audiences[0])
    items = questionnaire.items_for(audience.value)
    for number in range(count):
        values = {item.id: 1 + (number + i) % 4 for i, item in enumerate(items)}
        deposit(campaign, questionnaire, audience, values, texts(number) if texts else {}, on)


def _waiting(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ResponseInbox))


def _published(db) -> list[AnonymousResponse]:
    return db.session.scalars(select(AnonymousResponse)).all()


def _close(campaign: Campaign, on: date = TODAY) -> None:
    """Answering stops; publication is left to the call under test."""
    campaign.close(on=on)


@pytest.fixture
def centre(make):
    return make.centre(name="LSC Publicatie")


@pytest.fixture
def schools(make, centre):
    return make.school(centre, name="School A"), make.school(centre, name="School B")


def _teachers_campaign(make, school, coach) -> Campaign:
    trajectory = make.trajectory(school, coaches=[coach])
    return campaign_for_trajectory(trajectory, Audience.TEACHER, TODAY, "tevredenheid-leraren")


# --------------------------------------------------------------------------- while open


def test_a_group_below_k_never_publishes_while_its_campaign_is_open(db, make, schools):
    campaign = make.school_campaign(schools[0])
    _answer(campaign, K - 1)
    # Day after day until the campaign's last day: nothing comes out.
    for day in (TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=60), campaign.closes_on):
        assert publish(day, K) == PublicationOutcome(published=0, generalised=0, waiting=K - 1)
    assert _published(db) == []
    assert _waiting(db) == K - 1
    assert campaign.published_answers == 0


def test_k_identical_answers_publish_shuffled_under_fresh_ids_with_the_days_date(
    db, make, schools, backend
):
    school = schools[0]
    campaign = make.school_campaign(school)
    _answer(campaign, 8, on=TODAY, texts=lambda n: {"nog-iets": f"antwoord {n}"})
    inbox_ids = set(db.session.scalars(select(ResponseInbox.id)))
    publication_day = TODAY + timedelta(days=3)

    outcome = publish(publication_day, K)

    assert outcome == PublicationOutcome(published=8, generalised=0, waiting=0)
    assert _waiting(db) == 0  # the inbox rows went in the same transaction
    rows = _published(db)
    assert len(rows) == 8
    # Fresh random ids: none is an inbox row's id.
    assert not {row.id for row in rows} & inbox_ids
    assert all(row.id.version == 4 for row in rows)
    # The batch's own date, not the day each answer was sent.
    assert {row.published_on for row in rows} == {publication_day}
    # Exactly the attributes, identical for the whole batch.
    assert {
        (
            r.centre_id,
            r.school_year,
            r.school_id,
            r.audience,
            r.coach_id,
            r.questionnaire_version_id,
        )
        for r in rows
    } == {
        (
            school.centre_id,
            "2025-2026",
            school.id,
            Audience.PARENT,
            None,
            campaign.questionnaire_version_id,
        )
    }
    # Shuffled: the stored order is not the order the answers came in. (Chance of a false
    # alarm: 1 in 8!, about 0.0025 %.)
    position = "ctid" if backend == "postgresql" else "rowid"
    stored = db.session.execute(
        # Only a constant system-column name is formatted in.
        text(f"SELECT id FROM anonymous_response ORDER BY {position}")  # noqa: S608
    ).scalars()
    by_id = {
        str(comment.response_id).replace("-", ""): int(re.search(r"\d+", comment.text).group())
        for comment in db.session.scalars(select(AnonymousComment))
    }
    order = [by_id[str(value).replace("-", "")] for value in stored]
    assert sorted(order) == list(range(8))
    assert order != list(range(8))
    db.session.refresh(campaign)  # the counter is updated by a bulk statement
    assert campaign.published_answers == 8


def test_two_groups_of_three_with_different_schools_do_not_publish_together_while_open(
    db, make, schools
):
    first, second = (make.school_campaign(school) for school in schools)
    _answer(first, 3)
    _answer(second, 3)
    assert publish(TODAY, K) == PublicationOutcome(published=0, generalised=0, waiting=6)
    assert _published(db) == []
    # One campaign ending is not enough: the other's answers keep their school.
    _close(first)
    assert publish(TODAY, K).published == 0
    assert _waiting(db) == 6


# --------------------------------------------------------------------------- after the end


def test_after_closing_two_schools_generalise_to_the_centre_as_one_batch(db, make, schools):
    first, second = (make.school_campaign(school) for school in schools)
    _answer(first, 3)
    _answer(second, 3)
    _close(first)
    _close(second)

    outcome = publish(TODAY + timedelta(days=1), K)

    assert outcome == PublicationOutcome(published=6, generalised=6, waiting=0)
    rows = _published(db)
    assert len(rows) == 6
    assert {(row.centre_id, row.school_id, row.coach_id) for row in rows} == {
        (schools[0].centre_id, None, None)
    }
    assert {row.published_on for row in rows} == {TODAY + timedelta(days=1)}
    assert _waiting(db) == 0


def test_an_ended_campaign_by_its_closing_date_generalises_too(db, make, schools):
    # Not closed by anyone, but past its last day: it takes no more answers, so it has ended.
    first, second = (make.school_campaign(school) for school in schools)
    _answer(first, 3)
    _answer(second, 2)
    after = first.closes_on + timedelta(days=1)
    outcome = publish(after, K)
    assert outcome == PublicationOutcome(published=5, generalised=5, waiting=0)
    assert {row.school_id for row in _published(db)} == {None}


def test_teacher_ratings_lose_the_coach_before_the_school(db, make, centre, schools):
    school = schools[0]
    coach_x = make.user(centre, Role.COACH)
    coach_y = make.user(centre, Role.COACH)
    for_x = _teachers_campaign(make, school, coach_x)
    for_y = _teachers_campaign(make, school, coach_y)
    _answer(for_x, 3)
    _answer(for_y, 2)
    # While open, each coach's group (3 and 2) is too small.
    assert publish(TODAY, K).published == 0
    _close(for_x)
    _close(for_y)

    outcome = publish(TODAY, K)

    assert outcome == PublicationOutcome(published=5, generalised=5, waiting=0)
    # The school stays: dropping the coach was enough to reach k.
    assert {(row.school_id, row.coach_id) for row in _published(db)} == {(school.id, None)}


def test_a_teachers_group_of_k_keeps_its_coach(db, make, centre, schools):
    coach = make.user(centre, Role.COACH)
    campaign = _teachers_campaign(make, schools[0], coach)
    _answer(campaign, K)
    assert publish(TODAY, K) == PublicationOutcome(published=K, generalised=0, waiting=0)
    assert {(row.school_id, row.coach_id) for row in _published(db)} == {(schools[0].id, coach.id)}


def test_a_remainder_below_k_even_for_the_centre_keeps_waiting(db, make, schools):
    first, second = (make.school_campaign(school) for school in schools)
    _answer(first, 2)
    _answer(second, 2)
    _close(first)
    _close(second)
    assert publish(TODAY, K) == PublicationOutcome(published=0, generalised=0, waiting=4)
    assert _published(db) == []
    assert _waiting(db) == 4
    # Days later, still nothing: a smaller batch is never published.
    assert publish(TODAY + timedelta(days=100), K).published == 0
    assert _waiting(db) == 4


def test_a_remainder_is_not_slipped_into_another_groups_batch(db, make, schools):
    big, small = (make.school_campaign(school) for school in schools)
    _answer(big, K)
    _answer(small, 2)
    _close(big)
    _close(small)
    assert publish(TODAY, K) == PublicationOutcome(published=K, generalised=0, waiting=2)
    # School A's batch holds its own five, under its school; School B's two wait.
    assert [row.school_id for row in _published(db)] == [schools[0].id] * K
    assert db.session.scalars(select(ResponseInbox.campaign_id)).all() == [small.id] * 2


def test_closing_a_campaign_publishes_per_these_rules(db, make, schools):
    first, second = (make.school_campaign(school) for school in schools)
    _answer(first, 3)
    _answer(second, 3)

    # Closing the first: its three may go to the centre, the second's open three may not.
    assert close_campaign(first, TODAY) == PublicationOutcome(0, 0, 6)
    assert _published(db) == []
    # Closing the second: both ended, one batch of six for the centre, dated the closing day.
    closing_day = TODAY + timedelta(days=2)
    assert close_campaign(second, closing_day) == PublicationOutcome(6, 6, 0)
    rows = _published(db)
    assert {(row.school_id, row.published_on) for row in rows} == {(None, closing_day)}
    db.session.expire_all()
    assert (first.published_answers, second.published_answers) == (3, 3)


def test_closing_a_campaign_with_k_publishes_them_with_all_attributes(db, make, schools):
    campaign = make.school_campaign(schools[0])
    _answer(campaign, K)
    assert close_campaign(campaign, TODAY) == PublicationOutcome(K, 0, 0)
    assert {row.school_id for row in _published(db)} == {schools[0].id}


def test_published_answers_counts_per_campaign(db, make, schools):
    # Two campaigns of one school with the same questionnaire: one batch spans both, and each
    # campaign counts its own answers in it.
    first = make.school_campaign(schools[0])
    second = make.school_campaign(schools[0])
    third = make.school_campaign(schools[1])
    _answer(first, 3)
    _answer(second, 2)
    _answer(third, 4)
    assert publish(TODAY, K) == PublicationOutcome(published=5, generalised=0, waiting=4)
    db.session.expire_all()
    assert (first.published_answers, second.published_answers, third.published_answers) == (
        3,
        2,
        0,
    )
    # A later batch adds to the count; it does not replace it.
    _answer(first, K)
    publish(TODAY, K)
    db.session.expire_all()
    assert first.published_answers == 3 + K


# --------------------------------------------------------------------------- form_batches

BASE = Attributes(
    centre_id=1,
    school_year="2025-2026",
    school_id=10,
    audience="teacher",
    coach_id=100,
    questionnaire_version_id=7,
)


def _w(campaign_id: int, attributes: Attributes = BASE, **changes) -> Waiting:
    from dataclasses import replace

    return Waiting(uuid.uuid4(), campaign_id, replace(attributes, **changes), {"q": 1}, {})


def _shape(batches):
    return sorted((attributes, len(members)) for attributes, members in batches)


def test_form_batches_is_a_pure_function_of_its_arguments():
    # No application context, no database: the grouping rules alone.
    answers = [_w(1) for _ in range(K)]
    assert _shape(form_batches(answers, set(), K)) == [(BASE, K)]
    assert form_batches(answers[:-1], set(), K) == []
    assert form_batches([], {1}, K) == []
    # The same input, the same batches (up to order), and the input left as it was.
    copy = list(answers)
    assert _shape(form_batches(answers, set(), K)) == _shape(form_batches(answers, set(), K))
    assert answers == copy


def test_form_batches_generalises_only_answers_of_ended_campaigns():
    open_a = [_w(1, school_id=10) for _ in range(3)]
    open_b = [_w(2, school_id=20) for _ in range(3)]
    assert form_batches(open_a + open_b, set(), K) == []
    assert form_batches(open_a + open_b, {1}, K) == []
    [(attributes, members)] = form_batches(open_a + open_b, {1, 2}, K)
    assert attributes == BASE.without_school()
    assert attributes.school_id is None
    assert attributes.coach_id is None
    assert {m.id for m in members} == {m.id for m in open_a + open_b}


def test_form_batches_drops_the_coach_before_the_school():
    coach_x = [_w(1, coach_id=100) for _ in range(3)]
    coach_y = [_w(2, coach_id=200) for _ in range(2)]
    other_school = [_w(3, school_id=20, coach_id=300) for _ in range(4)]
    batches = form_batches(coach_x + coach_y + other_school, {1, 2, 3}, K)
    # The coach goes first (3 + 2 at School 10); the other school's 4 stay below k.
    assert _shape(batches) == [(BASE.without_coach(), 5)]


def test_form_batches_never_returns_a_batch_below_k():
    ended = [_w(1, school_id=10 + n) for n in range(K - 1)]
    assert form_batches(ended, {1}, K) == []


def test_an_open_answer_joins_only_a_batch_with_its_own_attributes():
    # A centre-wide campaign's open answers (no school) may join ended school answers that
    # were generalised to the centre: they already have exactly those attributes.
    centre_wide = [_w(1, school_id=None, coach_id=None) for _ in range(2)]
    ended_school = [_w(2, school_id=10, coach_id=None) for _ in range(3)]
    [(attributes, members)] = form_batches(centre_wide + ended_school, {2}, K)
    assert attributes == BASE.without_school()
    assert len(members) == 5
    # An open school answer never loses its school to make up a centre batch.
    open_school = [_w(3, school_id=20, coach_id=None) for _ in range(3)]
    assert form_batches(centre_wide + open_school, set(), K) == []


_attributes = st.builds(
    Attributes,
    centre_id=st.just(1),
    school_year=st.just("2025-2026"),
    school_id=st.sampled_from([None, 10, 20, 30]),
    audience=st.sampled_from(["teacher", "parent"]),
    coach_id=st.sampled_from([None, 100, 200]),
    questionnaire_version_id=st.just(7),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(1, 4), _attributes), max_size=40),
    st.sets(st.integers(1, 4)),
    st.integers(2, 6),
)
def test_form_batches_invariants(specs, ended, threshold):
    waiting = [Waiting(uuid.uuid4(), c, a, {}, {}) for c, a in specs]
    batches = form_batches(waiting, ended, threshold)
    seen = [member.id for _attributes, members in batches for member in members]
    # Every answer at most once; every batch at least k and identical in what it publishes.
    assert len(seen) == len(set(seen))
    for attributes, members in batches:
        assert len(members) >= threshold
        for member in members:
            if member.campaign_id in ended:
                assert attributes in {
                    member.attributes,
                    member.attributes.without_coach(),
                    member.attributes.without_school(),
                }
            else:
                assert attributes == member.attributes
    # What is left could not form a batch even at the coarsest level it may reach.
    left: dict[Attributes, int] = {}
    for answer in waiting:
        if answer.id not in set(seen):
            final = answer.campaign_id in ended
            key = answer.attributes.without_school() if final else answer.attributes
            left[key] = left.get(key, 0) + 1
    assert all(count < threshold for count in left.values())


def test_one_row_that_does_not_open_does_not_block_every_batch(app, db, make, schools):
    from survey.privacy.keys import new_key

    campaign = make.school_campaign(schools[0])
    _answer(campaign, K)
    saved = app.config["ANONYMITY_KEY"]
    app.config["ANONYMITY_KEY"] = new_key()
    try:
        _answer(campaign, 1)
    finally:
        app.config["ANONYMITY_KEY"] = saved
    assert publish(TODAY, K).published == K
    assert _waiting(db) == 1
