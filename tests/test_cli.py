"""The setup commands: clear messages, nothing half-written."""

from __future__ import annotations

from sqlalchemy import select

from survey.models import Role, StaffUser
from tests.conftest import login


def test_create_centre_school_and_user_then_log_in(runner, client, db):
    assert (
        runner.invoke(args=["create-centre", "--code", "lsc-west", "--name", "LSC West"]).exit_code
        == 0
    )
    result = runner.invoke(
        args=[
            "create-school",
            "--centre",
            "lsc-west",
            "--number",
            "123456",
            "--name",
            "VBS De Linde",
            "--levels",
            "kleuter,lager",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Kwal@LSC-West.be",
            "--role",
            "coordinator",
            "--centre",
            "lsc-west",
            "--password-stdin",
        ],
        input="een-lang-genoeg-wachtwoord\n",
    )
    assert result.exit_code == 0, result.output
    assert "Account aangemaakt: kwal@lsc-west.be" in result.output
    response = login(client, "kwal@lsc-west.be", "een-lang-genoeg-wachtwoord", follow=True)
    assert "LSC West" in response.get_data(as_text=True)


def test_create_user_without_stdin_shows_a_generated_password_once(runner, make, db):
    make.centre(code="lsc-oost")
    result = runner.invoke(
        args=["create-user", "--email", "coach@oost.be", "--role", "coach", "--centre", "lsc-oost"]
    )
    assert result.exit_code == 0
    password = result.output.split("Wachtwoord (wordt één keer getoond): ")[1].strip()
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == "coach@oost.be"))
    assert user.role is Role.COACH
    assert user.check_password(password)


def test_create_user_errors_are_clear_and_write_nothing(runner, make, db):
    make.centre(code="lsc-zuid")
    cases = [
        (["--email", "geen-adres", "--role", "coach", "--centre", "lsc-zuid"], "geen geldig"),
        (["--email", "a@b.be", "--role", "coach", "--centre", "bestaat-niet"], "geen centrum"),
        (["--email", "a@b.be", "--role", "school", "--centre", "lsc-zuid"], "--school"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["create-user", *args, "--password-stdin"], input="x" * 20)
        assert result.exit_code == 1
        assert message in result.output
    short = runner.invoke(
        args=[
            "create-user",
            "--email",
            "a@b.be",
            "--role",
            "coach",
            "--centre",
            "lsc-zuid",
            "--password-stdin",
        ],
        input="kort\n",
    )
    assert short.exit_code == 1
    assert "minstens 12" in short.output
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "a@b.be")) is None


def test_duplicate_email_is_refused(runner, make, db):
    centre = make.centre(code="lsc-noord")
    make.user(centre, email="dubbel@noord.be")
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "DUBBEL@noord.be",
            "--role",
            "coach",
            "--centre",
            "lsc-noord",
            "--password-stdin",
        ],
        input="een-lang-genoeg-wachtwoord\n",
    )
    assert result.exit_code == 1
    assert "bestaat al" in result.output
