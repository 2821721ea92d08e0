"""The respondent's form behind a single-use link: answering, errors, paging, idempotence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select, update

from survey.campaigns.services import campaign_for_trajectory, issue_invitations
from survey.models import (
    AnonymousResponse,
    Audience,
    Invitation,
    MatrixAnswer,
    MatrixResponse,
    ResponseDraft,
    ResponseInbox,
)
from survey.respond.forms import collect_answers
from survey.respond.services import Answers, save_draft
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
    assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0
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
    assert db.session.scalar(select(func.count()).select_from(ResponseInbox)) == 1


def test_a_draft_is_never_saved_for_a_link_answered_meanwhile(db, trajectory):
    issued = _link(trajectory, "parent")
    invitation = issued.invitation  # read by this tab while the link was still open
    links = Invitation.__table__
    # Meanwhile another tab sent the form.
    db.session.execute(update(links).where(links.c.id == invitation.id).values(used=True))
    assert save_draft(invitation, Answers({"q1": 3}), TODAY) is False
    assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0


def test_the_next_page_after_the_link_was_sent_elsewhere_keeps_no_draft(
    client, db, trajectory, monkeypatch
):
    issued = _link(trajectory, "parent")  # the paged feedbackmatrix
    links = Invitation.__table__

    def sent_in_another_tab(*args):
        # The other tab's submission lands while this request runs, after it read the link.
        db.session.execute(
            update(links).where(links.c.id == issued.invitation.id).values(used=True)
        )
        return collect_answers(*args)

    monkeypatch.setattr("survey.respond.routes.collect_answers", sent_in_another_tab)
    response = _answer_page(client, issued.path, action="next")
    # To the link's own page (which says it was answered), not to page two.
    assert response.status_code == 302
    assert response.headers["Location"] == issued.path
    assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0


def test_two_tabs_saving_their_first_draft_at_once_both_succeed(db, trajectory):
    issued = _link(trajectory, "parent")
    invitation = issued.invitation
    assert invitation.draft is None  # this tab read the link before the other tab saved
    drafts = ResponseDraft.__table__
    earlier = Answers({"q1": 1}).as_json()
    db.session.execute(
        insert(drafts).values(invitation_id=invitation.id, answers=earlier, updated_on=TODAY)
    )
    assert save_draft(invitation, Answers({"q1": 4}), TODAY) is True
    assert db.session.execute(select(drafts.c.answers)).scalars().all() == [
        {"values": {"q1": 4}, "texts": {}}
    ]


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
    assert not db.session.get(Invitation, issued.invitation.id).used


def test_value_outside_the_scale_and_unknown_items_are_refused(client, db, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders", language="fr")
    page = client.get(f"{issued.path}?lang=fr").get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), "3")
    first = radio_names(page)[0]
    data |= {first: "9", "item-verzonnen": "4", "csrf_token": csrf_in(page), "page": "0"}
    html = client.post(issued.path, data=data).get_data(as_text=True)
    assert 'lang="fr"' in html
    assert "Dit antwoord" not in html  # the French catalogue speaks, not the Dutch one
    assert not db.session.get(Invitation, issued.invitation.id).used
    assert db.session.scalar(select(func.count()).select_from(ResponseInbox)) == 0


def test_missing_csrf_token_keeps_the_answers(client, db, trajectory):
    issued = _link(trajectory, "parent", "tevredenheid-ouders")
    page = client.get(issued.path).get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), "4") | {"page": "0"}
    response = client.post(issued.path, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "verstuur je antwoorden nog een keer" in html
    assert checked_radios(html) == dict.fromkeys(radio_names(page), "4")
    assert not db.session.get(Invitation, issued.invitation.id).used


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


def test_anonymous_answers_are_published_in_batches_of_k(app, client, db, trajectory):
    threshold = app.config["ANONYMITY_THRESHOLD"]
    links = [_link(trajectory, "parent", "tevredenheid-ouders") for _ in range(threshold)]
    for number, issued in enumerate(links, start=1):
        page = client.get(issued.path).get_data(as_text=True)
        data = dict.fromkeys(radio_names(page), "3")
        client.post(issued.path, data=data | {"csrf_token": csrf_in(page), "page": "0"})
        published = db.session.scalar(select(func.count()).select_from(AnonymousResponse))
        waiting = db.session.scalar(select(func.count()).select_from(ResponseInbox))
        if number < threshold:
            assert (published, waiting) == (0, number)
    assert (published, waiting) == (threshold, 0)
    response = db.session.scalar(select(AnonymousResponse))
    assert response.school_id == trajectory.school_id
    assert response.submitted_on == TODAY
    assert response.school_year == "2025-2026"


def test_closing_a_campaign_deletes_drafts_and_publishes_what_waits(client, db, trajectory):
    from survey.campaigns.services import close_campaign

    saved = _link(trajectory, "parent")  # the paged feedbackmatrix: leaves a draft
    _answer_page(client, saved.path, action="next")
    waiting = _link(trajectory, "teacher", "tevredenheid-leraren")
    page = client.get(waiting.path).get_data(as_text=True)
    data = dict.fromkeys(radio_names(page), "4") | {"csrf_token": csrf_in(page), "page": "0"}
    client.post(waiting.path, data=data)
    assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 1
    assert db.session.scalar(select(func.count()).select_from(ResponseInbox)) == 1
    close_campaign(saved.invitation.campaign, TODAY)
    close_campaign(waiting.invitation.campaign, TODAY)
    assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0
    assert db.session.scalar(select(func.count()).select_from(ResponseInbox)) == 0
    teacher = db.session.scalar(select(AnonymousResponse))
    assert teacher.audience is Audience.TEACHER
    assert teacher.coach_id == trajectory.coaches[0].id
    assert "afgesloten" in client.get(saved.path).get_data(as_text=True)
