"""Configuration comes from the environment; the factory touches no database."""

from __future__ import annotations

import stat

import pytest

from survey import create_app
from survey.config import load_secret_key


def test_secret_key_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("KLANKBORD_SECRET_KEY", raising=False)
    first = load_secret_key(tmp_path)
    key_file = tmp_path / "secret_key"
    assert len(first) >= 40
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_secret_key(tmp_path) == first


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("KLANKBORD_SECRET_KEY", "from-the-environment")
    assert load_secret_key(tmp_path) == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_environment_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("KLANKBORD_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("KLANKBORD_DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere.sqlite")
    monkeypatch.setenv("KLANKBORD_ANONYMITY_THRESHOLD", "7")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("elsewhere.sqlite")
    assert app.config["ANONYMITY_THRESHOLD"] == 7
    assert app.config["SECRET_KEY"] == "x" * 40


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.setenv("KLANKBORD_SECRET_KEY", "x" * 40)
    monkeypatch.delenv("KLANKBORD_DATABASE_URL", raising=False)
    monkeypatch.delenv("KLANKBORD_ANONYMITY_THRESHOLD", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{app.instance_path}/klankbord.sqlite"
    )
    assert app.config["ANONYMITY_THRESHOLD"] == 5


@pytest.mark.parametrize("value", ["five", "1", "-3"])
def test_bad_threshold_is_refused_with_its_name(monkeypatch, value):
    monkeypatch.setenv("KLANKBORD_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("KLANKBORD_ANONYMITY_THRESHOLD", value)
    with pytest.raises(RuntimeError, match="KLANKBORD_ANONYMITY_THRESHOLD"):
        create_app()


def test_factory_does_not_touch_the_database(tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "db.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}", "SECRET_KEY": "x"})
    assert app.name == "survey"
    assert not missing.parent.exists()
