"""The audit log of staff views of trajectory-level feedback."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from survey.audit.services import CLI_MARK, record_view
from survey.models import AuditEntry, Role
from tests.conftest import login


@pytest.fixture
def centre(make):
    return make.centre(name="LSC Noord")


@pytest.fixture
def trajectory(make, centre):
    return make.trajectory(make.school(centre), code="NOORD-0001")


def test_record_view_adds_an_entry_for_the_callers_commit(db, make, centre, trajectory):
    coach = make.user(centre, Role.COACH)
    record_view(coach, trajectory, "view_matrix", "ronde 2")
    db.session.flush()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.user_id == coach.id))
    assert (entry.centre_id, entry.trajectory_id, entry.action, entry.detail) == (
        centre.id,
        trajectory.id,
        "view_matrix",
        "ronde 2",
    )
    assert entry.at is not None


def test_record_view_refuses_another_centres_trajectory(db, make, trajectory):
    stranger = make.user(make.centre(), Role.COACH)
    with pytest.raises(ValueError, match="own centre"):
        record_view(stranger, trajectory, "view_matrix")


def test_record_view_checks_the_action_and_shortens_the_detail(db, make, centre, trajectory):
    coach = make.user(centre, Role.COACH)
    with pytest.raises(ValueError, match="audit action"):
        record_view(coach, trajectory, "x" * 41)
    record_view(coach, trajectory, "view_evaluation", "d" * 500)
    db.session.flush()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.user_id == coach.id))
    assert len(entry.detail) == 200


@pytest.mark.parametrize("role", [Role.COACH, Role.SCHOOL])
def test_coaches_and_schools_get_403(client, make, centre, role):
    school = make.school(centre) if role is Role.SCHOOL else None
    login(client, make.user(centre, role, school=school).email)
    response = client.get("/audit/")
    assert response.status_code == 403
    assert "Auditlog" not in response.get_data(as_text=True)  # nor in the menu


def test_log_shows_only_the_centres_entries_newest_first(client, make, db, centre, trajectory):
    coordinator = make.user(centre, Role.COORDINATOR, email="kc@noord.be")
    coach = make.user(centre, Role.COACH, email="coach@noord.be")
    # 10 March 2026 is winter time in Brussels: UTC+1.
    db.session.add(
        AuditEntry(
            at=datetime(2026, 3, 10, 8, 15),
            centre_id=centre.id,
            user_id=coach.id,
            trajectory_id=trajectory.id,
            action="view_matrix",
        )
    )
    db.session.add(
        AuditEntry(
            at=datetime(2026, 3, 11, 14, 0),
            centre_id=centre.id,
            user_id=coach.id,
            trajectory_id=trajectory.id,
            action="print_evaluation",
            detail="evaluatie van 11 maart",
        )
    )
    elsewhere = make.centre()
    foreign_trajectory = make.trajectory(make.school(elsewhere), code="ZUID-0666")
    foreign_user = make.user(elsewhere, Role.COACH, email="spion@zuid.be")
    record_view(foreign_user, foreign_trajectory, "view_matrix")
    db.session.flush()

    login(client, coordinator.email)
    response = client.get("/audit/")
    page = response.get_data(as_text=True)
    assert '<a href="/audit/">Auditlog</a>' in page
    assert 'href="/accounts/users"' not in page  # user management is for administrators
    assert response.status_code == 200
    assert "2 registraties" in page
    assert "10 mrt 2026, 09:15:00" in page
    assert "11 mrt 2026, 15:00:00" in page
    assert page.index("11 mrt 2026") < page.index("10 mrt 2026")
    assert "Bekeek de feedbackmatrix" in page
    assert "Drukte een evaluatie af" in page
    assert "evaluatie van 11 maart" in page
    assert "coach@noord.be" in page
    assert "NOORD-0001" in page
    assert "ZUID-0666" not in page
    assert "spion@zuid.be" not in page
    # Filtering on the other centre's code or user finds nothing, not their entries.
    for query in ("?trajectory=ZUID-0666", "?email=spion@zuid.be"):
        page = client.get("/audit/" + query).get_data(as_text=True)
        assert "Geen registraties." in page
        assert "ZUID-0666" not in page.replace('value="ZUID-0666"', "")


def test_filters_by_trajectory_and_user(client, make, db, centre, trajectory):
    admin = make.user(centre, Role.ADMIN)
    first = make.user(centre, Role.COACH, email="een@noord.be")
    second = make.user(centre, Role.COACH, email="twee@noord.be")
    other = make.trajectory(make.school(centre), code="NOORD-0002")
    record_view(first, trajectory, "view_matrix")
    record_view(second, trajectory, "view_matrix")
    record_view(second, other, "view_evaluation")
    db.session.flush()
    login(client, admin.email)

    page = client.get("/audit/?trajectory=noord-0002").get_data(as_text=True)
    assert "1 registratie" in page
    assert "twee@noord.be" in page
    assert "een@noord.be" not in page
    page = client.get("/audit/?email=TWEE@noord.be").get_data(as_text=True)
    assert "2 registraties" in page
    page = client.get("/audit/?email=twee@noord.be&trajectory=NOORD-0001").get_data(as_text=True)
    assert "1 registratie" in page
    assert "NOORD-0002" not in page


def test_pages_of_fifty(client, make, db, centre, trajectory):
    coordinator = make.user(centre, Role.COORDINATOR)
    coach = make.user(centre, Role.COACH)
    for _ in range(55):
        record_view(coach, trajectory, "view_matrix")
    db.session.flush()
    login(client, coordinator.email)
    first = client.get("/audit/").get_data(as_text=True)
    assert first.count("Bekeek de feedbackmatrix") == 50
    assert "Pagina 1 van 2" in first
    second = client.get("/audit/?page=2").get_data(as_text=True)
    assert second.count("Bekeek de feedbackmatrix") == 5
    for page in ("0", "-1", "abc", "99"):
        assert client.get(f"/audit/?page={page}").status_code in (200, 404), page


def test_overlong_filters_are_errors_not_500(client, make, db, centre):
    login(client, make.user(centre, Role.COORDINATOR).email)
    response = client.get("/audit/?trajectory=" + "x" * 100 + "&email=" + "y" * 300)
    assert response.status_code == 200
    assert "Hoogstens 40 tekens." in response.get_data(as_text=True)


def test_making_links_records_who_made_how_many(client, runner, make, db, centre):
    # A coordinator who answers k-1 links of their own into a group learns the k-th answer
    # from the batch it completes: the trail of who made how many links is how that is found.
    import re

    from tests.conftest import csrf_token

    coordinator = make.user(centre, Role.COORDINATOR, email="kc@noord.be")
    campaign = make.school_campaign(make.school(centre))
    login(client, coordinator.email)
    detail = f"/campaigns/{campaign.id}"
    page = client.post(
        detail,
        data={
            "csrf_token": csrf_token(client, detail),
            "count": "3",
            "language": "nl",
            "output": "links",
        },
    ).get_data(as_text=True)
    tokens = [
        link.rsplit("/r/", 1)[1] for link in re.findall(r"<code>([^<]+/r/[^<]+)</code>", page)
    ]
    assert len(tokens) == 3
    made = runner.invoke(args=["invite", "--campaign", str(campaign.id), "--count", "2"])
    assert made.exit_code == 0, made.output  # the command line: nobody signed in

    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "make_links").order_by(AuditEntry.id)
    ).all()
    assert [(e.centre_id, e.user_id, e.detail) for e in entries] == [
        (centre.id, coordinator.id, f"campaign {campaign.id}, parent: 3"),
        (centre.id, None, f"campaign {campaign.id}, parent: 2{CLI_MARK}"),
    ]
    # The trail counts links; it never holds one.
    assert not any(token in (entry.detail or "") for entry in entries for token in tokens)
    log = client.get("/audit/").get_data(as_text=True)
    assert log.count("Maakte links voor bevraagden") == 2
    assert f"campaign {campaign.id}, parent: 3" in log


def test_a_link_entry_without_user_or_trajectory_is_not_shown_as_deleted(
    client, runner, make, db, centre
):
    campaign = make.school_campaign(make.school(centre))
    made = runner.invoke(args=["invite", "--campaign", str(campaign.id), "--count", "2"])
    assert made.exit_code == 0, made.output
    login(client, make.user(centre, Role.COORDINATOR).email)
    log = client.get("/audit/").get_data(as_text=True)
    assert "Maakte links voor bevraagden" in log
    # Made on the command line, for a school campaign: neither a deleted account nor a
    # deleted trajectory.
    assert "opdrachtregel" in log
    assert "(verwijderd account)" not in log
    assert "(verwijderd)" not in log
