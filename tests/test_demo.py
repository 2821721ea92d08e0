"""The demo centre: what it contains, and that loading it twice changes nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from survey.models import (
    AnonymousAnswer,
    AnonymousResponse,
    Audience,
    Centre,
    Focus,
    MatrixResponse,
    ReportType,
    Role,
    School,
    StaffUser,
    Trajectory,
    TrajectoryStatus,
    TrajectoryStatusChange,
)
from survey.privacy.models import ResponseDraft, ResponseInbox, SpentLink
from tests.conftest import login

MODELS = (
    Centre,
    School,
    StaffUser,
    Trajectory,
    TrajectoryStatusChange,
    AnonymousResponse,
    AnonymousAnswer,
    MatrixResponse,
)


def _counts(db) -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in MODELS
    }


def test_demo_twice_leaves_the_same_counts(runner, db, monkeypatch):
    monkeypatch.setenv("KLANKBORD_DEMO_PASSWORD", "demo-password-for-tests")
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Democentrum geladen" in first.output
    after_first = _counts(db)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "al geladen" in second.output
    assert _counts(db) == after_first


def test_demo_has_the_promised_shape(runner, db, monkeypatch):
    monkeypatch.setenv("KLANKBORD_DEMO_PASSWORD", "demo-password-for-tests")
    assert runner.invoke(args=["demo"]).exit_code == 0
    centre = db.session.scalar(select(Centre).where(Centre.code == "demo"))
    scalar = db.session.scalar
    assert scalar(select(func.count()).where(School.centre_id == centre.id)) == 12
    coaches = db.session.scalars(
        select(StaffUser.email).where(StaffUser.role == Role.COACH).order_by(StaffUser.email)
    ).all()
    assert coaches == [f"coach{n}@demo.klankbord.be" for n in range(1, 9)]
    codes = db.session.scalars(
        select(Trajectory.code).where(Trajectory.centre_id == centre.id).order_by(Trajectory.code)
    ).all()
    assert codes == [f"DEMO-{n:04d}" for n in range(1, 151)]
    for column, values in (
        (Trajectory.focus, set(Focus)),
        (Trajectory.status, set(TrajectoryStatus)),
        (Trajectory.report_type, {*ReportType, None}),
    ):
        assert set(db.session.scalars(select(column).distinct())) == values
    years = db.session.execute(
        select(AnonymousResponse.school_year, AnonymousResponse.audience).distinct()
    ).all()
    assert {year for year, _ in years} == {"2024-2025", "2025-2026"}
    assert {audience for _, audience in years} == {
        Audience.PARENT,
        Audience.PUPIL,
        Audience.TEACHER,
        Audience.SCHOOL,
    }
    roles = set(db.session.scalars(select(MatrixResponse.role).distinct()))
    assert roles == set(Audience)
    # The synthetic history is published like real answers: one batch date per school year
    # (the spring round's), never a day per answer; nothing is left waiting or spent.
    published = db.session.execute(
        select(AnonymousResponse.school_year, AnonymousResponse.published_on).distinct()
    ).all()
    assert sorted(published) == [
        ("2024-2025", date(2025, 6, 13)),
        ("2025-2026", date(2026, 6, 13)),
    ]
    for model in (ResponseInbox, ResponseDraft, SpentLink):
        assert scalar(select(func.count()).select_from(model)) == 0


def test_schools_differ_realistically(runner, db, monkeypatch):
    """The best and worst school in the demo differ clearly in parents' top-2 share."""
    monkeypatch.setenv("KLANKBORD_DEMO_PASSWORD", "demo-password-for-tests")
    assert runner.invoke(args=["demo"]).exit_code == 0
    rows = db.session.execute(
        select(
            AnonymousResponse.school_id,
            func.avg((AnonymousAnswer.value >= 3).cast(db.Integer)),
        )
        .join(AnonymousAnswer)
        .where(AnonymousResponse.audience == Audience.PARENT, AnonymousAnswer.value > 0)
        .group_by(AnonymousResponse.school_id)
    ).all()
    shares = [float(share) for _, share in rows]
    assert max(shares) - min(shares) > 0.15


def test_demo_logins_work(runner, client, monkeypatch):
    monkeypatch.setenv("KLANKBORD_DEMO_PASSWORD", "demo-password-for-tests")
    assert runner.invoke(args=["demo"]).exit_code == 0
    response = login(client, "coordinator@demo.klankbord.be", "demo-password-for-tests", True)
    page = response.get_data(as_text=True)
    assert "Leersteuncentrum Demo" in page
    assert "Actieve trajecten per verslag" in page


def test_generated_password_is_kept_for_the_next_run(app, runner, db, monkeypatch, tmp_path):
    monkeypatch.delenv("KLANKBORD_DEMO_PASSWORD", raising=False)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    first = runner.invoke(args=["demo"])
    password = (tmp_path / "demo-password").read_text().strip()
    assert password in first.output
    assert password in runner.invoke(args=["demo"]).output


def test_if_empty_leaves_a_real_centre_alone(runner, make, db):
    make.centre(code="lsc-echt")
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0
    assert db.session.scalar(select(Centre).where(Centre.code == "demo")) is None
