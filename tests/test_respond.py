"""The respondent's form behind a single-use link: answering, errors, paging, idempotence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, inspect, select

from survey.campaigns.services import campaign_for_trajectory, close_campaign, issue_invitations
from survey.models import (
    AnonymousResponse,
    Audience,
    Campaign,
    Invitation,
    MatrixAnswer,
    MatrixResponse,
)
from survey.privacy.drafts import open_draft
from survey.privacy.inbox import open_waiting
from survey.privacy.keys import subkey
from survey.privacy.links import open_link
from survey.privacy.models import ResponseDraft, ResponseInbox, SpentLink
from survey.privacy.publication import PublicationOutcome, publish
from survey.privacy.spending import is_spent
from survey.privacy.tokens import hash_token, read_link
from survey.respond.forms import collect_answers
from survey.respond.services import Answers, save_draft, submit
from tests.conftest import TODAY, checked_radios, csrf_in, radio_names

pytestmark = pytest.mark.usefixtures("today")


@pytest.fixture
def trajectory(make):
    centre = make.centre()
    coach = make.user(centre)
    return make.trajectory(make.school(centre), coaches=[coach])


def _link(trajectory, role, questionnaire="feedbackmatrix", **kwargs):
    campaign = campaign_for_trajectory(trajectory, Audience(role), TODAY, questionnaire)
    return issue_invitations(campaign, Audience(role), 1, TODAY, **kwargs)[0]


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _spent(issued) -> bool:
    """Whether the link was answered: its nullifier, recomputed from the token, is stored."""
    return is_spent(read_link(issued.token))


def _invitation_row(db, issued) -> dict:
    """Every column of the link's invitation row, read past the session's identity map."""
    links = Invitation.__table__
    return dict(
        db.session.execute(select(links).where(links.c.id == issued.invitation.id)).one()._mapping
    )


def _answer_page(client, path, value="3", extra=None, action=None):
    page = client.get(path).get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), value)
    data["csrf_token"] = csrf_in(page)
    page_number = re.search(r'name="page" value="(\d+)"', page).group(1)
    data["page"] = page_number
    if action:
        data["action"] = action
    data.update(extra or {})
    return client.post(path.split("?")[0], data=data)


def test_the_thank_you_page_only_follows_an_answer(client, trajectory):
    issued = _link(trajectory, "parent")
    before = client.get(f"{issued.path}/thanks")
    assert before.status_code == 302
    assert before.headers["Location"].endswith(issued.path)
    assert client.get("/r/not-a-link-of-ours/thanks").status_code == 404


@contextmanager
def _statements(db) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        # A savepoint is how the db fixture begins the session's transaction inside its own
        # (join_transaction_mode); outside the tests that begin is implicit, not a statement.
        if not statement.startswith("SAVEPOINT "):
            seen.append(statement)

    target = db.engines[None]  # the test's connection (see the db fixture)
    event.listen(target, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)


def test_each_form_page_is_one_query_with_its_draft(client, db, trajectory):
    issued = _link(trajectory, "parent")  # the paged feedbackmatrix
    _answer_page(client, issued.path, value="2", action="save")
    with _statements(db) as statements:
        page = client.get(issued.path).get_data(as_text=True)
    # The link, its campaign, questionnaire version and saved draft come in one round trip.
    assert len(statements) == 1, statements
    assert checked_radios(page) == dict.fromkeys(radio_names(page), "2")


def test_the_thank_you_page_after_sending_needs_no_query(app, client, db, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders")
    sent = _answer_page(client, issued.path)
    with _statements(db) as statements:
        thanks = client.get(sent.headers["Location"])
    assert thanks.status_code == 200
    assert "Bedankt" in thanks.get_data(as_text=True)
    assert statements == []
    # Another browser has no such mark in its session: the database answers for it.
    elsewhere = app.test_client().get(f"{issued.path}/thanks")
    assert "Bedankt" in elsewhere.get_data(as_text=True)


def test_a_blank_page_kept_rendered_follows_the_language(client, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders")
    dutch = client.get(issued.path).get_data(as_text=True)
    french = client.get(f"{issued.path}?lang=fr").get_data(as_text=True)
    assert "Ik krijg duidelijke uitleg over de leersteun." in dutch
    assert "Je reçois des explications claires sur le soutien." in french
    assert "Ik krijg duidelijke uitleg" not in french


def test_parent_answers_the_feedbackmatrix_in_two_pages(client, db, trajectory):
    issued = _link(trajectory, "parent")
    first = client.get(issued.path)
    page = first.get_data(as_text=True)
    assert first.status_code == 200
    assert 'lang="nl"' in page
    assert "Pagina 1 van 2" in page
    assert "niet anoniem" in page  # the open form says who will see the answers
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert _answer_page(client, issued.path, action="next").status_code == 302
    done = _answer_page(
        client,
        f"{issued.path}?page=1",
        action="submit",
        extra={"open-loopt-goed": "De visualisaties helpen."},
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"{issued.path}/thanks")
    assert "Bedankt!" in client.get(f"{issued.path}/thanks").get_data(as_text=True)
    response = db.session.scalar(select(MatrixResponse))
    assert response.trajectory_id == trajectory.id
    assert response.role is Audience.PARENT
    assert db.session.scalar(select(func.count()).select_from(MatrixAnswer)) == 14
    assert _count(db, ResponseDraft) == 0
    assert _spent(issued)
    again = client.get(issued.path).get_data(as_text=True)
    assert "Je hebt al geantwoord" in again


def test_double_submit_stores_exactly_one_response(client, db, trajectory):
    issued = _link(trajectory, "teacher", "tevredenheid-leraren")
    page = client.get(issued.path).get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), "4")
    data |= {"csrf_token": csrf_in(page), "page": "0", "action": "submit"}
    first = client.post(issued.path, data=data)
    second = client.post(issued.path, data=data)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"].endswith("/thanks")
    assert _count(db, ResponseInbox) == 1
    assert _count(db, SpentLink) == 1


def test_answering_writes_a_nullifier_and_leaves_the_invitation_row_unchanged(
    client, db, trajectory
):
    issued = _link(trajectory, "teacher", "tevredenheid-leraren")
    before = _invitation_row(db, issued)
    page = client.get(issued.path).get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), "4") | {"csrf_token": csrf_in(page), "page": "0"}
    assert client.post(issued.path, data=data).status_code == 302
    assert _invitation_row(db, issued) == before
    link = read_link(issued.token)
    spent = db.session.execute(select(SpentLink.__table__)).one()
    assert spent.nullifier == link.nullifier
    assert (spent.campaign_id, spent.audience) == (issued.invitation.campaign_id, Audience.TEACHER)
    assert {column.name for column in inspect(SpentLink).columns} == {
        "nullifier",
        "campaign_id",
        "audience",
    }
    # Keyed: not the token's plain hash, which whoever saw the link could compute.
    assert spent.nullifier != hash_token(issued.token)


def test_an_address_stays_when_its_link_is_used_and_all_go_together_at_closing(
    client, db, trajectory
):
    campaign = campaign_for_trajectory(trajectory, Audience.TEACHER, TODAY, "tevredenheid-leraren")
    answered, other = issue_invitations(
        campaign, Audience.TEACHER, 0, TODAY, emails=["an@school.be", "bert@school.be"]
    )
    before = [_invitation_row(db, issued) for issued in (answered, other)]
    assert all(row["email"] and row["sealed_link"] for row in before)
    page = client.get(answered.path).get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), "4") | {"csrf_token": csrf_in(page), "page": "0"}
    assert client.post(answered.path, data=data).status_code == 302
    # Erasing the address when its link is used would write the moment of use into its row.
    assert [_invitation_row(db, issued) for issued in (answered, other)] == before
    close_campaign(campaign, TODAY)
    after = [_invitation_row(db, issued) for issued in (answered, other)]
    assert [(row["email"], row["sealed_link"]) for row in after] == [(None, None), (None, None)]


def test_the_respondents_requests_never_name_the_invitation(app, client, db, trajectory):
    issued = _link(trajectory, "parent")  # the paged feedbackmatrix: drafts, then a submission
    with _statements(db) as statements:
        _answer_page(client, issued.path, action="save")
        _answer_page(client, issued.path, action="next")
        sent = _answer_page(client, f"{issued.path}?page=1", action="submit")
        assert sent.headers["Location"].endswith(f"{issued.path}/thanks")
        assert "Bedankt" in app.test_client().get(f"{issued.path}/thanks").get_data(as_text=True)
        assert "Je hebt al geantwoord" in client.get(issued.path).get_data(as_text=True)
    assert statements
    assert [s for s in statements if "invitation" in s.lower()] == []


def test_a_draft_is_never_saved_for_a_link_answered_meanwhile(db, trajectory):
    issued = _link(trajectory, "parent")
    opened = open_link(issued.token)  # read by this tab while the link was still open
    assert opened.spent is False
    # Meanwhile another tab sent the form.
    assert submit(open_link(issued.token), Answers(), TODAY) is True
    assert save_draft(opened, Answers({"q1": 3}), TODAY) is False
    assert _count(db, ResponseDraft) == 0


def test_the_next_page_after_the_link_was_sent_elsewhere_keeps_no_draft(
    client, db, trajectory, monkeypatch
):
    issued = _link(trajectory, "parent")  # the paged feedbackmatrix

    def sent_in_another_tab(*args):
        # The other tab's submission lands while this request runs, after it read the link.
        assert submit(open_link(issued.token), Answers(), TODAY) is True
        return collect_answers(*args)

    monkeypatch.setattr("survey.respond.routes.collect_answers", sent_in_another_tab)
    response = _answer_page(client, issued.path, action="next")
    # To the link's own page (which says it was answered), not to page two.
    assert response.status_code == 302
    assert response.headers["Location"] == issued.path
    assert _count(db, ResponseDraft) == 0


def test_two_tabs_saving_their_first_draft_at_once_both_succeed(db, trajectory):
    issued = _link(trajectory, "parent")
    opened = open_link(issued.token)
    assert opened.draft is None  # this tab read the link before the other tab saved
    # The other tab's first save lands between this tab's read and its own save.
    assert save_draft(open_link(issued.token), Answers({"q1": 1}), TODAY) is True
    assert save_draft(opened, Answers({"q1": 4}), TODAY) is True
    [row] = db.session.execute(select(ResponseDraft.__table__)).all()
    assert open_draft(read_link(issued.token), row.sealed) == {"values": {"q1": 4}, "texts": {}}
    assert open_link(issued.token).draft == {"values": {"q1": 4}, "texts": {}}


def test_a_draft_row_is_sealed_names_no_invitation_and_opens_only_with_its_link(
    client, db, trajectory
):
    issued = _link(trajectory, "parent")  # the paged feedbackmatrix
    other = _link(trajectory, "parent")  # another link of the same campaign
    assert other.invitation.campaign_id == issued.invitation.campaign_id
    secret = "Een geheim antwoord over mijn kind"
    _answer_page(
        client, f"{issued.path}?page=1", value="2", action="save", extra={"open-loopt-goed": secret}
    )
    assert {column.name for column in inspect(ResponseDraft).columns} == {
        "id",
        "campaign_id",
        "sealed",
        "updated_on",
    }
    [row] = db.session.execute(select(ResponseDraft.__table__)).all()
    link = read_link(issued.token)
    assert row.id == link.draft_id
    assert row.campaign_id == issued.invitation.campaign_id
    # No readable answers: neither the comment nor the answers' JSON keys are in the row.
    for readable in (secret.encode(), b"values", b"texts", b"loopt-goed"):
        assert readable not in row.sealed
    # Neither the token nor the invitation can be read from the row's id.
    assert issued.token not in row.id
    assert row.id != str(issued.invitation.id)
    # It opens with its own link, and with no other link of the campaign.
    opened = open_draft(link, row.sealed)
    assert opened["texts"] == {"loopt-goed": secret}
    assert set(opened["values"].values()) == {2}
    assert open_draft(read_link(other.token), row.sealed) is None
    assert open_link(other.token).draft is None


def test_missing_answer_is_explained_in_dutch_and_answers_kept(client, db, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders")
    page = client.get(issued.path).get_data(as_text=True)
    names = radio_names(page)
    data = dict.fromkeys(names[1:], "2")  # the first statement left open
    data |= {"csrf_token": csrf_in(page), "page": "0", "open-nog-iets": "Goed zo"}
    response = client.post(issued.path, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Kies een antwoord" in html
    assert checked_radios(html) == dict.fromkeys(names[1:], "2")
    assert "Goed zo" in html
    assert not _spent(issued)
    assert _count(db, SpentLink) == 0


def test_value_outside_the_scale_and_unknown_items_are_refused(client, db, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders", language="fr")
    page = client.get(f"{issued.path}?lang=fr").get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), "3")
    first = radio_names(page)[0]
    data |= {first: "9", "item-verzonnen": "4", "csrf_token": csrf_in(page), "page": "0"}
    html = client.post(issued.path, data=data).get_data(as_text=True)
    assert 'lang="fr"' in html
    assert "Dit antwoord" not in html  # the French catalogue speaks, not the Dutch one
    assert not _spent(issued)
    assert _count(db, SpentLink) == 0
    assert _count(db, ResponseInbox) == 0


def test_missing_csrf_token_keeps_the_answers(client, db, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders")
    page = client.get(issued.path).get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), "4") | {"page": "0"}
    response = client.post(issued.path, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "verstuur je antwoorden nog een keer" in html
    assert checked_radios(html) == dict.fromkeys(radio_names(page), "4")
    assert not _spent(issued)
    assert _count(db, SpentLink) == 0


def test_back_keeps_answers_and_save_resumes_later(app, client, db, trajectory):
    issued = _link(trajectory, "parent")
    _answer_page(client, issued.path, value="1", action="next")
    back = _answer_page(client, f"{issued.path}?page=1", value="2", action="back")
    assert back.headers["Location"].endswith("page=0")
    first_page = client.get(f"{issued.path}?page=0").get_data(as_text=True)
    assert checked_radios(first_page) == dict.fromkeys(radio_names(first_page), "1")
    # Another browser (no cookies) with the same link finds the saved answers.
    other = app.test_client()
    resumed = other.get(f"{issued.path}?page=1").get_data(as_text=True)
    assert checked_radios(resumed) == dict.fromkeys(radio_names(resumed), "2")


def test_pupil_form_one_statement_per_screen_with_faces(client, db, trajectory):
    issued = _link(trajectory, "pupil", "tevredenheid-leerlingen")
    html = client.get(issued.path).get_data(as_text=True)
    assert 'class="pupil"' in html
    assert len(radio_names(html)) == 1
    assert html.count('<svg class="face"') == 3
    assert "respond.js" in html
    assert re.search(r"Pagina 1 van \d+", html)


def test_arabic_is_right_to_left(client, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders")
    html = client.get(f"{issued.path}?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    # Remembered for the next page without ?lang=
    assert 'dir="rtl"' in client.get(issued.path).get_data(as_text=True)


def test_language_follows_the_browser_then_falls_back_to_dutch(app, db, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders")
    french = app.test_client().get(issued.path, headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    assert 'lang="fr"' in french.get_data(as_text=True)
    other = app.test_client().get(issued.path, headers={"Accept-Language": "ja"})
    assert 'lang="nl"' in other.get_data(as_text=True)


def test_unknown_token_is_a_plain_404_in_the_detected_language(app, db):
    response = app.test_client().get("/r/no-such-token", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'lang="fr"' in html
    assert "Klankbord" in html


def test_closed_campaign_says_when_it_closed(client, db, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders")
    campaign = issued.invitation.campaign
    campaign.opens_on = TODAY - timedelta(days=30)
    campaign.closes_on = TODAY - timedelta(days=1)
    db.session.flush()
    html = client.get(issued.path).get_data(as_text=True)
    assert "afgesloten" in html
    assert "9 maart 2026" in html


def test_hostile_posts_never_give_a_500(client, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders")
    page = client.get(issued.path).get_data(as_text=True)
    token = csrf_in(page)
    for data in (
        {"page": "x", "csrf_token": token},
        {"page": "-5", "csrf_token": token, "action": "next"},
        {"page": "999", "csrf_token": token, "action": "back"},
        {"csrf_token": token, "open-nog-iets": "<script>alert(1)</script>" * 500},
        {"csrf_token": token, radio_names(page)[0]: "\x00"},
    ):
        response = client.post(issued.path, data=data)
        assert response.status_code < 500, data
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def _send(client, issued, value: str = "3") -> None:
    """Answer a one-page form completely and send it."""
    page = client.get(issued.path).get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), value) | {"csrf_token": csrf_in(page), "page": "0"}
    response = client.post(issued.path, data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{issued.path}/thanks")


def test_a_submission_publishes_nothing_publish_does_in_batches_of_k(app, client, db, trajectory):
    threshold = app.config["ANONYMITY_THRESHOLD"]
    links = [_link(trajectory, "parent", "tevredenheid-ouders") for _ in range(threshold)]
    campaign_id = links[0].invitation.campaign_id
    for number, issued in enumerate(links[:-1], start=1):
        _send(client, issued)
        assert (_count(db, AnonymousResponse), _count(db, ResponseInbox)) == (0, number)
    # Below k, publication publishes nothing: a smaller batch is never published.
    outcome = publish(TODAY, threshold)
    assert (outcome.published, outcome.waiting) == (0, threshold - 1)
    # Not even the k-th respondent's own request publishes the batch it completes.
    _send(client, links[-1])
    assert (_count(db, AnonymousResponse), _count(db, ResponseInbox)) == (0, threshold)
    assert db.session.get(Campaign, campaign_id).published_answers == 0
    published_on = TODAY + timedelta(days=1)  # the daily run after the last answer
    outcome = publish(published_on, threshold)
    assert (outcome.published, outcome.generalised, outcome.waiting) == (threshold, 0, 0)
    assert (_count(db, AnonymousResponse), _count(db, ResponseInbox)) == (threshold, 0)
    responses = db.session.scalars(select(AnonymousResponse)).all()
    assert {response.school_id for response in responses} == {trajectory.school_id}
    assert {response.coach_id for response in responses} == {None}
    assert {response.school_year for response in responses} == {"2025-2026"}
    # The batch's own day, the same for all; no answer carries the day it was sent.
    assert {response.published_on for response in responses} == {published_on}
    assert "submitted_on" not in {column.name for column in inspect(AnonymousResponse).columns}
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).published_answers == threshold
    # Published once: the next run finds nothing waiting.
    assert publish(published_on, threshold) == PublicationOutcome(0, 0, 0)


def test_closing_a_campaign_deletes_its_drafts_and_publishes_what_reaches_k(
    app, client, db, trajectory
):
    threshold = app.config["ANONYMITY_THRESHOLD"]
    saved = _link(trajectory, "parent")  # the paged feedbackmatrix: leaves a draft
    _answer_page(client, saved.path, action="next")
    teachers = [_link(trajectory, "teacher", "tevredenheid-leraren") for _ in range(threshold)]
    for issued in teachers:
        _send(client, issued, "4")
    assert _count(db, ResponseDraft) == 1
    assert (_count(db, AnonymousResponse), _count(db, ResponseInbox)) == (0, threshold)
    outcome = close_campaign(teachers[0].invitation.campaign, TODAY)
    assert outcome.published == threshold
    assert (_count(db, AnonymousResponse), _count(db, ResponseInbox)) == (threshold, 0)
    assert _count(db, ResponseDraft) == 1  # another campaign's draft stays
    published = db.session.scalars(select(AnonymousResponse)).all()
    assert {response.audience for response in published} == {Audience.TEACHER}
    assert {response.coach_id for response in published} == {trajectory.coaches[0].id}
    assert {response.published_on for response in published} == {TODAY}
    close_campaign(saved.invitation.campaign, TODAY)
    assert _count(db, ResponseDraft) == 0
    assert "afgesloten" in client.get(saved.path).get_data(as_text=True)


def test_at_closing_an_answer_below_k_keeps_waiting_sealed(client, db, trajectory):
    issued = _link(trajectory, "teacher", "tevredenheid-leraren")
    _send(client, issued, "4")
    outcome = close_campaign(issued.invitation.campaign, TODAY)
    # Even generalised (no coach, then no school) one answer is no batch of k.
    assert (outcome.published, outcome.waiting) == (0, 1)
    assert _count(db, AnonymousResponse) == 0
    [row] = db.session.execute(select(ResponseInbox.__table__)).all()
    assert row.campaign_id == issued.invitation.campaign_id
    assert b"teacher" not in row.sealed
    waiting = open_waiting(row, subkey("inbox"))
    assert waiting.attributes.audience == Audience.TEACHER.value
    assert waiting.attributes.coach_id == trajectory.coaches[0].id
    assert waiting.attributes.school_id == trajectory.school_id
    assert set(waiting.values.values()) == {4}
