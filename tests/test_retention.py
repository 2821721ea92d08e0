"""``klankbord purge``: each period's edge, dry runs, one transaction, the counts reported.

With the defaults and TODAY = 2026-03-10 the first kept school year is 2023-2024, and the first
kept days are 2024-03-10 (feedbackmatrix after closing, audit log), 2026-02-08 (drafts) and
2025-12-10 (invitations and spent links after their campaign ended). Every kind gets a row on
each side. The anonymous rows in transit (sealed drafts, spent links, sealed waiting answers)
are written through survey.privacy, their one writer, as a respondent's request writes them.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select

from survey.campaigns.services import create_campaign, questionnaire_of
from survey.config import settings_from_env
from survey.extensions import db as _db
from survey.models import (
    AnonymousAnswer,
    AnonymousComment,
    AnonymousResponse,
    Audience,
    AuditEntry,
    Campaign,
    CloseReason,
    Invitation,
    MatrixAnswer,
    MatrixComment,
    MatrixResponse,
    PasswordToken,
    TrajectoryStatus,
)
from survey.models.base import utcnow
from survey.privacy.drafts import save_draft
from survey.privacy.inbox import deposit
from survey.privacy.models import ResponseDraft, ResponseInbox, SpentLink
from survey.privacy.sealing import MIN_BUCKET
from survey.privacy.spending import spend
from survey.privacy.tokens import new_link, read_link, seal_link
from survey.questionnaire_versions.services import current_version
from survey.retention import services
from survey.retention.services import Kind, RetentionPolicy, purge

pytestmark = pytest.mark.usefixtures("today")

MATRIX_EDGE = date(2024, 3, 10)  # TODAY - 730 days
DRAFT_EDGE = date(2026, 2, 8)  # TODAY - 30 days
INVITATION_EDGE = date(2025, 12, 10)  # TODAY - 90 days
AUDIT_EDGE = datetime(2024, 3, 10)  # TODAY - 730 days, at midnight
DAY = timedelta(days=1)
WAITING_MESSAGE = (
    "{count} anoniem(e) antwoord(en) van afgelopen bevragingen wachten op een groep van "
    "minstens 5; ze worden bewaard, niet gepubliceerd."
)


@dataclass(frozen=True)
class Ref:
    """A row written through survey.privacy with Core statements: its table and key."""

    model: type
    key: object


class World:
    """Rows just outside (``gone``) and just inside (``kept``) each period."""

    def __init__(self) -> None:
        self.gone: dict[Kind, list[object]] = {kind: [] for kind in Kind}
        self.kept: dict[Kind, list[object]] = {kind: [] for kind in Kind}
        self.erased_email: Invitation | None = None
        # Waiting answers of an ended campaign: the one kept is reported, the other goes.
        self.waiting: Ref | None = None
        self.expired_waiting: Ref | None = None

    def expected_counts(self) -> dict[Kind, int]:
        counts = {kind: len(rows) for kind, rows in self.gone.items()}
        counts[Kind.EMAIL_ADDRESSES] = 1
        return counts


def _anonymous(db, centre, school_year: str) -> AnonymousResponse:
    response = AnonymousResponse(
        questionnaire_version_id=current_version("tevredenheid-ouders").id,
        centre_id=centre.id,
        school_year=school_year,
        audience=Audience.PARENT,
        published_on=date(int(school_year[:4]), 10, 1),
    )
    response.answers = [AnonymousAnswer(item_id="q1", value=4)]
    response.comments = [AnonymousComment(question_id="open1", text="Fijne begeleiding")]
    db.session.add(response)
    return response


def _closed_trajectory(make, school, closed_on: date):
    trajectory = make.trajectory(school, on=date(2023, 9, 1))
    trajectory.change_status(
        TrajectoryStatus.CLOSED, on=closed_on, close_reason=CloseReason.GOALS_REACHED
    )
    return trajectory


def _matrix(db, trajectory) -> MatrixResponse:
    response = MatrixResponse(
        questionnaire_version_id=current_version("feedbackmatrix").id,
        centre_id=trajectory.centre_id,
        trajectory_id=trajectory.id,
        role=Audience.PARENT,
        submitted_on=date(2023, 10, 1),
    )
    response.answers = [MatrixAnswer(item_id="q1", value=3)]
    response.comments = [MatrixComment(question_id="open1", text="Goed samengewerkt")]
    db.session.add(response)
    return response


def _campaign(centre, ended_on: date, *, school=None, trajectory=None) -> Campaign:
    """A campaign that ran from 2023-05-01 and was closed on ``ended_on``."""
    campaign = create_campaign(
        centre=centre,
        questionnaire_id="feedbackmatrix" if trajectory else "tevredenheid-ouders",
        audiences=[Audience.PARENT],
        opens_on=date(2023, 5, 1),
        closes_on=max(ended_on, date(2023, 6, 30)),
        school=school,
        trajectory=trajectory,
    )
    campaign.close(on=ended_on)
    return campaign


def _invitation(db, campaign, created_on: date, email: str | None = None) -> Invitation:
    invitation = Invitation(
        campaign=campaign,
        audience=Audience.PARENT,
        created_on=created_on,
        email=email,
        sealed_link=seal_link(new_link(campaign.id, Audience.PARENT)) if email else None,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


def _link(campaign):
    return read_link(new_link(campaign.id, Audience.PARENT))


def _draft(campaign, updated_on: date) -> Ref:
    link = _link(campaign)
    assert save_draft(link, {"values": {"q1": 2}, "texts": {}}, updated_on, MIN_BUCKET)
    return Ref(ResponseDraft, link.draft_id)


def _spent(campaign) -> Ref:
    link = _link(campaign)
    assert spend(link)
    return Ref(SpentLink, link.nullifier)


def _waiting(campaign, answered_on: date) -> Ref:
    """An answer sealed into the inbox on ``answered_on`` (its school year is that day's)."""
    before = set(_db.session.scalars(select(ResponseInbox.id)))
    deposit(campaign, questionnaire_of(campaign), Audience.PARENT, {"q1": 4}, {}, answered_on)
    [new] = set(_db.session.scalars(select(ResponseInbox.id))) - before
    return Ref(ResponseInbox, new)


@pytest.fixture
def world(db, make) -> World:
    w = World()
    centre = make.centre()
    school = make.school(centre)

    # Anonymous answers: 2022-2023 goes, 2023-2024 (two school years back) stays.
    w.gone[Kind.ANONYMOUS_RESPONSES].append(_anonymous(db, centre, "2022-2023"))
    w.kept[Kind.ANONYMOUS_RESPONSES].append(_anonymous(db, centre, "2023-2024"))
    w.kept[Kind.ANONYMOUS_RESPONSES].append(_anonymous(db, centre, "2025-2026"))

    # Feedbackmatrix answers: by the day their trajectory closed; open trajectories keep all.
    closed_long_ago = _closed_trajectory(make, school, MATRIX_EDGE - DAY)
    closed_on_edge = _closed_trajectory(make, school, MATRIX_EDGE)
    still_open = make.trajectory(school, on=date(2023, 9, 1))
    w.gone[Kind.MATRIX_RESPONSES].append(_matrix(db, closed_long_ago))
    w.kept[Kind.MATRIX_RESPONSES].append(_matrix(db, closed_on_edge))
    w.kept[Kind.MATRIX_RESPONSES].append(_matrix(db, still_open))

    # Drafts of a running campaign: by the day they were last saved.
    running = create_campaign(
        centre=centre,
        questionnaire_id="tevredenheid-ouders",
        audiences=[Audience.PARENT],
        opens_on=date(2026, 1, 5),
        closes_on=date(2026, 6, 30),
        school=school,
    )
    w.kept[Kind.INVITATIONS].append(_invitation(db, running, date(2026, 1, 5)))
    w.gone[Kind.DRAFTS].append(_draft(running, DRAFT_EDGE - DAY))
    w.kept[Kind.DRAFTS].append(_draft(running, DRAFT_EDGE))
    # A running campaign's spent links guard its links: they stay.
    w.kept[Kind.SPENT_LINKS].append(_spent(running))

    # Invitations of a satisfaction campaign of 2022-2023: by the day the campaign ended.
    old_survey = _campaign(centre, INVITATION_EDGE - DAY, school=school)
    w.gone[Kind.INVITATIONS].append(_invitation(db, old_survey, date(2023, 5, 1)))
    # Its draft goes with its campaign, although it was saved recently; so do its spent links.
    w.gone[Kind.DRAFTS].append(_draft(old_survey, date(2026, 3, 1)))
    w.gone[Kind.SPENT_LINKS].append(_spent(old_survey))
    ended_on_edge = _campaign(centre, INVITATION_EDGE, school=school)
    w.kept[Kind.INVITATIONS].append(_invitation(db, ended_on_edge, date(2023, 5, 1)))
    w.kept[Kind.DRAFTS].append(_draft(ended_on_edge, date(2026, 3, 1)))
    w.kept[Kind.SPENT_LINKS].append(_spent(ended_on_edge))
    # 2023-2024 is still in the report, whose response rate counts this invitation: it stays,
    # without the address a campaign that was never closed properly still held.
    counted = _campaign(centre, INVITATION_EDGE - DAY, school=school)
    w.erased_email = _invitation(db, counted, date(2023, 9, 1), email="ouder@example.org")
    w.kept[Kind.INVITATIONS].append(w.erased_email)
    # Feedbackmatrix rounds: invited counts go with the trajectory's matrix answers.
    w.gone[Kind.INVITATIONS].append(
        _invitation(
            db,
            _campaign(centre, INVITATION_EDGE - DAY, trajectory=closed_long_ago),
            date(2023, 5, 1),
        )
    )
    w.kept[Kind.INVITATIONS].append(
        _invitation(
            db,
            _campaign(centre, INVITATION_EDGE - DAY, trajectory=closed_on_edge),
            date(2023, 5, 1),
        )
    )

    # Answers of an ended campaign that never joined a batch of k: one of a school year that
    # is still kept waits (reported, not deleted, not published); one of a school year past
    # retention can never be shown and goes like the published answers of that year.
    w.waiting = _waiting(old_survey, date(2023, 10, 2))
    w.kept[Kind.ANONYMOUS_RESPONSES].append(w.waiting)
    w.expired_waiting = _waiting(old_survey, date(2023, 5, 2))
    w.gone[Kind.ANONYMOUS_RESPONSES].append(w.expired_waiting)
    # One waiting in a running campaign: kept, and not reported (it can still reach k).
    w.kept[Kind.ANONYMOUS_RESPONSES].append(_waiting(running, date(2026, 3, 2)))

    for at, side in ((AUDIT_EDGE - timedelta(minutes=1), w.gone), (AUDIT_EDGE, w.kept)):
        entry = AuditEntry(at=at, centre_id=centre.id, action="view_matrix")
        db.session.add(entry)
        side[Kind.AUDIT_ENTRIES].append(entry)

    # Password links: expired ones go, used or not; a used one waits for its expiry.
    user = make.user(centre)
    now = utcnow()
    for expires_at, used, side in (
        (now - timedelta(days=1), False, w.gone),
        (now - timedelta(days=1), True, w.gone),
        (now + timedelta(days=1), True, w.kept),
        (now + timedelta(days=1), False, w.kept),
    ):
        token = PasswordToken(
            user=user, token_hash=secrets.token_hex(32), expires_at=expires_at, used=used
        )
        db.session.add(token)
        side[Kind.ACCOUNT_LINKS].append(token)
    # Committed (into the test's outer transaction), so a dry run's rollback keeps it.
    db.session.commit()
    return w


def _key(row: object) -> tuple[type, object]:
    if isinstance(row, Ref):
        return row.model, row.key
    return type(row), row.id


def _identities(world: World) -> dict[str, list[tuple[type, object]]]:
    # Taken before the purge: rows it deletes can no longer be asked for their keys.
    return {
        side: [_key(row) for rows in rows_by_kind.values() for row in rows]
        for side, rows_by_kind in (("gone", world.gone), ("kept", world.kept))
    }


def _present(db, model: type, key: object) -> bool:
    [column] = inspect(model).primary_key
    return db.session.scalar(select(func.count()).select_from(model).where(column == key)) == 1


def _reported_counts(output: str) -> list[int]:
    return [int(number) for number in re.findall(r"(\d+)$", output, flags=re.MULTILINE)]


def test_dry_run_reports_the_counts_and_deletes_nothing(runner, db, world):
    identities = _identities(world)
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    expected = world.expected_counts()
    assert _reported_counts(result.stdout) == [expected[kind] for kind in Kind]
    for model, key in identities["gone"] + identities["kept"]:
        assert _present(db, model, key), (model.__name__, key)
    assert db.session.get(Invitation, world.erased_email.id).email == "ouder@example.org"
    assert WAITING_MESSAGE.format(count=1) in result.stdout


def test_purge_deletes_exactly_the_rows_past_their_period(runner, db, world):
    identities = _identities(world)
    gone_responses = [
        row.id for row in world.gone[Kind.ANONYMOUS_RESPONSES] if not isinstance(row, Ref)
    ]
    gone_matrix = [row.id for row in world.gone[Kind.MATRIX_RESPONSES]]
    erased, waiting, expired = world.erased_email.id, world.waiting, world.expired_waiting

    result = runner.invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    expected = world.expected_counts()
    assert _reported_counts(result.stdout) == [expected[kind] for kind in Kind]
    for model, key in identities["gone"]:
        assert not _present(db, model, key), (model.__name__, key)
    for model, key in identities["kept"]:
        assert _present(db, model, key), (model.__name__, key)
    # Answers and comments went with their responses, and only with them.
    for child, parents in (
        (AnonymousAnswer, gone_responses),
        (AnonymousComment, gone_responses),
        (MatrixAnswer, gone_matrix),
        (MatrixComment, gone_matrix),
    ):
        assert (
            db.session.scalar(
                select(func.count()).select_from(child).where(child.response_id.in_(parents))
            )
            == 0
        )
        assert db.session.scalar(select(func.count()).select_from(child)) >= 2
    assert db.session.get(Invitation, erased).email is None
    # The answer still waiting for a batch of k is kept, sealed and unpublished, and the
    # operator is told so. No command publishes it below k any more (publish-responses --all
    # is gone), so nothing tells the operator to.
    assert _present(db, ResponseInbox, waiting.key)
    assert not _present(db, ResponseInbox, expired.key)
    assert WAITING_MESSAGE.format(count=1) in result.stdout
    assert "publish-responses" not in result.output
    assert db.session.scalar(select(func.count()).select_from(AnonymousResponse)) == len(
        [row for row in world.kept[Kind.ANONYMOUS_RESPONSES] if not isinstance(row, Ref)]
    )
    # A second run finds nothing left to do.
    again = runner.invoke(args=["purge", "--dry-run"])
    assert _reported_counts(again.stdout) == [0] * len(Kind)


def test_a_failing_purge_deletes_nothing(runner, db, world, monkeypatch):
    identities = _identities(world)
    real_delete = services._delete

    def fail_on_password_tokens(model, *args, **kwargs):
        if model is PasswordToken:  # the last kind: everything before it is already deleted
            raise RuntimeError("disk full")
        return real_delete(model, *args, **kwargs)

    monkeypatch.setattr(services, "_delete", fail_on_password_tokens)
    result = runner.invoke(args=["purge"])
    assert isinstance(result.exception, RuntimeError)
    for model, key in identities["gone"]:
        assert _present(db, model, key), (model.__name__, key)


def test_periods_come_from_the_configuration(app, db, world, today):
    policy = RetentionPolicy.from_config(
        {**app.config, "RETENTION_ANONYMOUS_SCHOOL_YEARS": 2, "RETENTION_DRAFT_DAYS": 10}
    )
    outcome = purge(policy, today, utcnow(), dry_run=True)
    assert outcome.cutoffs.school_year == "2024-2025"
    # 2022-2023 and 2023-2024 now, published and waiting alike (the running campaign's one
    # waiting answer is of 2025-2026), and both drafts of the running campaign.
    assert outcome.counts[Kind.ANONYMOUS_RESPONSES] == 4
    assert outcome.counts[Kind.DRAFTS] == 3
    # The purge itself deletes what its dry run counted; no answer of an ended campaign is
    # left waiting, both of the old survey's being past the shorter retention.
    done = purge(policy, today, utcnow(), dry_run=False)
    assert done.counts == outcome.counts
    assert done.waiting_in_inbox == outcome.waiting_in_inbox == 0


def test_a_dry_run_reports_the_waiting_answers_the_purge_keeps(app, db, world, today):
    # Not the one past retention that the purge would delete: that one is not "kept".
    policy = RetentionPolicy.from_config(app.config)
    dry = purge(policy, today, utcnow(), dry_run=True)
    assert dry.waiting_in_inbox == 1


def test_the_purge_erases_the_sealed_link_with_the_address(runner, db, world):
    # The e-mailed link is kept sealed only for the reminder: once the address goes, so does it.
    erased = world.erased_email.id
    assert db.session.get(Invitation, erased).sealed_link is not None
    assert runner.invoke(args=["purge"]).exit_code == 0
    db.session.expire_all()
    invitation = db.session.get(Invitation, erased)
    assert invitation.email is None
    assert invitation.sealed_link is None


def test_retention_settings_are_read_from_the_environment(monkeypatch, tmp_path):
    defaults = settings_from_env(tmp_path)
    assert defaults["RETENTION_ANONYMOUS_SCHOOL_YEARS"] == 3
    assert defaults["RETENTION_MATRIX_DAYS"] == 730
    assert defaults["RETENTION_DRAFT_DAYS"] == 30
    assert defaults["RETENTION_INVITATION_DAYS"] == 90
    assert defaults["RETENTION_AUDIT_DAYS"] == 730
    monkeypatch.setenv("KLANKBORD_RETENTION_AUDIT_DAYS", "365")
    assert settings_from_env(tmp_path)["RETENTION_AUDIT_DAYS"] == 365
    # One school year would leave the council report nothing to compare with.
    monkeypatch.setenv("KLANKBORD_RETENTION_ANONYMOUS_SCHOOL_YEARS", "1")
    with pytest.raises(RuntimeError, match="KLANKBORD_RETENTION_ANONYMOUS_SCHOOL_YEARS"):
        settings_from_env(tmp_path)


def test_school_year_cutoff_follows_the_calendar():
    policy = RetentionPolicy(3, 730, 30, 90, 730)
    now = datetime(2026, 1, 1)
    # 31 August still belongs to 2025-2026; 1 September starts 2026-2027.
    assert services.Cutoffs.compute(policy, date(2026, 8, 31), now).school_year == "2023-2024"
    assert services.Cutoffs.compute(policy, date(2026, 9, 1), now).school_year == "2024-2025"
