"""``klankbord backup`` and ``klankbord restore`` round-trip a database, on both backends."""

from __future__ import annotations

import shutil
import stat
import subprocess
import uuid
from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from survey import MIGRATIONS_DIR
from survey.backup import services
from survey.backup.services import BackupError, backup_database
from survey.extensions import db
from survey.models import (
    AnonymousAnswer,
    AnonymousResponse,
    Audience,
    Centre,
    QuestionnaireMode,
    QuestionnaireVersion,
    School,
)
from survey.privacy.keys import (
    PURPOSES,
    KeyMismatchError,
    decode_key,
    derive,
    ensure_check_stored,
    new_key,
    stored_check,
    verify_key,
)
from tests.conftest import fresh_database, make_app


def _counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Centre, School, AnonymousResponse)
    )


def _readable(backend: str, out) -> bytes:
    """The backup's contents as bytes a search can read (pg_dump's custom format packs them)."""
    if backend == "sqlite":
        return out.read_bytes()
    return subprocess.run(
        [shutil.which("pg_restore") or "pg_restore", "--file=-", str(out)],
        check=True,
        capture_output=True,
    ).stdout


def test_backup_then_restore_brings_deleted_rows_back(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        app = make_app(url)
        response_id = uuid.uuid4()
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
            centre = Centre(code="lsc-back", name="LSC Terug")
            school = School(centre=centre, name="De Bron", institution_number="123456")
            version = QuestionnaireVersion(
                questionnaire_id="backup-test",
                version=1,
                mode=QuestionnaireMode.ANONYMOUS,
                content_hash="0" * 64,
                definition={},
            )
            db.session.add_all([centre, school, version])
            db.session.flush()
            answer = AnonymousAnswer(item_id="q1", value=4)
            db.session.add(
                AnonymousResponse(
                    id=response_id,
                    questionnaire_version=version,
                    centre_id=centre.id,
                    school_id=school.id,
                    school_year="2025-2026",
                    audience=Audience.PARENT,
                    published_on=date(2026, 3, 10),
                    answers=[answer],
                )
            )
            ensure_check_stored()
            db.session.commit()
            check = stored_check()

        runner = app.test_cli_runner()
        out = tmp_path / "klankbord.backup"
        made = runner.invoke(args=["backup", "--out", str(out)])
        assert made.exit_code == 0, made.output
        assert out.stat().st_size > 0
        # The copy holds password hashes and answers: its owner alone may read it.
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        assert not list(tmp_path.glob(".*.part"))
        # The anonymity key is never in the database, so never in a backup: neither the key,
        # its bytes, nor any sub-key (docs/anonymity.md, "Keeping the key"). Only a check value.
        copy = _readable(backend, out)
        assert check.encode() in copy  # the search does see the database's contents
        master = decode_key(app.config["ANONYMITY_KEY"])
        for secret in (app.config["ANONYMITY_KEY"].encode(), master, master.hex().encode()):
            assert secret not in copy
        for purpose in PURPOSES:
            assert derive(master, purpose) not in copy
            assert derive(master, purpose).hex().encode() not in copy

        with app.app_context():
            db.session.execute(AnonymousResponse.__table__.delete())
            db.session.execute(School.__table__.delete())
            db.session.execute(Centre.__table__.delete())
            db.session.commit()
            assert _counts() == (0, 0, 0)
            db.session.remove()

        refused = runner.invoke(args=["restore", str(out)])
        assert refused.exit_code == 1
        assert "--yes" in refused.output
        with app.app_context():
            assert _counts() == (0, 0, 0)
            db.session.remove()

        restored = runner.invoke(args=["restore", str(out), "--yes"])
        assert restored.exit_code == 0, restored.output
        with app.app_context():
            assert _counts() == (1, 1, 1)
            back = db.session.get(AnonymousResponse, response_id)
            assert back.school_year == "2025-2026"
            assert [(a.item_id, a.value) for a in back.answers] == [("q1", 4)]
            assert db.session.scalar(select(School.name)) == "De Bron"
            assert db.session.scalar(select(Centre.code)) == "lsc-back"
            # The check value comes back with the data: a restored database still refuses a
            # key other than the one its spent links and waiting answers were made with.
            assert stored_check() == check
            verify_key()
            app.config["ANONYMITY_KEY"], right_key = new_key(), app.config["ANONYMITY_KEY"]
            try:
                with pytest.raises(KeyMismatchError):
                    verify_key()
            finally:
                app.config["ANONYMITY_KEY"] = right_key
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


POSTGRES = "postgresql+psycopg://klankbord:s3cret-pw@db.example:5433/klankbord?sslmode=require"


def test_pg_dump_gets_the_password_from_the_environment_only(tmp_path, monkeypatch):
    calls = []

    def fake_run(command, env, **_kwargs):
        calls.append((command, env))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(services.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(services.subprocess, "run", fake_run)
    backup_database(POSTGRES, tmp_path / "k.backup")
    [(command, env)] = calls
    assert command[0] == "/usr/bin/pg_dump"
    assert "--format=custom" in command
    assert "--dbname=postgresql://klankbord@db.example:5433/klankbord?sslmode=require" in command
    assert not any("s3cret-pw" in argument for argument in command)
    assert env["PGPASSWORD"] == "s3cret-pw"


def test_missing_pg_dump_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BackupError, match="pg_dump"):
        backup_database(POSTGRES, tmp_path / "k.backup")
    assert list(tmp_path.iterdir()) == []
