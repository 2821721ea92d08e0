"""The anonymity key: where it comes from, its check value, and refusing a different key.

docs/anonymity.md, "The anonymity key" and "Keeping the key".
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from survey import PROJECT_ROOT, create_app
from survey.extensions import db
from survey.models import Campaign, CampaignStatus
from survey.privacy.keys import (
    KEY_BYTES,
    KEY_FILE,
    PURPOSES,
    check_value,
    decode_key,
    derive,
    load_anonymity_key,
    new_key,
    stored_check,
)
from survey.privacy.models import AnonymityKeyCheck
from tests.conftest import fresh_database, make_app
from tests.factories import Factories

REFUSAL = "De anonimiteitssleutel (KLANKBORD_ANONYMITY_KEY of instance/anonymity_key) is niet"


# --------------------------------------------------------------------------- where it comes from


def test_the_key_is_generated_once_into_the_instance_folder_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("KLANKBORD_ANONYMITY_KEY", raising=False)
    instance = tmp_path / "instance"
    key = load_anonymity_key(instance)
    key_file = instance / KEY_FILE
    assert key_file.read_text(encoding="ascii") == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(decode_key(key)) == KEY_BYTES
    written = key_file.stat().st_mtime_ns
    # Reused, never replaced: the stored nullifiers and sealed answers depend on it.
    assert load_anonymity_key(instance) == key
    assert load_anonymity_key(instance) == key
    assert key_file.stat().st_mtime_ns == written
    assert key_file.read_text(encoding="ascii") == key


def test_the_environment_wins_and_writes_no_file(tmp_path, monkeypatch):
    configured = new_key()
    monkeypatch.setenv("KLANKBORD_ANONYMITY_KEY", f"  {configured}\n")
    instance = tmp_path / "instance"
    assert load_anonymity_key(instance) == configured
    assert not (instance / KEY_FILE).exists()


def test_two_fresh_keys_differ_and_decode_to_32_bytes():
    first, second = new_key(), new_key()
    assert first != second
    assert len(decode_key(first)) == len(decode_key(second)) == KEY_BYTES


@pytest.mark.parametrize(
    "malformed",
    [
        "not base64 at all!",
        "c2hvcnQ",  # "short": valid base64, 5 bytes
        new_key()[:-4],  # 29 bytes
        base64.urlsafe_b64encode(bytes(35)).decode(),  # 35 bytes
        "é" * 43,
    ],
)
def test_a_malformed_key_in_the_environment_stops_create_app(malformed, monkeypatch, tmp_path):
    monkeypatch.setenv("KLANKBORD_ANONYMITY_KEY", malformed)
    with pytest.raises(RuntimeError, match="KLANKBORD_ANONYMITY_KEY"):
        create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                "SECRET_KEY": secrets.token_hex(16),
            }
        )


def test_a_malformed_configured_key_stops_create_app(tmp_path):
    with pytest.raises(RuntimeError, match="KLANKBORD_ANONYMITY_KEY"):
        make_app(f"sqlite:///{tmp_path / 'x.sqlite'}", ANONYMITY_KEY="c2hvcnQ")


def test_every_purpose_has_its_own_sub_key_and_the_check_value_is_none_of_them():
    master = decode_key(new_key())
    subkeys = {purpose: derive(master, purpose) for purpose in PURPOSES}
    assert len(set(subkeys.values())) == len(PURPOSES)
    assert master not in subkeys.values()
    check = check_value(master)
    assert check not in {key.hex() for key in subkeys.values()}
    assert check != check_value(decode_key(new_key()))
    with pytest.raises(ValueError, match="purpose"):
        derive(master, "everything")


# --------------------------------------------------------------------------- the check value


def test_init_db_stores_the_check_value_and_then_refuses_another_key(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        key = new_key()
        app = make_app(url, ANONYMITY_KEY=key)
        first = app.test_cli_runner().invoke(args=["init-db"])
        assert first.exit_code == 0, first.output
        with app.app_context():
            assert stored_check() == check_value(decode_key(key))
            assert stored_check() not in (key, decode_key(key).hex())
            db.session.remove()
        # Run again with the same key: fine, and still one check value.
        again = app.test_cli_runner().invoke(args=["init-db"])
        assert again.exit_code == 0, again.output

        other = make_app(url, ANONYMITY_KEY=new_key())
        refused = other.test_cli_runner().invoke(args=["init-db"])
        assert refused.exit_code == 1
        assert REFUSAL in refused.output
        # `klankbord daily` refuses too, before it closes or publishes anything.
        with app.app_context():
            make = Factories(db.session)
            expired = make.school_campaign(
                make.school(make.centre()), opens_on=date(2026, 1, 5), closes_on=date(2026, 2, 1)
            ).id
            db.session.commit()
            db.session.remove()
        daily = other.test_cli_runner().invoke(args=["daily"])
        assert daily.exit_code == 1
        assert REFUSAL in daily.output
        with app.app_context():
            rows = db.session.scalars(select(AnonymityKeyCheck)).all()
            assert [(row.id, row.value) for row in rows] == [(1, check_value(decode_key(key)))]
            assert db.session.get(Campaign, expired).status is CampaignStatus.OPEN
            db.session.remove()
        # With the right key the same command runs.
        assert app.test_cli_runner().invoke(args=["daily"]).exit_code == 0
        for application in (app, other):
            with application.app_context():
                db.session.remove()
                db.engine.dispose()


def _import_wsgi(database_url: str, key: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "KLANKBORD_DATABASE_URL": database_url,
        "KLANKBORD_ANONYMITY_KEY": key,
        # Set, so that the child writes no secret key into the project's instance folder.
        "KLANKBORD_SECRET_KEY": secrets.token_hex(32),
    }
    return subprocess.run(
        [sys.executable, "-c", "import survey.wsgi"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_wsgi_entry_point_refuses_a_mismatching_key(tmp_path):
    url = f"sqlite:///{tmp_path / 'klankbord.sqlite'}"
    key = new_key()
    app = make_app(url, ANONYMITY_KEY=key)
    made = app.test_cli_runner().invoke(args=["init-db"])
    assert made.exit_code == 0, made.output
    with app.app_context():
        db.engine.dispose()

    right = _import_wsgi(url, key, tmp_path)
    assert right.returncode == 0, right.stderr
    wrong = _import_wsgi(url, new_key(), tmp_path)
    assert wrong.returncode != 0
    assert "KeyMismatchError" in wrong.stderr
    assert "is not the one this database's spent links" in wrong.stderr


def test_the_wsgi_entry_point_accepts_any_key_before_one_is_stored(tmp_path):
    url = f"sqlite:///{tmp_path / 'klankbord.sqlite'}"
    app = make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        from survey import MIGRATIONS_DIR

        upgrade(directory=str(MIGRATIONS_DIR))
        assert stored_check() is None
        db.session.remove()
        db.engine.dispose()
    assert _import_wsgi(url, new_key(), tmp_path).returncode == 0


def _klankbord_run(url: str, key: str, seconds: float) -> tuple[int | None, str]:
    """Start ``klankbord run``; its exit status (None: still serving after ``seconds``)."""
    env = {
        **os.environ,
        "KLANKBORD_DATABASE_URL": url,
        "KLANKBORD_ANONYMITY_KEY": key,
        "KLANKBORD_SECRET_KEY": secrets.token_hex(32),
    }
    klankbord = Path(sys.executable).with_name("klankbord")
    server = subprocess.Popen(
        [str(klankbord), "run", "--port", "0", "--no-reload"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _out, errors = server.communicate(timeout=seconds)
        return server.returncode, errors
    except subprocess.TimeoutExpired:
        server.terminate()
        _out, errors = server.communicate(timeout=10)
        return None, errors


def test_klankbord_run_refuses_a_mismatching_key(tmp_path):
    # The development server takes answers too: under another key they would be sealed
    # where the stored ones cannot be opened, and old links' nullifiers would not match.
    url = f"sqlite:///{tmp_path / 'klankbord.sqlite'}"
    key = new_key()
    app = make_app(url, ANONYMITY_KEY=key)
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()
    returncode, errors = _klankbord_run(url, new_key(), seconds=30)
    assert returncode not in (None, 0)
    assert REFUSAL in errors
    # With the right key it serves (still running after a few seconds).
    assert _klankbord_run(url, key, seconds=5)[0] is None
