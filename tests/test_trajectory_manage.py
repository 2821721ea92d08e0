"""Coordinators create and edit trajectories; coordinators and the trajectory's own coaches
change its status. Someone else's trajectory is a 404, never a 500."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from survey.models import (
    CloseReason,
    DisabilityType,
    Focus,
    HoldReason,
    Level,
    ReportType,
    Role,
    Trajectory,
    TrajectoryStatus,
)
from tests.conftest import TODAY, csrf_token, login

pytestmark = pytest.mark.usefixtures("today")


@pytest.fixture
def setup(make):
    centre = make.centre(name="LSC Traject")
    school = make.school(centre, name="VBS De Linde", number="123456")
    coach = make.user(centre, Role.COACH, email="an@lsc.be")
    colleague = make.user(centre, Role.COACH, email="bert@lsc.be")
    other = make.centre(name="LSC Elders")
    other_school = make.school(other, name="School Elders")
    return {
        "centre": centre,
        "school": school,
        "coordinator": make.user(centre, Role.COORDINATOR),
        "coach": coach,
        "colleague": colleague,
        "school_user": make.user(centre, Role.SCHOOL, school=school),
        "own": make.trajectory(school, code="T-OWN", coaches=[coach], on=date(2025, 9, 15)),
        "theirs": make.trajectory(school, code="T-THEIRS", coaches=[colleague]),
        "other_coordinator": make.user(other, Role.COORDINATOR),
        "other_school": other_school,
        "elsewhere": make.trajectory(other_school, code="T-ELDERS"),
    }


def _form(setup, **overrides):
    data = {
        "code": "LSC-2026-001",
        "school": str(setup["school"].id),
        "focus": "pupil",
        "report_type": "IAC",
        "disability_type": "9",
        "level": "lager",
        "start_date": "2026-02-01",
        "coaches": [str(setup["coach"].id), str(setup["colleague"].id)],
    }
    data.update(overrides)
    return data


def _post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def _by_code(db, code):
    return db.session.scalar(select(Trajectory).where(Trajectory.code == code))


# --------------------------------------------------------------------------- create and edit


def test_coordinator_creates_a_trajectory_with_coaches(client, db, setup):
    login(client, setup["coordinator"].email)
    page = client.get("/trajectories/new").get_data(as_text=True)
    assert "Nieuw traject" in page
    assert "Nooit de naam van een leerling" in page
    assert 'value="2026-03-10"' in page  # start date defaults to today
    assert "School Elders" not in page  # only the own centre's schools
    response = _post(client, "/trajectories/new", _form(setup))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/trajectories/LSC-2026-001")
    trajectory = _by_code(db, "LSC-2026-001")
    assert trajectory.status is TrajectoryStatus.REQUESTED
    assert trajectory.report_type is ReportType.IAC
    assert trajectory.disability_type is DisabilityType.TYPE_9
    assert trajectory.start_date == date(2026, 2, 1)
    assert {c.email for c in trajectory.coaches} == {"an@lsc.be", "bert@lsc.be"}
    assert [h.to_status for h in trajectory.history] == [TrajectoryStatus.REQUESTED]
    assert trajectory.history[0].changed_by_id == setup["coordinator"].id
    detail = client.get("/trajectories/LSC-2026-001").get_data(as_text=True)
    assert "Traject LSC-2026-001 aangemaakt." in detail


def test_team_focus_with_a_report_is_refused_and_the_form_keeps_everything(client, db, setup):
    login(client, setup["coordinator"].email)
    response = _post(client, "/trajectories/new", _form(setup, focus="team", report_type="GC"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Teamgerichte ondersteuning heeft geen verslag: laat het verslag leeg." in page
    assert "Het traject is niet bewaard." in page
    assert 'value="LSC-2026-001"' in page
    assert '<option selected value="team">' in page
    assert '<option selected value="GC">' in page
    assert 'value="2026-02-01"' in page
    for coach in (setup["coach"], setup["colleague"]):
        assert re.search(rf'<input checked [^>]*value="{coach.id}"', page)
    assert _by_code(db, "LSC-2026-001") is None


def test_pupil_focus_needs_a_report(client, db, setup):
    login(client, setup["coordinator"].email)
    page = _post(client, "/trajectories/new", _form(setup, report_type="")).get_data(as_text=True)
    assert "Kies het verslag (GC, IAC of OV4)" in page
    assert _by_code(db, "LSC-2026-001") is None


def test_team_focus_without_report_is_saved(client, db, setup):
    login(client, setup["coordinator"].email)
    response = _post(client, "/trajectories/new", _form(setup, focus="team", report_type=""))
    assert response.status_code == 302
    trajectory = _by_code(db, "LSC-2026-001")
    assert trajectory.focus is Focus.TEAM
    assert trajectory.report_type is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("Jan Peeters", "nooit de naam van een leerling"),
        ("new", "nooit de naam van een leerling"),
        ("", "Vul de code van het traject in."),
        ("T-THEIRS", "Dit centrum heeft al een traject met code T-THEIRS."),
    ],
)
def test_bad_or_taken_codes_are_refused(client, db, setup, code, message):
    login(client, setup["coordinator"].email)
    before = db.session.query(Trajectory).count()
    page = _post(client, "/trajectories/new", _form(setup, code=code)).get_data(as_text=True)
    assert message in page
    assert db.session.query(Trajectory).count() == before


def test_a_code_of_another_centre_may_be_reused(client, db, setup):
    login(client, setup["coordinator"].email)
    assert _post(client, "/trajectories/new", _form(setup, code="T-ELDERS")).status_code == 302


def test_another_centres_school_or_a_non_coach_cannot_be_posted(client, db, setup):
    login(client, setup["coordinator"].email)
    response = _post(client, "/trajectories/new", _form(setup, school=setup["other_school"].id))
    assert response.status_code == 200
    response = _post(
        client, "/trajectories/new", _form(setup, coaches=[str(setup["coordinator"].id)])
    )
    assert response.status_code == 200
    assert _by_code(db, "LSC-2026-001") is None


def test_coordinator_edits_a_trajectory(client, db, setup):
    login(client, setup["coordinator"].email)
    page = client.get("/trajectories/T-OWN/edit").get_data(as_text=True)
    assert "Traject T-OWN bewerken" in page
    assert 'value="T-OWN"' in page
    data = _form(
        setup, code="T-OWN-2", level="secundair", report_type="OV4", coaches=[setup["colleague"].id]
    )
    response = _post(client, "/trajectories/T-OWN/edit", data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/trajectories/T-OWN-2")
    trajectory = _by_code(db, "T-OWN-2")
    assert trajectory.level is Level.SECUNDAIR
    assert trajectory.report_type is ReportType.OV4
    assert [c.email for c in trajectory.coaches] == ["bert@lsc.be"]
    assert trajectory.status is TrajectoryStatus.REQUESTED


def test_edit_refuses_the_code_of_another_trajectory(client, db, setup):
    login(client, setup["coordinator"].email)
    page = _post(client, "/trajectories/T-OWN/edit", _form(setup, code="T-THEIRS"))
    assert "Dit centrum heeft al een traject met code T-THEIRS." in page.get_data(as_text=True)
    assert _by_code(db, "T-OWN") is not None


def test_edit_and_create_are_for_coordinators_only(client, setup):
    login(client, setup["coach"].email)
    assert client.get("/trajectories/new").status_code == 403
    assert client.get("/trajectories/T-OWN/edit").status_code == 403
    assert "Nieuw traject" not in client.get("/trajectories/").get_data(as_text=True)


def test_another_centres_trajectory_is_not_found(client, setup):
    login(client, setup["other_coordinator"].email)
    assert client.get("/trajectories/T-OWN/edit").status_code == 404
    assert client.get("/trajectories/T-OWN/status").status_code == 404
    token = csrf_token(client, "/trajectories/new")
    response = client.post(
        "/trajectories/T-OWN/status",
        data={"csrf_token": token, "status": "active", "changed_on": "2026-03-10"},
    )
    assert response.status_code == 404


def test_the_list_links_to_new_and_import_for_coordinators(client, setup):
    login(client, setup["coordinator"].email)
    page = client.get("/trajectories/").get_data(as_text=True)
    assert 'href="/trajectories/new"' in page
    assert 'href="/trajectories/import"' in page


# --------------------------------------------------------------------------- status


def _status(client, code, **data):
    path = f"/trajectories/{code}/status"
    return _post(client, path, {"changed_on": "2026-03-10", **data})


def test_own_coach_activates_and_puts_on_hold(client, db, setup):
    login(client, setup["coach"].email)
    page = client.get("/trajectories/T-OWN/status").get_data(as_text=True)
    assert "Status van T-OWN wijzigen" in page
    assert 'value="active"' in page
    assert 'value="on_hold"' not in page  # not allowed from "requested"
    assert 'value="2026-03-10"' in page
    response = _status(client, "T-OWN", status="active", changed_on="2026-01-05")
    assert response.status_code == 302
    response = _status(
        client, "T-OWN", status="on_hold", hold_reason="school_takes_over", note=" via zoco "
    )
    assert response.status_code == 302
    trajectory = _by_code(db, "T-OWN")
    assert trajectory.status is TrajectoryStatus.ON_HOLD
    assert trajectory.hold_reason is HoldReason.SCHOOL_TAKES_OVER
    assert trajectory.status_since == TODAY
    assert [h.to_status.value for h in trajectory.history] == ["requested", "active", "on_hold"]
    assert trajectory.history[-1].note == "via zoco"
    assert trajectory.history[-1].changed_by_id == setup["coach"].id
    detail = client.get("/trajectories/T-OWN").get_data(as_text=True)
    assert "Status van T-OWN gewijzigd naar On hold." in detail


def test_a_coach_gets_404_for_a_colleagues_trajectory(client, db, setup):
    login(client, setup["coach"].email)
    assert client.get("/trajectories/T-THEIRS/status").status_code == 404
    assert _status(client, "T-THEIRS", status="active").status_code == 404
    assert _by_code(db, "T-THEIRS").status is TrajectoryStatus.REQUESTED


def test_school_users_cannot_change_status(client, setup):
    login(client, setup["school_user"].email)
    assert client.get("/trajectories/T-OWN/status").status_code == 403


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "on_hold"}, "Kies waarom de leersteun on hold gaat."),
        (
            {"status": "on_hold", "hold_reason": "other", "note": "  "},
            "Licht de reden “andere” toe in een notitie.",
        ),
        ({"status": "closed"}, "Kies waarom het traject afgesloten wordt."),
        (
            {"status": "closed", "close_reason": "goals_reached", "changed_on": "2026-03-11"},
            "De datum kan niet in de toekomst liggen.",
        ),
        (
            {"status": "closed", "close_reason": "goals_reached", "changed_on": "2026-01-01"},
            "De datum kan niet voor de vorige statuswijziging liggen",
        ),
        ({"status": "requested"}, "Ongeldige keuze."),  # not an offered choice
        ({}, "Kies de nieuwe status."),
        ({"status": "on_hold", "hold_reason": "nonsense"}, "De status is niet gewijzigd."),
        ({"status": "on_hold", "changed_on": "31/02/2026"}, "De status is niet gewijzigd."),
    ],
)
def test_status_problems_are_form_errors(client, db, setup, data, message):
    trajectory = setup["own"]
    trajectory.change_status(TrajectoryStatus.ACTIVE, on=date(2026, 2, 1))
    db.session.flush()
    login(client, setup["coordinator"].email)
    response = _status(client, "T-OWN", **data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert _by_code(db, "T-OWN").status is TrajectoryStatus.ACTIVE
    assert len(_by_code(db, "T-OWN").history) == 2


def test_other_reason_with_a_note_is_recorded(client, db, setup):
    login(client, setup["coordinator"].email)
    _status(client, "T-OWN", status="active", changed_on="2026-03-01")
    response = _status(
        client, "T-OWN", status="closed", close_reason="other", note="Verhuisd naar Wallonië"
    )
    assert response.status_code == 302
    trajectory = _by_code(db, "T-OWN")
    assert trajectory.status is TrajectoryStatus.CLOSED
    assert trajectory.status_note == "Verhuisd naar Wallonië"


def test_a_closed_trajectory_offers_nothing_and_posting_changes_nothing(client, db, setup):
    setup["own"].change_status(
        TrajectoryStatus.CLOSED, on=date(2026, 1, 1), close_reason=CloseReason.GOALS_REACHED
    )
    db.session.flush()
    login(client, setup["coach"].email)
    page = client.get("/trajectories/T-OWN/status").get_data(as_text=True)
    assert "Een afgesloten traject blijft afgesloten." in page
    response = _status(client, "T-OWN", status="active")
    assert response.status_code == 200
    assert _by_code(db, "T-OWN").status is TrajectoryStatus.CLOSED


def test_status_post_without_csrf_is_refused(client, db, setup):
    login(client, setup["coordinator"].email)
    response = client.post("/trajectories/T-OWN/status", data={"status": "active"})
    assert response.status_code == 400
    assert _by_code(db, "T-OWN").status is TrajectoryStatus.REQUESTED
