"""Every staff query is scoped: centres cannot see each other, coaches only their own."""

from __future__ import annotations

import pytest

from survey.models import Role
from tests.conftest import login


@pytest.fixture
def two_centres(make):
    a, b = make.centre(name="LSC Aa"), make.centre(name="LSC Bee")
    school_a = make.school(a, name="School van A")
    school_b = make.school(b, name="School van B")
    coach_a1 = make.user(a, Role.COACH)
    coach_a2 = make.user(a, Role.COACH)
    return {
        "coordinator_a": make.user(a, Role.COORDINATOR),
        "coordinator_b": make.user(b, Role.COORDINATOR),
        "coach_a1": coach_a1,
        "coach_a2": coach_a2,
        "school_user_a": make.user(a, Role.SCHOOL, school=school_a),
        "own": make.trajectory(school_a, code="SAME-001", coaches=[coach_a1]),
        "colleague": make.trajectory(school_a, code="A-002", coaches=[coach_a2]),
        "other_centre": make.trajectory(school_b, code="B-ONLY"),
        "same_code_b": make.trajectory(school_b, code="SAME-001"),
    }


def test_coordinator_of_a_cannot_reach_centre_b(client, two_centres):
    login(client, two_centres["coordinator_a"].email)
    assert client.get("/trajectories/B-ONLY").status_code == 404
    page = client.get("/trajectories/SAME-001").get_data(as_text=True)
    assert "School van A" in page
    assert "School van B" not in page
    listing = client.get("/trajectories/").get_data(as_text=True)
    assert "A-002" in listing
    assert "B-ONLY" not in listing
    home = client.get("/home").get_data(as_text=True)
    assert "LSC Aa" in home
    assert "LSC Bee" not in home


def test_coordinator_of_b_sees_only_b(client, two_centres):
    login(client, two_centres["coordinator_b"].email)
    assert client.get("/trajectories/A-002").status_code == 404
    assert "School van B" in client.get("/trajectories/SAME-001").get_data(as_text=True)


def test_coach_sees_own_trajectory_and_gets_404_for_a_colleagues(client, two_centres):
    login(client, two_centres["coach_a1"].email)
    assert client.get("/trajectories/SAME-001").status_code == 200
    assert client.get("/trajectories/A-002").status_code == 404
    home = client.get("/home").get_data(as_text=True)
    assert "SAME-001" in home
    assert "A-002" not in home


def test_school_user_cannot_open_trajectories(client, two_centres):
    login(client, two_centres["school_user_a"].email)
    assert client.get("/trajectories/").status_code == 403
    assert client.get("/trajectories/SAME-001").status_code == 403
    assert "School van A" in client.get("/home").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/home", "/trajectories/", "/trajectories/SAME-001"])
def test_anonymous_visitors_are_sent_to_login(client, two_centres, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
