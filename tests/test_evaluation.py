"""The coach's cycle: workspace, feedbackmatrix view, asking for feedback, goals, evaluation."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from survey.campaigns.services import campaign_for_trajectory
from survey.models import (
    Audience,
    AuditEntry,
    Decision,
    Evaluation,
    Goal,
    HoldReason,
    Invitation,
    MatrixAnswer,
    MatrixResponse,
    Role,
    TrajectoryStatus,
)
from tests.conftest import TODAY, csrf_token, login

pytestmark = pytest.mark.usefixtures("today")


@pytest.fixture
def cycle(make, db):
    centre = make.centre(name="LSC Cyclus")
    school = make.school(centre, name="BS De Bron")
    coach = make.user(centre, Role.COACH)
    other_coach = make.user(centre, Role.COACH)
    trajectory = make.trajectory(school, code="CYC-1", coaches=[coach], on=date(2025, 9, 1))
    trajectory.change_status(TrajectoryStatus.ACTIVE, on=date(2025, 9, 15))
    make.trajectory(school, code="CYC-2", coaches=[other_coach])
    campaign = campaign_for_trajectory(trajectory, Audience.PARENT, TODAY)
    # A parent rates everything 1, the coach everything 4: every theme diverges.
    for role, value in ((Audience.PARENT, 1), (Audience.COACH, 4)):
        response = MatrixResponse(
            questionnaire_version_id=campaign.questionnaire_version_id,
            centre_id=centre.id,
            trajectory_id=trajectory.id,
            role=role,
            campaign_id=campaign.id,
            submitted_on=TODAY,
        )
        response.answers = [MatrixAnswer(item_id=item, value=value) for item in ITEMS]
        db.session.add(response)
    db.session.flush()
    return {
        "coach": coach,
        "trajectory": trajectory,
        "coordinator": make.user(centre, Role.COORDINATOR),
    }


ITEMS = [
    "opdracht-richting",
    "rollen-duidelijk",
    "doelen-gekend",
    "doelen-concreet",
]


@pytest.fixture(autouse=True)
def _items(db):
    """Use real item ids of the current feedbackmatrix."""
    from questionnaires import load_builtin

    ITEMS[:] = [item.id for item in load_builtin()["feedbackmatrix"].items]


def test_workspace_lists_own_trajectories_with_status_and_signals(client, cycle):
    login(client, cycle["coach"].email)
    page = client.get("/home").get_data(as_text=True)
    assert "CYC-1" in page
    assert "CYC-2" not in page
    assert "Mijn trajecten" in page
    assert "perspectieven verschillen" in page


def test_matrix_shows_divergence_by_role_and_is_audited(client, db, cycle):
    login(client, cycle["coach"].email)
    page = client.get("/trajectories/CYC-1/matrix").get_data(as_text=True)
    assert page.count("verschillen") >= 9
    assert "1,0" in page
    assert "4,0" in page
    assert 'src="data:image/svg+xml;base64,' in page
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "view_matrix"
    assert entry.user_id == cycle["coach"].id


def test_other_coach_gets_404_everywhere(app, client, cycle, make):
    stranger = make.user(cycle["coach"].centre, Role.COACH)
    login(client, stranger.email)
    for path in (
        "/trajectories/CYC-1",
        "/trajectories/CYC-1/matrix",
        "/trajectories/CYC-1/ask-feedback",
        "/trajectories/CYC-1/goals/new",
        "/trajectories/CYC-1/evaluations/new",
    ):
        assert client.get(path).status_code == 404, path


def test_ask_for_feedback_makes_links_per_role(client, db, cycle):
    login(client, cycle["coach"].email)
    token = csrf_token(client, "/trajectories/CYC-1/ask-feedback")
    page = client.post(
        "/trajectories/CYC-1/ask-feedback",
        data={
            "csrf_token": token,
            "roles": ["parent", "teacher"],
            "parents": "2",
            "language": "nl",
            "links": "1",
        },
    ).get_data(as_text=True)
    assert len(re.findall(r"<code>http[^<]+/r/[^<]+</code>", page)) == 3
    audiences = sorted(i.audience.value for i in db.session.scalars(select(Invitation)))
    assert audiences == ["parent", "parent", "teacher"]
    letters = client.post(
        "/trajectories/CYC-1/ask-feedback",
        data={
            "csrf_token": token,
            "roles": ["pupil"],
            "parents": "1",
            "language": "fr",
            "letters": "1",
        },
    )
    assert letters.mimetype == "application/pdf"


def _evaluate(client, goal_id, **extra):
    token = csrf_token(client, "/trajectories/CYC-1/evaluations/new")
    data = {
        "csrf_token": token,
        "held_on": "2026-03-10",
        "participants": ["parent", "teacher", "coach"],
        f"goal-{goal_id}": "partly",
        f"evidence-{goal_id}": "Vraagt twee keer per les hulp met het kaartje.",
        "pupil_participates": "partly",
        "teacher_has_questions": "no",
        "can_reduce": "yes",
        "must_intensify": "no",
        "adjustments": "Minder klasbezoeken, maandelijks overleg.",
    }
    data.update(extra)
    return client.post("/trajectories/CYC-1/evaluations/new", data=data)


def test_goal_then_evaluation_puts_the_trajectory_on_hold(client, db, cycle):
    login(client, cycle["coach"].email)
    token = csrf_token(client, "/trajectories/CYC-1/goals/new")
    response = client.post(
        "/trajectories/CYC-1/goals/new",
        data={
            "csrf_token": token,
            "target": "pupil",
            "description": "Emma vraagt zelf hulp als ze de opdracht niet begrijpt.",
            "success_criterion": "Ze gebruikt het hulpkaartje in elke les.",
        },
    )
    assert response.status_code == 302
    goal = db.session.scalar(select(Goal))
    missing = _evaluate(client, goal.id, decision="on_hold")
    assert missing.status_code == 200
    assert "Kies waarom de leersteun on hold gaat." in missing.get_data(as_text=True)
    assert db.session.scalar(select(Evaluation)) is None
    done = _evaluate(client, goal.id, decision="on_hold", hold_reason="school_takes_over")
    assert done.status_code == 302
    evaluation = db.session.scalar(select(Evaluation))
    assert evaluation.decision is Decision.ON_HOLD
    assert evaluation.goal_results[0].progress.value == "partly"
    assert evaluation.feedback_snapshot["matrix"]["divergent"]
    trajectory = cycle["trajectory"]
    db.session.refresh(trajectory)
    assert trajectory.status is TrajectoryStatus.ON_HOLD
    assert trajectory.hold_reason is HoldReason.SCHOOL_TAKES_OVER
    record = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Evaluatieverslag" in record
    assert "School neemt zorg over" in record
    assert "record.css" in record
    pdf = client.get(done.headers["Location"] + ".pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-3:] == ["record_evaluation", "view_evaluation", "print_evaluation"]


def test_continuing_needs_a_next_evaluation_date(client, db, cycle):
    login(client, cycle["coach"].email)
    response = _evaluate(client, 0, decision="continue")
    assert "Plan de volgende evaluatie." in response.get_data(as_text=True)
    done = _evaluate(client, 0, decision="continue", next_evaluation_on="2026-06-10")
    assert done.status_code == 302
    page = client.get("/trajectories/CYC-1").get_data(as_text=True)
    assert "10 jun 2026" in page


def test_snapshot_hides_satisfaction_groups_below_k(client, db, cycle):
    login(client, cycle["coach"].email)
    _evaluate(client, 0, decision="continue", next_evaluation_on="2026-06-10")
    signals = db.session.scalar(select(Evaluation)).feedback_snapshot["signals"]
    assert signals
    assert all(not s["shown"] and "share" not in s for s in signals)
