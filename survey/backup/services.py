"""Consistent copies of the database, and putting one back.

- SQLite: the online backup API copies the database page by page under a read lock, so the
  copy is consistent even while the app keeps writing; restoring uses the same API the other
  way round.
- PostgreSQL: ``pg_dump --format=custom`` (one snapshot) and ``pg_restore --clean --if-exists
  --no-owner`` in a single transaction, so a failed restore leaves the database as it was.
  The password goes to the client programs through ``PGPASSWORD``, never on the command line,
  where any local user could read it in the process list.

A backup holds everything the database holds (staff e-mail addresses, password hashes,
answers), so its file is created readable by its owner only. It is written under a temporary
name and renamed when complete, so an interrupted run never leaves a file that looks whole.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy.engine import URL, make_url

# A restore must not be pointed at just any SQLite file: a Klankbord database has this table.
_SCHEMA_MARKER = "SELECT version_num FROM alembic_version"


class BackupError(Exception):
    """A backup or restore that could not be done; the message is for the operator."""


def backup_database(database_url: str, out: Path) -> None:
    """Write a consistent copy of the database at ``database_url`` to ``out``."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        _sqlite_backup(_sqlite_path(url), out)
    elif backend == "postgresql":
        _pg_backup(url, out)
    else:
        raise BackupError(_("Backups of %(backend)s databases are not supported.", backend=backend))


def restore_database(database_url: str, source: Path) -> None:
    """Replace everything in the database at ``database_url`` with the backup ``source``."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        _sqlite_restore(_sqlite_path(url), source)
    elif backend == "postgresql":
        _pg_restore(url, source)
    else:
        raise BackupError(_("Backups of %(backend)s databases are not supported.", backend=backend))


def _temporary_sibling(out: Path) -> Path:
    """An empty file next to ``out``, readable by its owner only."""
    if out.is_dir():
        raise BackupError(_("%(path)s is a folder, not a file.", path=out))
    if not out.parent.is_dir():
        raise BackupError(_("The folder %(path)s does not exist.", path=out.parent))
    partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.part")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return partial


# --------------------------------------------------------------------------- SQLite


def _sqlite_path(url: URL) -> Path:
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        raise BackupError(_("An in-memory database cannot be backed up or restored."))
    return Path(database)


def _read_only(path: Path) -> sqlite3.Connection:
    # Read-only: taking a backup must never change, or create, the file it reads.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _sqlite_backup(database: Path, out: Path) -> None:
    if not database.is_file():
        raise BackupError(_("The database %(path)s does not exist.", path=database))
    partial = _temporary_sibling(out)
    try:
        with closing(_read_only(database)) as source, closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_restore(database: Path, source: Path) -> None:
    try:
        with closing(_read_only(source)) as backup:
            backup.execute(_SCHEMA_MARKER).fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            _("%(path)s is not a backup of a Klankbord SQLite database.", path=source)
        ) from exc
    # The backup API takes the live database's write lock itself and waits while the app
    # holds it; readers see the restored data as soon as it is done.
    with closing(_read_only(source)) as backup, closing(sqlite3.connect(database)) as live:
        backup.backup(live)


# --------------------------------------------------------------------------- PostgreSQL


def _client_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _(
                "%(program)s was not found. Install the PostgreSQL client programs "
                "(apt-get install postgresql-client), of the server's major version or newer.",
                program=name,
            )
        )
    return path


def _libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it."""
    conninfo = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    ).render_as_string(hide_password=False)
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _run(command: list[str], env: dict[str, str]) -> None:
    # A fixed program found on PATH with arguments built here, never through a shell; the
    # only outside values are the configured database and the operator's file names.
    result = subprocess.run(  # noqa: S603 - argument list, no shell; see above
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(
            _(
                "%(program)s failed: %(error)s",
                program=Path(command[0]).name,
                error=result.stderr.strip(),
            )
        )


def _pg_backup(url: URL, out: Path) -> None:
    program = _client_program("pg_dump")
    conninfo, env = _libpq_target(url)
    partial = _temporary_sibling(out)
    try:
        _run(
            [
                program,
                "--format=custom",
                "--no-password",
                f"--file={partial}",
                f"--dbname={conninfo}",
            ],
            env,
        )
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


def _pg_restore(url: URL, source: Path) -> None:
    program = _client_program("pg_restore")
    conninfo, env = _libpq_target(url)
    _run(
        [
            program,
            "--clean",
            "--if-exists",
            "--no-owner",
            # All or nothing: a broken or foreign archive leaves the database untouched.
            "--single-transaction",
            "--no-password",
            f"--dbname={conninfo}",
            # Absolute, so a file name starting with "-" cannot pass for an option.
            str(source.resolve()),
        ],
        env,
    )
