"""The story every attack reads: 30 links of two school campaigns, answered for real.

A centre has a large school (29 parents' links, 10 of them e-mailed) and a small one (1 link:
one pupil's parents, the case k-anonymity exists for). Respondents answer through the real
HTTP stack (a threaded werkzeug server), one a day in a fixed random order, each with a unique
answer pattern and comment; every third saves a draft first. Every day ends with the daily
publication; the small school's campaign closes right after its one answer, the reminder goes
out after twenty answers, and the large school's campaign closes at the end.

The database holder records everything it could have while that happens: after every write a
snapshot of every table (as the application's role) and, on PostgreSQL as superuser, every
heap tuple (pageinspect); two backups around one submission; the staff outputs (API, CSV,
XLSX) after every publication; and at the end the WAL of the whole story (pg_waldump). The
harness, not the attacker, keeps the ground truth: which published response came from which
invitation.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import secrets
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http import HTTPStatus
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from openpyxl import load_workbook
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from survey import MIGRATIONS_DIR
from survey.api import services as api_services
from survey.campaigns.delivery import send_invitation_emails
from survey.campaigns.services import create_campaign, issue_invitations, questionnaire_of
from survey.extensions import db
from survey.models import Audience
from survey.questionnaire_versions.services import register_builtin_questionnaires
from survey.reports import services as report_services
from tests.conftest import IN_CI, Inbox, csrf_in, fresh_database, mail_server, make_app, radio_names
from tests.factories import Factories
from tests.privacy.observe import (
    Catalog,
    HeapTuple,
    Snapshot,
    WalPosition,
    WalRecord,
    current_lsn,
    filenodes,
    heap_tuples,
    pg_dump,
    read_catalog,
    snapshot,
    wal_records,
)

SUPERUSER_URL = os.environ.get("KLANKBORD_TEST_POSTGRES_SUPERUSER_URL")
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")

FIRST_DAY = date(2026, 5, 12)
SCHOOL_YEAR = "2025-2026"
QUESTIONNAIRE = "tevredenheid-ouders"
LARGE_PRINTED = 19
LARGE_MAILED = 10
RESPONDENTS = LARGE_PRINTED + LARGE_MAILED + 1
# Where in the answering order things happen.
SMALL_SCHOOL_AT = 10  # the small school's one answer; its campaign closes that evening
REMINDER_AFTER = 20  # answers before the reminder; the last 4 mailed parents answer after it
REMINDED = 4
BACKUP_AT = 13  # the submission the two backups are taken around
SEED = 20260512


def needed(what: str) -> None:
    """Skip for want of ``what``, except under CI=true, where a skip would hide a failure."""
    if IN_CI:
        pytest.fail(f"{what}: CI must run every privacy attack")
    pytest.skip(f"{what}; attack skipped")


def postgres_tool(name: str) -> Path | None:
    tool = POSTGRES_BIN / name
    return tool if os.access(tool, os.X_OK) else None


@dataclass
class Link:
    """One invitation and the respondent behind it (known to the harness only)."""

    invitation_id: int
    campaign_id: int
    path: str
    email: str | None
    values: dict[str, int] = field(default_factory=dict)
    comment: str = ""
    saves_draft: bool = False


@dataclass(frozen=True)
class Pull:
    """The staff outputs at one moment: API rows, CSV rows, XLSX rows and comments."""

    label: str
    api: list[dict[str, Any]]
    csv: list[dict[str, Any]]
    xlsx: list[dict[str, Any]]
    comments: list[dict[str, Any]]


@dataclass
class Story:
    backend: str
    threshold: int
    links: list[Link]
    # Invitation id -> the published response its answers became (the harness's ground truth).
    truth: dict[int, str]
    catalog: Catalog
    final: Snapshot
    # The database once the last answer is in and the day's publication ran, before closing.
    answering_ended: Snapshot
    polls: list[Snapshot]
    pulls: list[Pull]
    # Two backups around one submission (PostgreSQL: needs pg_dump).
    backups: tuple[Snapshot, Snapshot] | None = None
    # PostgreSQL with a superuser only: every heap tuple seen at any moment, the story's WAL
    # (with the relation file nodes it names).
    pages: list[HeapTuple] | None = None
    wal: list[WalRecord] | None = None
    nodes: dict[int, str] | None = None
    # Why a part above could not be recorded.
    missing: dict[str, str] = field(default_factory=dict)

    def require(self, part: str) -> Any:
        """A recorded part, or a skip (a failure under CI=true) saying why it is missing."""
        value = getattr(self, part)
        if value is None:
            needed(self.missing.get(part, f"no {part} on {self.backend}"))
        return value


# ------------------------------------------------------------------------ respondents


def _patterns(rng: random.Random, items: list[str], count: int) -> list[dict[str, int]]:
    seen: set[tuple[int, ...]] = set()
    patterns = []
    while len(patterns) < count:
        values = tuple(rng.randint(1, 4) for _ in items)
        if values not in seen:
            seen.add(values)
            patterns.append(dict(zip(items, values, strict=True)))
    return patterns


_WORDS = ("appel", "beuk", "ceder", "duin", "eik", "fjord", "gaai", "heide", "iep", "jacht")


def _comment(rng: random.Random) -> str:
    return "Graag meer overleg over " + " ".join(rng.sample(_WORDS, 4))


class Respondent:
    """A parent's browser: opens the link, maybe saves half the form first, sends it."""

    def __init__(self, base_url: str, link: Link) -> None:
        self.base_url = base_url
        self.link = link
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with self.opener.open(base_url + link.path) as response:
            self.page = response.read().decode()
        self.chosen = {
            name: str(link.values[name.removeprefix("item-")]) for name in radio_names(self.page)
        }

    def _post(self, fields: dict[str, str]) -> str:
        body = urllib.parse.urlencode(fields | {"csrf_token": csrf_in(self.page), "page": "0"})
        try:
            with self.opener.open(self.base_url + self.link.path, data=body.encode()) as response:
                self.page = response.read().decode()
                return response.geturl()
        except urllib.error.HTTPError as page:
            # A draft of half the form is saved and shown again with the missing answers
            # marked (422); anything else is a failure.
            if page.code != HTTPStatus.UNPROCESSABLE_ENTITY:
                raise
            self.page = page.read().decode()
            return page.geturl()

    def save_half(self) -> None:
        half = dict(list(self.chosen.items())[: len(self.chosen) // 2])
        self._post(half | {"action": "save"})

    def send(self) -> None:
        (open_field,) = set(re.findall(r'name="(open-[^"]+)"', self.page))
        final_url = self._post(self.chosen | {open_field: self.link.comment})
        assert final_url.endswith("/thanks"), f"not thanked: {final_url}"


# ------------------------------------------------------------------------ the holder


class Holder:
    """The database holder's own connections: the app's role, and a superuser on PostgreSQL."""

    def __init__(self, backend: str, url: str, stack: ExitStack) -> None:
        self.backend = backend
        self.url = url
        app_engine = create_engine(url, poolclass=NullPool)
        stack.callback(app_engine.dispose)
        self.app_engine = app_engine
        self.super: Connection | None = None
        if backend == "postgresql" and SUPERUSER_URL:
            database = make_url(url).database
            engine = create_engine(
                make_url(SUPERUSER_URL).set(database=database),
                poolclass=NullPool,
                isolation_level="AUTOCOMMIT",
            )
            stack.callback(_wait_until_disconnected, database)
            stack.callback(engine.dispose)
            self.super = stack.enter_context(engine.connect())
        self.catalog: Catalog = {}
        self.start_lsn = 0
        self.polls: list[Snapshot] = []
        self.pages: dict[tuple, HeapTuple] = {}
        self.missing: dict[str, str] = {}
        if backend == "postgresql" and self.super is None:
            reason = "KLANKBORD_TEST_POSTGRES_SUPERUSER_URL is not set"
            self.missing |= {"pages": reason, "wal": reason}

    def prepare(self) -> None:
        """Read the catalog; with a superuser, load pageinspect and hold the WAL from now on."""
        self.catalog = read_catalog(self.app_engine)
        if self.super is not None:
            self.super.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            # A temporary slot keeps every WAL segment from here on until this session ends,
            # so that no checkpoint recycles what the attacker wants to read.
            slot = f"klankbord_holder_{secrets.token_hex(4)}"
            self.super.execute(
                text("SELECT pg_create_physical_replication_slot(:slot, true, true)"),
                {"slot": slot},
            )
            self.start_lsn = current_lsn(self.super)

    def snapshot(self) -> Snapshot:
        with self.app_engine.connect() as connection:
            return snapshot(connection, self.catalog)

    def observe(self) -> None:
        """After a write: poll every table, and (superuser) read every heap tuple.

        Pages are read at every moment, not only at the end: the application's own reads
        prune dead tuples from full pages, and the holder has every moment of the database.
        """
        self.polls.append(self.snapshot())
        if self.super is not None:
            for item in heap_tuples(self.super):
                self.pages.setdefault(
                    (item.table, item.position, item.xmin, item.xmax, item.data), item
                )

    def backup(self, folder: Path) -> Snapshot | None:
        """PostgreSQL: pg_dump --data-only; SQLite: a copy through the backup API, read back."""
        if self.backend == "postgresql":
            tool = postgres_tool("pg_dump")
            if tool is None:
                self.missing["backups"] = f"{POSTGRES_BIN / 'pg_dump'} is missing"
                return None
            return pg_dump(tool, self.url, self.catalog)
        source_path = make_url(self.url).database
        copy_path = folder / f"backup-{secrets.token_hex(4)}.sqlite"
        source, copy = sqlite3.connect(source_path), sqlite3.connect(copy_path)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        engine = create_engine(f"sqlite:///{copy_path}", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return snapshot(connection, self.catalog)
        finally:
            engine.dispose()

    def wal(self) -> tuple[list[WalRecord], dict[int, str]] | tuple[None, None]:
        """The heap records of the story (superuser), from the start location to now."""
        if self.super is None:
            return None, None
        end = current_lsn(self.super)
        where = WalPosition.of(self.super)
        tool = postgres_tool("pg_waldump")
        if tool is None:
            self.missing["wal"] = f"{POSTGRES_BIN / 'pg_waldump'} is missing"
        elif not os.access(where.directory, os.R_OK):
            self.missing["wal"] = f"{where.directory} is not readable (run as root or postgres)"
        else:
            return wal_records(tool, where, self.start_lsn, end), filenodes(self.super)
        return None, None


# --------------------------------------------------------------------------- outputs


class Staff:
    """A staff member and API user who pulls the outputs after every publication.

    The API is pulled every time; the CSV and XLSX exports are downloaded again whenever the
    API's answer figures change (the same report underlies all three, so unchanged figures
    mean unchanged exports), which keeps a pair of each format around every publication.
    """

    def __init__(self, app: Flask, base_url: str, api_token: str, folder: Path) -> None:
        self.app = app
        self.base_url = base_url
        self.api_token = api_token
        self.folder = folder
        self.pulls: list[Pull] = []

    def pull(self, label: str) -> None:
        # The report cache would hand out the last build for up to five minutes (and key it
        # by centre id, the same in every story); a patient staff member gets a fresh one.
        report_services._cache.clear()
        api_services._rows_cache.clear()
        api = self._api()
        last = self.pulls[-1] if self.pulls else None
        if last is not None and _answers(last.api) == _answers(api):
            self.pulls.append(Pull(label, api, last.csv, last.xlsx, last.comments))
            return
        self.pulls.append(Pull(label, api, *self._exports(label)))

    def _api(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        address = f"{self.base_url}/api/v1/results?school_year={SCHOOL_YEAR}&per_page=1000"
        while address:
            request = urllib.request.Request(  # noqa: S310 - the test's own server
                address, headers={"Authorization": f"Bearer {self.api_token}"}
            )
            try:
                with urllib.request.urlopen(request) as response:  # noqa: S310
                    page = json.load(response)
            except urllib.error.HTTPError as refused:
                if refused.code != HTTPStatus.UNPROCESSABLE_ENTITY:
                    raise
                break  # fewer than k respondents: nothing is shown
            rows += page["data"]
            following = page["links"].get("next")
            address = urllib.parse.urljoin(self.base_url, following) if following else None
        return rows

    def _exports(self, label: str) -> tuple[list[dict[str, Any]], ...]:
        """``klankbord report`` as CSV and XLSX: the CSV rows, the XLSX rows and comments."""
        files = {}
        for fmt in ("csv", "xlsx"):
            out = self.folder / f"{label}.{fmt}"
            result = self.app.test_cli_runner().invoke(
                args=["report", "--school-year", SCHOOL_YEAR, "--format", fmt, "--out", str(out)]
            )
            files[fmt] = out if result.exit_code == 0 else None  # refused below k
        rows_csv: list[dict[str, Any]] = []
        if files["csv"]:
            rows_csv = list(csv.DictReader(io.StringIO(files["csv"].read_text("utf-8-sig"))))
        rows_xlsx: list[dict[str, Any]] = []
        comments: list[dict[str, Any]] = []
        if files["xlsx"]:
            book = load_workbook(files["xlsx"], read_only=True)
            for sheet, into in (("data", rows_xlsx), ("comments", comments)):
                header, *rows = list(book[sheet].iter_rows(values_only=True))
                into += [dict(zip(header, row, strict=True)) for row in rows]
            book.close()
        return rows_csv, rows_xlsx, comments


def _answers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows about answers (not the trajectory figures, which move with the day)."""
    return [row for row in rows if row["measure_type"] != "trajectories"]


def _cli(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, f"klankbord {' '.join(args)}: {result.output}"
    return result.stdout


def publish_daily(app: Flask) -> None:
    """The day's publication, as cron runs it."""
    _cli(app, "daily")


@contextmanager
def _serving(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def _mailed_paths(inbox: Inbox, start: int) -> dict[str, str]:
    """Address -> link path, from the messages the SMTP server received since ``start``."""
    paths = {}
    for message in inbox.messages[start:]:
        body = message.get_body().get_content()
        (url,) = re.findall(r"https?://\S+/r/\S+", body)
        paths[str(message["To"])] = urllib.parse.urlsplit(url).path
    return paths


# ----------------------------------------------------------------------------- story


def tell(backend: str, folder: Path) -> Story:
    """Run the story on a fresh migrated database and return what the holder recorded."""
    rng = random.Random(SEED)
    today = [FIRST_DAY]
    with ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.setattr("survey.clock.today", lambda: today[0])
        url = stack.enter_context(fresh_database(backend, folder))
        inbox, smtp_port = stack.enter_context(mail_server())
        app = make_app(url, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port, SMTP_STARTTLS=False)
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
            register_builtin_questionnaires()
            db.session.commit()
        stack.callback(_dispose, app)
        holder = Holder(backend, url, stack)
        holder.prepare()
        base_url = stack.enter_context(_serving(app))
        app.config["BASE_URL"] = base_url

        links, items, (large_id, small_id), centre_code = _hand_out_links(app, inbox, today[0])
        api_token = _cli(app, "api-tokens", "create", "--centre", centre_code, "--name", "holder")
        api_token = api_token.strip().splitlines()[-1]

        order = _answering_order(rng, links, small_id)
        for link, values in zip(order, _patterns(rng, items, RESPONDENTS), strict=True):
            link.values = values
            link.comment = _comment(rng)
        for position, link in enumerate(order):
            link.saves_draft = position % 3 == 1

        staff = Staff(app, base_url, api_token, folder)
        staff.pull("start")
        holder.observe()
        backups: list[Snapshot | None] = []
        for position, link in enumerate(order):
            today[0] = FIRST_DAY + timedelta(days=position)
            respondent = Respondent(base_url, link)
            if link.saves_draft:
                respondent.save_half()
                holder.observe()
            if position == BACKUP_AT:
                backups.append(holder.backup(folder))
            respondent.send()
            holder.observe()
            if position == BACKUP_AT:
                backups.append(holder.backup(folder))
            publish_daily(app)
            holder.observe()
            staff.pull(f"day-{position}")
            holder.observe()  # the pull notes the API token's use
            if position == SMALL_SCHOOL_AT:
                _cli(app, "campaigns", "close", str(small_id))
                holder.observe()
                staff.pull("small-closed")
            if position == REMINDER_AFTER - 1:
                sent = len(inbox.messages)
                _cli(app, "campaigns", "remind", str(large_id))
                holder.observe()
                reminded = _mailed_paths(inbox, sent)
                # Every parent still to answer gets the reminder (some designs send it to
                # every address, so that it says nothing about who answered); the late ones
                # answer with the link it carries.
                assert {link.email for link in order[REMINDER_AFTER:]} - {None} <= set(reminded)
                for later in order[REMINDER_AFTER:]:
                    later.path = reminded.get(later.email, later.path)
        answering_ended = holder.polls[-1]
        today[0] += timedelta(days=1)
        _cli(app, "campaigns", "close", str(large_id))
        holder.observe()
        staff.pull("large-closed")
        publish_daily(app)
        holder.observe()
        staff.pull("end")
        holder.observe()

        final = holder.polls[-1]
        wal, nodes = holder.wal()
        story = Story(
            backend=backend,
            threshold=app.config["ANONYMITY_THRESHOLD"],
            links=order,
            truth=_truth(final, order),
            catalog=holder.catalog,
            final=final,
            answering_ended=answering_ended,
            polls=holder.polls,
            pulls=staff.pulls,
            backups=None if None in backups else (backups[0], backups[1]),
            pages=list(holder.pages.values()) if holder.super is not None else None,
            wal=wal,
            nodes=nodes,
            missing=holder.missing,
        )
    return story


def _hand_out_links(
    app: Flask, inbox: Inbox, today: date
) -> tuple[list[Link], list[str], tuple[int, int], str]:
    """The two campaigns and their 30 links, the mailed ones read back from the SMTP server.

    Returns the links, the questionnaire's statements, the campaigns' ids (large, small) and
    the centre's code.
    """
    with app.app_context():
        make = Factories(db.session)
        centre = make.centre()
        large_and_small = [make.school(centre), make.school(centre)]
        campaigns = [
            create_campaign(
                centre=centre,
                questionnaire_id=QUESTIONNAIRE,
                audiences=[Audience.PARENT],
                opens_on=date(2026, 5, 1),
                closes_on=date(2026, 6, 30),
                school=school,
            )
            for school in large_and_small
        ]
        addresses = [f"ouder{number}@example.org" for number in range(1, LARGE_MAILED + 1)]
        printed = issue_invitations(campaigns[0], Audience.PARENT, LARGE_PRINTED, today)
        mailed = issue_invitations(
            campaigns[0], Audience.PARENT, LARGE_MAILED, today, emails=addresses
        )
        lonely = issue_invitations(campaigns[1], Audience.PARENT, 1, today)
        send_invitation_emails(campaigns[0], mailed)
        db.session.commit()
        by_address = {item.invitation.email: item.invitation for item in mailed}
        links = [
            Link(item.invitation.id, item.invitation.campaign_id, item.path, None)
            for item in printed + lonely
        ]
        links += [
            Link(by_address[address].id, by_address[address].campaign_id, path, address)
            for address, path in _mailed_paths(inbox, 0).items()
        ]
        statements = questionnaire_of(campaigns[0]).items_for(Audience.PARENT.value)
        assert len(links) == RESPONDENTS
        return (
            links,
            sorted(item.id for item in statements),
            (campaigns[0].id, campaigns[1].id),
            centre.code,
        )


def _answering_order(rng: random.Random, links: list[Link], small_id: int) -> list[Link]:
    """A random order: the small school's parent at SMALL_SCHOOL_AT, REMINDED of the mailed
    parents only after the reminder, the other mailed parents before it."""
    (small,) = [link for link in links if link.campaign_id == small_id]
    mailed = [link for link in links if link.email]
    printed = [link for link in links if not link.email and link is not small]
    rng.shuffle(mailed)
    rng.shuffle(printed)
    early_mailed, late_mailed = mailed[REMINDED:], mailed[:REMINDED]
    early_printed = REMINDER_AFTER - 1 - len(early_mailed)
    before = early_mailed + printed[:early_printed]
    after = printed[early_printed:] + late_mailed
    rng.shuffle(before)
    rng.shuffle(after)
    before.insert(SMALL_SCHOOL_AT, small)
    return before + after


def _truth(final: Snapshot, links: list[Link]) -> dict[int, str]:
    """Which published response holds which respondent's unique pattern."""
    values: dict[str, dict[str, int]] = {}
    for row in final["anonymous_answer"].values():
        values.setdefault(str(row.values["response_id"]), {})[str(row.values["item_id"])] = int(
            row.values["value"]
        )
    by_pattern = {tuple(sorted(v.items())): response for response, v in values.items()}
    truth = {}
    for link in links:
        response = by_pattern.get(tuple(sorted(link.values.items())))
        assert response is not None, f"invitation {link.invitation_id}'s answers not published"
        truth[link.invitation_id] = response
    assert len(set(truth.values())) == RESPONDENTS
    return truth


def _wait_until_disconnected(database: str) -> None:
    """Wait until the superuser's session has left ``database``: the application's role, which
    drops the test database, may not end a superuser's session itself."""
    engine = create_engine(SUPERUSER_URL, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            for _ in range(200):
                left = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = :database AND usename = current_user"
                    ),
                    {"database": database},
                ).scalar_one()
                if not left:
                    return
                time.sleep(0.05)
    finally:
        engine.dispose()


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
