"""Benchmark: concurrent respondents submitting the parents' survey through gunicorn.

Two revisions of Klankbord are served side by side: the working tree (the new spending of
docs/anonymity.md) and the old design, ``--baseline`` (default: the last commit before the
privacy work), checked out with ``git worktree add`` into /tmp/klankbord-baseline, served
from there with the same venv and removed afterwards. Each gets its own PostgreSQL database
(``KLANKBORD_BENCH_DATABASE_URL``, default below, and the same name + ``_baseline``; the role
needs CREATEDB: databases are made and dropped through the ``postgres`` maintenance database),
migrated by its own tree's ``klankbord init-db``, with a ``tevredenheid-ouders`` campaign for
one school and single-use invitations made by that tree's own services (bench/_tree.py). The
apps are served by gunicorn with the project's gunicorn.conf.py on loopback, and ``--users``
virtual respondents (default 200) each, over and over with a fresh link: GET ``/r/<token>``,
parse the CSRF token and the fields from the HTML, POST a complete answer, follow the redirect
and check the thank-you page. No think time: a closed loop, so latency is mostly queueing.

The links are sized from the measured rate: a short calibration run of each Klankbord on its
first links, then links for what the rest of the benchmark needs at that rate times
``--link-margin``. A run that still spends its last link aborts the benchmark (exit status 3,
nothing written) instead of counting idle respondents as 0/s.

Then ``--seconds`` of the new app alone (the headline figures), and the ratios: both
Klankbords and two floors, under the same gunicorn settings and client, take turns in short
interleaved rounds (``--rounds`` x ``--round-seconds``): bench/_bare_app.py, a bare Flask app
doing one INSERT per POST, which the issue compares our submit throughput with, and
bench/_stack_app.py, Klankbord's own application (CSRF, rate limiting, session, language,
headers, database session) serving those bare pages, which tells what the stack alone leaves.
Klankbord new / old must reach 0.90 (the new spending may cost at most 10 %).

Afterwards each design publishes what waits with its own command (new: ``klankbord daily``,
old: ``klankbord publish-responses --all``) and its database is counted against the thank-you
pages: every thanked link must be spent (checked per link: by its nullifier in ``spent_link``
in the new design, by the SHA-256 the invitation keeps in the old) and its answer stored
exactly once, published or still waiting in the inbox, with all its statements and comments.

The ratio to the bare app is reported, not judged: the issue asked for >= 0.5, but the stack
that non-negotiable 6 and the issue's own security items require reaches about 0.5 of the bare
app with empty pages, which leaves no room for any page work (see "Decision" in the report and
issue 7's note of 2026-12-02). The verdict is 0 errors, 0 lost, 0 duplicated, new / old, and
the rate against the peak hour of a Flanders-wide letter morning.

Run from the repository root:
    .venv/bin/python bench/load.py [--users 200] [--seconds 60] [--rounds 7] [--write]
A smoke run in about two minutes:
    .venv/bin/python bench/load.py --seconds 5 --rounds 2 --round-seconds 5
``--write`` records the figures in bench/RESULTS.md, above the earlier run's. bench/faults.py
reuses this client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import random
import re
import resource
import runpy
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

from _results import RESULTS, machine, write_section
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://klankbord:klankbord@127.0.0.1:5432/klankbord_load"
QUESTIONNAIRE = "tevredenheid-ouders"
BIN = Path(sys.executable).parent  # the venv's bin: gunicorn and klankbord live next to python
THANKS_MARK = b"Bedankt!"
# The respondent's error page (respond/error.html) in Dutch. After a failed POST it reads "Je
# antwoorden zijn misschien niet aangekomen. Ga terug (...) en verstuur ze zo meteen opnieuw.",
# after a failed GET (form, thank-you page) "Deze pagina kon nu niet geladen worden. Probeer
# het zo meteen opnieuw."; the mark is the part both share, so every phase counts it.
RETRY_MARK = b"zo meteen opnieuw"
COMMENT_SHARE = 0.25
COMMENTS = [
    "De leerondersteuner neemt echt de tijd voor ons kind.",
    "Ik had graag wat vaker nieuws gekregen over hoe het gaat.",
    "De afspraken na het overleg werden goed opgevolgd.",
    "Fijn dat de school en het centrum samen rond de tafel zitten.",
]
REQUEST_TIMEOUT = 60.0
# The trajectories of a Flanders-sized installation: bench/scale.py generates this many.
FLANDERS_TRAJECTORIES = 100_000
# The last commit before the privacy work (docs/anonymity.md): the old design the new
# spending is measured against, served from a worktree of that commit.
BASELINE_REV = "c381311"
# S108: a fixed path the issue names, made by ``git worktree add`` and removed afterwards.
BASELINE_TREE = Path("/tmp/klankbord-baseline")  # noqa: S108
# Each turn of a server in the interleaved rounds starts with this much unmeasured load.
ROUND_WARMUP = 3.0
CALIBRATION_WARMUP = 3.0
# Exit status when a run ran out of links: its figures would count an idle server as 0/s.
EXIT_NO_LINKS = 3

# The new design keys links, nullifiers and the sealed inbox with one anonymity key, which
# every process of a run (seeding, gunicorn, the CLI's publication, the counting) must share;
# unset, each would make its own in instance/. One fresh key per run, inherited by them all
# (bench/faults.py and bench/scale.py import this module and get the same). The old design
# ignores it.
os.environ.setdefault("KLANKBORD_ANONYMITY_KEY", secrets.token_urlsafe(32))


# --- the database ------------------------------------------------------------------------


def bench_url() -> str:
    return os.environ.get("KLANKBORD_BENCH_DATABASE_URL") or DEFAULT_URL


def _maintenance(url: str):
    target = make_url(url)
    engine = create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    return engine, engine.dialect.identifier_preparer.quote(target.database)


def recreate_database(url: str) -> None:
    engine, name = _maintenance(url)
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()


def sibling_url(url: str, suffix: str) -> str:
    """The same server and role, another database: ``<database><suffix>``."""
    target = make_url(url)
    return target.set(database=f"{target.database}{suffix}").render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    engine, name = _maintenance(url)
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()


def _tree_env(tree: Path) -> dict[str, str]:
    """The environment a subprocess needs to import ``survey`` from ``tree``."""
    if tree == ROOT:
        return {}
    return {"PYTHONPATH": str(tree)}


def klankbord(url: str, *args: str, tree: Path = ROOT) -> str:
    """Run the app's own command line (of the working tree, or of ``tree``) against ``url``."""
    env = {
        **os.environ,
        **_tree_env(tree),
        "KLANKBORD_DATABASE_URL": url,
        "KLANKBORD_SECRET_KEY": "bench-cli",
    }
    # Our own venv's klankbord with arguments fixed in this file. With PYTHONPATH set it
    # imports the other tree's survey package (the editable install's finder comes after
    # PYTHONPATH), and cwd is that tree too.
    return _run_in(tree, env, [str(BIN / "klankbord"), *args]).strip()


def _run_in(tree: Path, env: dict[str, str], command: list[str]) -> str:
    """A command's output, run in ``tree``; its error output in the exception when it fails."""
    # S603: only this file's own commands (our venv's klankbord or python), no shell.
    result = subprocess.run(  # noqa: S603
        command, env=env, cwd=tree, check=False, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} in {tree} failed ({result.returncode}):\n" + result.stderr[-3000:]
        )
    return result.stdout


def tree_helper(tree: Path, *args: str) -> dict:
    """bench/_tree.py with ``tree``'s survey package: that tree's own code seeds and counts."""
    env = {**os.environ, "PYTHONPATH": str(tree), "KLANKBORD_SECRET_KEY": "bench-tree"}
    # Our venv's python running our own helper with arguments from this file.
    answer = json.loads(
        _run_in(tree, env, [sys.executable, str(ROOT / "bench" / "_tree.py"), *args])
    )
    if Path(answer["survey"]) != (tree / "survey").resolve():
        raise RuntimeError(f"bench/_tree.py imported {answer['survey']}, not {tree}/survey")
    return answer


def seed(
    url: str, count: int, tree: Path = ROOT, campaign: int | None = None
) -> tuple[list[str], int]:
    """A parents' campaign for one school (or ``campaign``) and ``count`` more single-use links."""
    extra = () if campaign is None else ("--campaign", str(campaign))
    answer = tree_helper(tree, "seed", url, str(count), *extra)
    return answer["tokens"], answer["campaign"]


def git(*args: str) -> str:
    # S603, S607: git from PATH with arguments from this file, no shell.
    result = subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), *args],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def remove_worktree(tree: Path) -> None:
    if tree.exists():
        git("worktree", "remove", "--force", str(tree))
    git("worktree", "prune")


@contextlib.contextmanager
def baseline_tree(rev: str, tree: Path = BASELINE_TREE) -> Iterator[tuple[Path, str]]:
    """``rev`` checked out into ``tree`` (a detached worktree), removed afterwards.

    Yields the tree and ``<short hash> <subject>`` of the commit. The translations are
    compiled in it as ``make`` does (the .mo files are not in git).
    """
    remove_worktree(tree)  # a leftover of an interrupted run
    git("worktree", "add", "--detach", str(tree), rev)
    try:
        # S603: the venv's pybabel with fixed arguments.
        subprocess.run(  # noqa: S603
            [str(BIN / "pybabel"), "-q", "compile", "-d", "translations"],
            cwd=tree,
            check=True,
            capture_output=True,
        )
        yield tree, git("-C", str(tree), "log", "-1", "--format=%h %s")
    finally:
        remove_worktree(tree)


def create_bare_table(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE bare_submission "
                "(id bigserial PRIMARY KEY, token text NOT NULL, answers text NOT NULL)"
            )
        )
    engine.dispose()


def has_table(url: str, name: str) -> bool:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return inspect(engine).has_table(name)
    finally:
        engine.dispose()


def publish(url: str, tree: Path = ROOT) -> str:
    """Publish what waits, with the command of the tree's design.

    The new design (a ``spent_link`` table) publishes only from ``klankbord daily``, in
    k-anonymous batches, never inside a respondent request; the old one with
    ``klankbord publish-responses --all``.
    """
    if has_table(url, "spent_link"):
        return klankbord(url, "daily", tree=tree)
    return klankbord(url, "publish-responses", "--all", tree=tree)


def count_app(url: str, thanked: list[Outcome], items: int, tree: Path = ROOT) -> dict:
    """Publish what waits, then count the database against the thank-you pages.

    Every thanked link must be spent (checked per link: its SHA-256 in the old design, its
    nullifier in the new one) and its answer stored exactly once, published or still waiting.
    """
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        waiting = connection.scalar(text("SELECT count(*) FROM response_inbox"))
    engine.dispose()
    published = publish(url, tree)
    sent = {"items": items, "thanked": [[o.token, o.comment] for o in thanked]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(sent, handle)
    try:
        counts = tree_helper(tree, "count", url, handle.name)
    finally:
        Path(handle.name).unlink()
    counts.update(waiting_before_publish=waiting, published=published)
    return counts


def count_bare(url: str, thanked: list[Outcome]) -> dict:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        rows, tokens = connection.execute(
            text("SELECT count(*), count(DISTINCT token) FROM bare_submission")
        ).one()
        stored = set(connection.scalars(text("SELECT DISTINCT token FROM bare_submission")))
    engine.dispose()
    return {
        "thanked": len(thanked),
        "rows": rows,
        "lost": len({outcome.token for outcome in thanked} - stored),
        "duplicated": rows - tokens,
    }


# --- gunicorn ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def gunicorn_settings() -> dict:
    """workers, threads and max_requests as gunicorn.conf.py computes them here."""
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return {key: conf.get(key) for key in ("workers", "threads", "max_requests", "timeout")}


class Gunicorn:
    """gunicorn -c gunicorn.conf.py [APP], in its own process group, logging to a file.

    ``tree`` is the source tree served (its gunicorn.conf.py, its survey package): the working
    tree, or the baseline's worktree.
    """

    def __init__(
        self,
        port: int,
        env: dict[str, str],
        log: Path,
        app: str | None = None,
        tree: Path = ROOT,
    ):
        self.port, self.log, self.app, self.tree = port, log, app, tree
        self.env = {**os.environ, **env, **_tree_env(tree), "KLANKBORD_BIND": f"127.0.0.1:{port}"}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [str(BIN / "gunicorn"), "-c", str(self.tree / "gunicorn.conf.py")]
        if self.app:
            command.append(self.app)  # overrides the config file's wsgi_app
        with self.log.open("ab") as log:
            # S603: our venv's gunicorn with arguments from this file; its own session, so
            # the whole server (master and workers) is one process group we can signal.
            self.process = subprocess.Popen(  # noqa: S603
                command,
                cwd=self.tree,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 180.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return time.monotonic() - started
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s; see {self.log}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> list[int]:
        return children(self.pid)

    def kill_all(self) -> None:
        """kill -9 the master and every worker at once (its process group)."""
        os.killpg(self.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # graceful: requests in flight finish
        try:
            self.process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait()

    def boots(self) -> int:
        """How many workers booted so far (the first ones, restarts and max_requests)."""
        return self.log.read_text(errors="replace").count("Booting worker with pid")


# --- the HTTP client ---------------------------------------------------------------------


class IncompleteResponse(ConnectionError):
    """The server closed the connection before a whole response arrived."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("location", "")).path


def _dechunk(payload: bytes) -> bytes:
    body, rest = b"", payload
    while True:
        size_line, sep, rest = rest.partition(b"\r\n")
        if not sep:
            raise IncompleteResponse("truncated chunk")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body
        if len(rest) < size + 2:
            raise IncompleteResponse("truncated chunk")
        body, rest = body + rest[:size], rest[size + 2 :]


async def fetch(
    port: int, method: str, path: str, cookies: dict[str, str], body: bytes | None = None
) -> Reply:
    """One HTTP/1.1 request on a new connection (``Connection: close``), read to the end."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Connection: close",
        "Accept-Language: nl-BE, nl;q=0.9",
        "User-Agent: klankbord-bench",
    ]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if body is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
    async with asyncio.timeout(REQUEST_TIMEOUT):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(request)
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    head, sep, payload = raw.partition(b"\r\n\r\n")
    if not sep:
        raise IncompleteResponse(f"{len(raw)} bytes, no complete header")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    new_cookies: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            cookie, _, rest = value.partition("=")
            new_cookies[cookie] = rest.split(";", 1)[0]
        else:
            headers[name] = value
    if headers.get("transfer-encoding", "").lower() == "chunked":
        payload = _dechunk(payload)
    elif len(payload) < int(headers.get("content-length", 0)):
        raise IncompleteResponse("body shorter than Content-Length")
    return Reply(int(status_line.split()[1]), headers, new_cookies, payload)


# The load generator shares the machine's two cores with the server it measures, so reading a
# form must cost it little, and the same whatever the server: html.parser took 5.6 ms for
# Klankbord's 17 KB form page against 1.2 ms for the floors' 2.7 KB one, a third of a core at
# Klankbord's rate spent on the client's side of the comparison. Finding the form's tags and
# their attributes (markup we write ourselves) needs no full parser: 0.5 ms for either page,
# the same fields as html.parser found.
_FORM_TAG = re.compile(
    r"""<(/?form|input|textarea|button)\b((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE
)
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


@dataclass
class FormPage:
    """The POST form of a page: hidden fields, radio groups, text areas, submit buttons."""

    action: str | None = None
    hidden: list[tuple[str, str]] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)
    texts: list[tuple[str, int]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)


def parse_form(html: str) -> FormPage:
    page, inside = FormPage(), False
    for tag_match in _FORM_TAG.finditer(html):
        tag = tag_match.group(1).lower()
        a = {
            name.lower(): unescape(double or single or bare)
            for name, double, single, bare in _ATTRIBUTE.findall(tag_match.group(2))
        }
        if tag == "form" and a.get("method", "").lower() == "post":
            page.action, inside = a.get("action"), True
        elif tag == "/form":
            inside = False
        elif not inside or not a.get("name"):
            continue
        elif tag == "input" and a.get("type", "text").lower() == "hidden":
            page.hidden.append((a["name"], a.get("value", "")))
        elif tag == "input" and a.get("type", "").lower() == "radio":
            page.choices.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "textarea":
            page.texts.append((a["name"], int(a.get("maxlength") or 1000)))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            page.buttons.append((a["name"], a.get("value", "")))
    return page


def read_form(reply: Reply, token: str) -> FormPage | str:
    """The parsed form, or what is wrong with the page."""
    if reply.status != 200:
        return status_kind(reply)
    page = parse_form(reply.body.decode("utf-8", errors="replace"))
    if page.action != f"/r/{token}":
        return "form: no form posting to the link"
    if not any(name == "csrf_token" for name, _ in page.hidden):
        return "form: no CSRF token"
    if ("action", "submit") not in page.buttons or not page.choices:
        return "form: not a one-page form with statements"
    return page


def fill_in(page: FormPage, rng: random.Random) -> tuple[bytes, bool]:
    """A complete, valid answer: every statement and, now and then, a comment."""
    pairs = list(page.hidden)
    pairs += [(name, rng.choice(values)) for name, values in page.choices.items()]
    wrote = False
    for name, limit in page.texts:
        comment = rng.choice(COMMENTS)[:limit] if rng.random() < COMMENT_SHARE else ""
        wrote = wrote or bool(comment)
        pairs.append((name, comment))
    pairs.append(("action", "submit"))
    return urlencode(pairs).encode("ascii"), wrote


def status_kind(reply: Reply) -> str:
    if reply.status in (500, 503):
        kept = "retry page" if RETRY_MARK in reply.body else "raw page"
        return f"{reply.status} ({kept})"
    return f"HTTP {reply.status}"


def exception_kind(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionError | OSError):
        return "connection reset/closed"
    return f"client error: {type(exc).__name__}"


# --- respondents -------------------------------------------------------------------------


@dataclass
class Outcome:
    """One link's submission, possibly over several attempts."""

    token: str
    started: float
    finished: float = 0.0
    thanked: bool = False
    comment: bool = False
    post_latency: float = 0.0  # of the POST that was answered with the redirect to thanks
    attempts: int = 0  # POSTs sent
    failures: int = 0  # failed requests on the way (each one retried in bench/faults.py)
    error: str | None = None  # why it was given up


@dataclass
class Event:
    at: float
    stage: str  # form, submit, thanks
    kind: str


@dataclass
class Run:
    started: float
    measure_from: float
    deadline: float
    retry_until: float | None
    outcomes: list[Outcome] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    ran_out: bool = False
    items: int = 0  # statements on the form, as parsed

    def fail(self, outcome: Outcome, stage: str, kind: str) -> None:
        outcome.failures += 1
        self.events.append(Event(time.monotonic(), stage, kind))


async def _pause(rng: random.Random, tries: int) -> None:
    """A respondent waiting a moment before pressing again (0.25 s doubling to 2 s, jitter)."""
    await asyncio.sleep(min(2.0, 0.25 * 2**tries) * (0.5 + rng.random()))


def _may_retry(run: Run) -> bool:
    return run.retry_until is not None and time.monotonic() < run.retry_until


async def _step(run: Run, outcome: Outcome, stage: str, request, check) -> object | None:
    """Send ``request()`` until ``check(reply)`` gives a result; None when given up."""
    tries = 0
    while True:
        try:
            result = check(await request())
        except (OSError, TimeoutError) as exc:
            result = exception_kind(exc)
        if not isinstance(result, str):
            return result
        run.fail(outcome, stage, result)
        if not _may_retry(run):
            return None
        await _pause(random.Random(), tries)
        tries += 1


async def respond(port: int, outcome: Outcome, rng: random.Random, run: Run) -> None:
    """Open the link, answer, submit and read the thank-you page, as a phone would.

    With ``run.retry_until`` set, a failure is retried as a respondent would: the form is
    fetched again, and the same answers are sent again on the same link (the browser keeps
    them on the page; the cookie and the CSRF token stay the same).
    """
    token, cookies = outcome.token, {}

    async def get_form() -> Reply:
        return await fetch(port, "GET", f"/r/{token}", cookies)

    def check_form(reply: Reply) -> FormPage | str:
        cookies.update(reply.cookies)
        return read_form(reply, token)

    page = await _step(run, outcome, "form", get_form, check_form)
    if page is None:
        outcome.error = "form"
        return
    run.items = len(page.choices)
    body, outcome.comment = fill_in(page, rng)
    sent = 0.0

    async def post() -> Reply:
        nonlocal sent
        outcome.attempts += 1
        sent = time.monotonic()
        return await fetch(port, "POST", f"/r/{token}", cookies, body)

    def check_post(reply: Reply) -> bool | str:
        cookies.update(reply.cookies)
        if reply.status in (302, 303) and reply.location == f"/r/{token}/thanks":
            outcome.post_latency = time.monotonic() - sent
            return True
        return status_kind(reply)

    if await _step(run, outcome, "submit", post, check_post) is None:
        outcome.error = "submit"
        return

    async def get_thanks() -> Reply:
        return await fetch(port, "GET", f"/r/{token}/thanks", cookies)

    def check_thanks(reply: Reply) -> bool | str:
        if reply.status == 200 and THANKS_MARK in reply.body:
            return True
        return status_kind(reply) if reply.status != 200 else "thanks: no thank-you text"

    if await _step(run, outcome, "thanks", get_thanks, check_thanks) is None:
        outcome.error = "thanks"
        return
    outcome.thanked = True
    outcome.finished = time.monotonic()


async def drive(
    port: int,
    tokens: Iterable[str],
    users: int,
    seconds: float,
    warmup: float = 0.0,
    retry_grace: float | None = None,
    beside=None,
) -> Run:
    """``users`` respondents, each taking a fresh link per submission until the deadline.

    Submissions in flight at the deadline are finished (and counted in the database check)
    but only those completed within the measured window count for throughput. ``beside`` is
    a coroutine function run alongside (the fault injector).
    """
    now = time.monotonic()
    run = Run(
        started=now,
        measure_from=now + warmup,
        deadline=now + warmup + seconds,
        retry_until=None if retry_grace is None else now + warmup + seconds + retry_grace,
    )
    feed = iter(tokens)

    async def user(number: int) -> None:
        rng = random.Random(number)
        while time.monotonic() < run.deadline:
            token = next(feed, None)
            if token is None:
                run.ran_out = True
                return
            outcome = Outcome(token, time.monotonic())
            run.outcomes.append(outcome)
            await respond(port, outcome, rng, run)

    jobs = [user(number) for number in range(users)]
    if beside is not None:
        jobs.append(beside(run))
    await asyncio.gather(*jobs)
    return run


def quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summarize(run: Run, seconds: float) -> dict:
    window = [
        o for o in run.outcomes if o.thanked and run.measure_from <= o.finished <= run.deadline
    ]
    latencies = [o.post_latency for o in window]
    return {
        "submissions": len(window),
        "throughput": len(window) / seconds,
        "p50": quantile(latencies, 50),
        "p95": quantile(latencies, 95),
        "p99": quantile(latencies, 99),
        "thanked": [o for o in run.outcomes if o.thanked],
        "given_up": sum(o.error is not None for o in run.outcomes),
        "events": Counter(f"{e.stage}: {e.kind}" for e in run.events),
        "ran_out": run.ran_out,
    }


# --- measuring a server ------------------------------------------------------------------


def cpu_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def load_average(all_three: bool = False) -> str:
    values = os.getloadavg() if all_three else os.getloadavg()[:1]
    return " / ".join(f"{value:.2f}" for value in values)


def measure(
    server: Gunicorn, tokens: Iterable[str], users: int, seconds: float, warmup: float
) -> tuple[Run, dict]:
    load_before = load_average()
    server.start()
    ready = server.wait_ready()
    workers = len(server.workers())
    cpu_before, client_before = cpu_jiffies(), resource.getrusage(resource.RUSAGE_SELF)
    wall = time.monotonic()
    run = asyncio.run(drive(server.port, tokens, users, seconds, warmup))
    wall = time.monotonic() - wall
    cpu_after, client_after = cpu_jiffies(), resource.getrusage(resource.RUSAGE_SELF)
    boots = server.boots()
    server.stop()
    figures = summarize(run, seconds)
    client = (client_after.ru_utime + client_after.ru_stime) - (
        client_before.ru_utime + client_before.ru_stime
    )
    figures.update(
        ready=ready,
        workers=workers,
        reboots=boots - workers,
        machine_busy=(cpu_after[0] - cpu_before[0]) / max(1, cpu_after[1] - cpu_before[1]),
        client_cpu=client / wall,
        load=f"{load_before} / {load_average()}",
    )
    return run, figures


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _events(counter: Counter) -> str:
    return ", ".join(f"{kind} x{n}" for kind, n in sorted(counter.items())) or "none"


FLOOR_APPS = {"stack": "bench._stack_app:app", "bare": "bench._bare_app:app"}
NAMES = {
    "app": "Klankbord new",
    "old": "Klankbord old",
    "stack": "Klankbord's stack, bare pages",
    "bare": "bare Flask",
}
# The servers whose links are invitations, issued beforehand and spent once each.
LINKED = ("app", "old")
SERVERS = ("app", "old", *FLOOR_APPS)


class OutOfLinks(RuntimeError):
    """A run spent every link it had: the rest of it would measure an idle server as 0/s."""


@dataclass
class Links:
    """The invitations of one campaign, handed out in order across all runs of a server."""

    tokens: list[str]
    campaign: int
    taken: int = 0

    def add(self, tokens: list[str]) -> None:
        self.tokens += tokens

    def feed(self) -> Iterator[str]:
        while self.taken < len(self.tokens):
            self.taken += 1
            yield self.tokens[self.taken - 1]


def endless_tokens() -> Iterator[str]:
    """The floors need no invitations: any token-shaped string will do, as many as asked."""
    while True:
        yield secrets.token_urlsafe(32)


def out_of_links(what: str, name: str, links: Links, args) -> OutOfLinks:
    return OutOfLinks(
        f"{what}: {NAMES[name]} spent all {len(links.tokens):,} links issued for it, so its "
        "respondents stopped before the end and its submissions/s would count idle time. "
        + (
            f"Raise --tokens (now {args.tokens:,})."
            if args.tokens
            else f"The links were sized from the calibrated rate x {args.link_margin}; "
            "raise --link-margin or --calibration-seconds."
        )
    )


def ratio_rounds(
    servers: dict[str, Gunicorn], feeds: dict[str, Links | None], args
) -> list[dict[str, dict]]:
    """Short runs of the servers in turn, ``args.rounds`` times, the order rotating.

    Throughput on this shared virtual machine drifts by a factor of two over minutes (other
    tenants); servers measured one after the other in long runs compare that drift as much as
    the servers. Interleaved short runs see the same drift, so their per-round ratios hold.
    All servers stay up, idle when not driven. A server with invitations (``feeds[name]``)
    that spends its last link in a round aborts the benchmark (``OutOfLinks``).
    """
    for server in servers.values():
        server.start()
    for server in servers.values():
        server.wait_ready()
    rounds: list[dict[str, dict]] = []
    try:
        names = list(servers)
        for number in range(args.rounds):
            order = names[number % len(names) :] + names[: number % len(names)]
            results: dict[str, dict] = {"order": order}
            for name in order:
                links = feeds.get(name)
                tokens = links.feed() if links else endless_tokens()
                run = asyncio.run(
                    drive(servers[name].port, tokens, args.users, args.round_seconds, ROUND_WARMUP)
                )
                if links and run.ran_out:
                    raise out_of_links(f"round {number + 1}", name, links, args)
                results[name] = summarize(run, args.round_seconds)
                results[name]["items"] = run.items
            print(
                f"round {number + 1}: "
                + ", ".join(f"{n} {results[n]['throughput']:.1f}/s" for n in names),
                flush=True,
            )
            rounds.append(results)
    finally:
        for server in servers.values():
            server.stop()
    return rounds


def links_needed(rate: float, seconds: float, runs: int, users: int, margin: float) -> int:
    """Links for ``seconds`` of load at ``margin`` times ``rate``, and one in flight per
    respondent at the end of each of ``runs`` runs."""
    return math.ceil(rate * margin * seconds) + users * runs


def _ratio(part: dict, whole: dict) -> float:
    return part["throughput"] / whole["throughput"] if whole["throughput"] else float("nan")


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


PAIRS = (("app", "old"), ("app", "bare"), ("stack", "bare"), ("app", "stack"))
# The new spending may cost at most 10 % of the old design's submissions per second.
BUDGET = 0.90


def _integrity_rows(new: dict, old: dict) -> list[str]:
    def row(label: str, key) -> str:
        def cell(check: dict) -> str:
            try:
                return str(key(check))
            except KeyError:  # a figure the other design does not have
                return "-"

        return f"| {label} | {cell(new)} | {cell(old)} |"

    def stored(check: dict) -> int:
        return check["responses"] + check["waiting_after"]

    return [
        f"| check | {NAMES['app']} | {NAMES['old']} |",
        "|---|---|---|",
        row("design", lambda c: c["design"]),
        row("links issued", lambda c: f"{c['issued']:,}"),
        row("thank-you pages received", lambda c: f"{c['thanked']:,}"),
        row("links spent (`spent_link` rows / used invitations)", lambda c: f"{c['used']:,}"),
        row("thanked tokens that are not genuine links (MAC)", lambda c: c["not_links"]),
        row(
            "thanked links not spent (per link: nullifier / SHA-256)",
            lambda c: c["thanked_not_used"],
        ),
        row("spent links without a thank-you page", lambda c: c["used_not_thanked"]),
        row("anonymous responses published", lambda c: f"{c['responses']:,}"),
        row("answers still waiting in the inbox", lambda c: f"{c['waiting_after']:,}"),
        row(
            "published + waiting (= thank-you pages)",
            lambda c: f"{stored(c):,} ({stored(c) == c['thanked']})",
        ),
        row(
            "statement answers, published + waiting (= statements x thank-you pages)",
            lambda c: (
                f"{c['answers'] + c['answers_waiting']:,} "
                f"({c['answers'] + c['answers_waiting'] == c['items'] * c['thanked']})"
            ),
        ),
        row("published responses missing answers", lambda c: c["short_responses"]),
        row("waiting answers missing answers", lambda c: c["short_waiting"]),
        row(
            "campaign's published count (= published responses)",
            lambda c: f"{c['published_counter']:,} ({c['published_counter'] == c['responses']})",
        ),
        row("drafts left", lambda c: c["drafts_left"]),
        row(
            "comments published + waiting / sent",
            lambda c: f"{c['comments'] + c['comments_waiting']:,} / {c['comments_sent']:,}",
        ),
        row("**lost / duplicated**", lambda c: f"**{c['lost']} / {c['duplicated']}**"),
    ]


def _complete(check: dict) -> bool:
    """Every thanked answer stored once, published or waiting, with all its parts."""
    stored = check["responses"] + check["waiting_after"]
    answers = check["answers"] + check["answers_waiting"]
    comments = check["comments"] + check["comments_waiting"]
    return (
        stored == check["thanked"] == check["used"]
        and answers == check["items"] * check["thanked"]
        and comments == check["comments_sent"]
    )


def report(args, context: dict) -> str:
    settings, app, rounds = context["settings"], context["app"], context["rounds"]
    check, old_check, floor_check = context["check"], context["old_check"], context["floors"]
    timings, loads, links = context["timings"], context["loads"], context["links"]
    errors = sum(app["events"].values())
    ratios = {pair: [_ratio(r[pair[0]], r[pair[1]]) for r in rounds] for pair in PAIRS}
    versus_old = ratios[("app", "old")]
    old_median = statistics.median(versus_old)
    ratio = statistics.median(ratios[("app", "bare")])
    pages = statistics.median(ratios[("app", "stack")])
    stack_ratios = ratios[("stack", "bare")]
    stack_median = statistics.median(stack_ratios)
    # Every link of a Flanders-wide letter morning (two parents a trajectory) in one hour.
    flanders_links = 2 * FLANDERS_TRAJECTORIES
    peak = flanders_links / 3600
    round_errors = {name: sum(sum(r[name]["events"].values()) for r in rounds) for name in SERVERS}
    calibration = context["calibration"]
    round_time = args.rounds * (args.round_seconds + ROUND_WARMUP)
    lines = [
        f"## Benchmark: {args.users} concurrent respondents through gunicorn and PostgreSQL",
        "",
        "Setup: PostgreSQL 15 on loopback. Two databases, each made and migrated with its own "
        f"tree's `klankbord init-db` ({timings['migrate']:.0f} s): one for the working tree "
        f"(the new spending) and one for the old design, commit {context['baseline']}, "
        f"checked out with `git worktree add` into `{BASELINE_TREE}` and served from there "
        "with the same venv (`PYTHONPATH` set to it; its own `gunicorn.conf.py`, migrations "
        "and `issue_invitations`; the worktree is removed afterwards). Each has one "
        f"`{QUESTIONNAIRE}` campaign for one school. gunicorn with the project's "
        f"`gunicorn.conf.py`: {settings['workers']} workers x {settings['threads']} threads "
        f"(gthread), max_requests {settings['max_requests']} (+ jitter), access log on. "
        f"Client: one asyncio process, {args.users} virtual respondents, no think time; each "
        "takes a fresh link per submission: GET `/r/<token>` (CSRF token and fields read "
        "from the form's tags), POST every statement (a comment in ~25 %), follow the "
        "redirect and check the thank-you page; a new connection per request. "
        f"{args.warmup:.0f} s warm-up, then {args.seconds:.0f} s measured; submissions still "
        "in flight at the end are finished and counted in the database check.",
        "",
        f"Command: `.venv/bin/python bench/load.py --users {args.users} "
        f"--seconds {args.seconds:.0f} --rounds {args.rounds} "
        f"--round-seconds {args.round_seconds:.0f} --baseline {args.baseline} --write`",
        "",
        f"| measure | {NAMES['app']} submit |",
        "|---|---|",
        f"| **submissions/s** | **{app['throughput']:.1f}** |",
        f"| submissions in the window | {app['submissions']:,} |",
        f"| submit POST p50 / p95 / p99 | {_ms(app['p50'])} / {_ms(app['p95'])} / "
        f"{_ms(app['p99'])} |",
        f"| errors (failed requests) | {errors} ({_events(app['events'])}) |",
        f"| worker restarts (max_requests) | {app['reboots']} |",
        f"| machine CPU busy (both cores) | {app['machine_busy']:.0%} |",
        f"| load generator CPU (share of one core) | {app['client_cpu']:.0%} |",
        f"| load average 1 min (before / after) | {app['load']} |",
        f"| gunicorn ready after | {app['ready']:.0f} s |",
        "",
        "Latency is measured by the client and includes queueing: "
        f"{args.users} respondents share {settings['workers'] * settings['threads']} server "
        "threads.",
        "",
        "### Links: sized from the measured rate",
        "",
    ]
    if calibration:
        lines += [
            f"Each Klankbord first runs {args.calibration_seconds:.0f} s (after "
            f"{CALIBRATION_WARMUP:.0f} s of warm-up) on its first links: "
            + ", ".join(f"{NAMES[n]} {calibration[n]['throughput']:.1f}/s" for n in LINKED)
            + f". The links for the rest are issued from that rate times {args.link_margin} "
            f"(the host drifts by up to a factor of two), for the load still to come "
            f"({args.warmup + args.seconds:.0f} s + {args.rounds} x "
            f"{args.round_seconds + ROUND_WARMUP:.0f} s new, {round_time:.0f} s old), plus "
            "one link in flight per respondent at the end of every run.",
            "",
        ]
    else:
        lines += [f"Links fixed with `--tokens {args.tokens}`, no calibration.", ""]
    lines += [
        "| | links issued | links spent | share spent |",
        "|---|---|---|---|",
        *(
            f"| {NAMES[n]} | {len(links[n].tokens):,} | {links[n].taken:,} | "
            f"{links[n].taken / max(1, len(links[n].tokens)):.0%} |"
            for n in LINKED
        ),
        "",
        "A run that spends its last link stops the benchmark with a message and exit status "
        f"{EXIT_NO_LINKS}, so no round counts respondents without links as 0/s.",
        "",
        "### The new spending against the old design, and the floors",
        "",
        "Four servers run side by side under the same gunicorn settings and client:",
        "",
        f"- **{NAMES['app']}**: the working tree (the spending of docs/anonymity.md).",
        f"- **{NAMES['old']}**: commit {context['baseline'].split()[0]}, the last before the "
        "privacy work, on its own database.",
        "- **bare Flask** (`bench/_bare_app.py`): a bare Flask app serving the same three pages "
        "with the same fields, one INSERT per POST (SQLAlchemy Core, pool_pre_ping). The "
        "issue's floor.",
        "- **Klankbord's stack, bare pages** (`bench/_stack_app.py`, of the working tree): "
        "Klankbord's own application object, so every request passes CSRF protection, "
        "Flask-Limiter (app-wide and the link-guessing throttle), Flask-Login, Flask-Babel, "
        "the signed session, the security headers, the database session with pre-ping and "
        "the redacting access log, with the bare app's pages as views: a real CSRF token in "
        "the form and checked on the POST, one INSERT through `db.session`.",
        "",
        f"They take turns: {args.rounds} rounds of {args.round_seconds:.0f} s each (after "
        f"{ROUND_WARMUP:.0f} s of warm-up), the order rotating. On this shared virtual machine "
        "throughput drifts by a factor of two over minutes; servers measured in turn within a "
        "round see the same drift, so each ratio is the median of the rounds' ratios.",
        "",
        "| round (order) | new/s | old/s | stack/s | bare/s | **new / old** | new / bare | "
        "stack / bare | new / stack |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for number, r in enumerate(rounds):
        lines.append(
            f"| {number + 1} ({', '.join(r['order'])}) | "
            + " | ".join(f"{r[n]['throughput']:.1f}" for n in SERVERS)
            + " | "
            + " | ".join(f"{ratios[pair][number]:.2f}" for pair in PAIRS)
            + " |"
        )
    lines += [
        "| **median (range)** | | | | | "
        + " | ".join(f"**{_spread(ratios[pair])}**" for pair in PAIRS)
        + " |",
        "",
        f"**Klankbord new / old: {old_median:.2f}** (rounds {min(versus_old):.2f}-"
        f"{max(versus_old):.2f}); the issue allows the new spending to cost at most 10 % of "
        f"the submissions per second, a median of at least {BUDGET:.2f}: "
        f"**{'passed' if old_median >= BUDGET else 'failed'}**. Errors in the rounds: "
        + ", ".join(f"{NAMES[n]} {round_errors[n]}" for n in SERVERS)
        + ".",
        "",
        "The ratio compares each design's whole respondent path. The new one checks the "
        "link's MAC, reads campaign, nullifier and draft in one query, and on sending takes "
        "the link's advisory lock, inserts the nullifier and deposits the sealed answer; it "
        "never publishes. "
        + (
            f"The old one ({BASELINE_REV}) finds the invitation by its SHA-256, spends it with "
            "a conditional UPDATE, and after that commit counts the inbox and, once k answers "
            "wait, publishes them in a second transaction inside the same request "
            "(`survey/respond/routes.py` there), so answers hardly wait: "
            if args.baseline == BASELINE_REV
            else "The old one is whatever the baseline revision does: "
        )
        + f"{check['waiting_before_publish']:,} answers (new) and "
        f"{old_check['waiting_before_publish']:,} (old) were still waiting when the load "
        "ended.",
        "",
        f"**Ratio to the bare INSERT: {ratio:.2f}** (the issue asked for >= 0.5: see the "
        f"decision below); Klankbord new / stack {pages:.2f}.",
        "",
        f"Klankbord's stack alone, serving pages that do no work, reaches {stack_median:.2f} of "
        f"the bare app (rounds {min(stack_ratios):.2f}-{max(stack_ratios):.2f}). That cost is "
        "the libraries the project requires (Flask-WTF's CSRF, Flask-Limiter, Flask-Login, "
        "Flask-Babel, Flask's signed session) and the protections the same issue asks for. "
        + (
            f"To reach 0.5 of the bare app, our pages would have to run at "
            f"{0.5 / stack_median:.2f} of that stack with empty pages"
            if stack_median > 0.5
            else "To reach 0.5 of the bare app, our pages would have to run at least as fast "
            "as that stack with empty pages, which no page doing work can"
        )
        + f"; they run at {pages:.2f}: the pages' own work (checking the link, building and "
        "checking the WTForms form, the templates, spending the link and storing the answer) "
        f"costs {1 / pages - 1:.2f} times what the whole stack costs.",
        "",
        "**Decision (issue 7, 2026-12-02): the ratio to the bare INSERT is measured and "
        "reported, not passed or failed.** The issue asked for >= 0.5. The bare app leaves out "
        "what non-negotiable 6 and this issue's own security items put on every respondent "
        "request (CSRF, rate limiting, the signed session, the language, the headers), and "
        f"with those alone, serving pages that do nothing, the stack reaches {stack_median:.2f} "
        "of it (0.34 to 0.71 in the runs of this benchmark so far): a target of 0.5 would "
        "leave our pages almost no time, or none, for finding the link, checking the answers "
        "and storing them without a trace back to the link. Meeting it would mean "
        "hand-writing form handling and sessions outside the required libraries on the one "
        "path that carries every answer. What the issue's scenario needs is capacity with "
        "nothing lost, and that is what the verdict below checks.",
        "",
        f"Capacity: {app['throughput']:.1f} submissions/s is "
        f"{app['throughput'] * 3600:,.0f} an hour on this two-core machine, with every answer "
        f"kept. A Flanders-sized installation ({FLANDERS_TRAJECTORIES:,} trajectories, "
        "bench/scale.py) with a letter to two parents of every trajectory on the same morning "
        f"makes {flanders_links:,} links; if every one of them were answered in the same hour, "
        f"that hour would need {peak:.1f} submissions/s.",
        "",
        "Integrity, after each design's own publication (new: `klankbord daily`, which "
        "publishes k-anonymous batches and leaves a smaller group waiting; old: "
        f"`klankbord publish-responses --all`); {check['waiting_before_publish']:,} (new) and "
        f"{old_check['waiting_before_publish']:,} (old) answers were waiting before it; the "
        f"calibration, the {args.seconds:.0f} s run and the rounds together:",
        "",
        *_integrity_rows(check, old_check),
        "",
        f"Floors: thank-you pages / rows / lost / duplicated: {floor_check['thanked']:,} / "
        f"{floor_check['rows']:,} / {floor_check['lost']} / {floor_check['duplicated']}.",
        "",
        f"Other load on the machine: load average (1/5/15 min) {loads[0]} at the start, "
        f"{loads[1]} at the end (which counts this benchmark's own servers and client too). "
        f"Server logs of this run: `{context['folder']}`.",
        "",
    ]
    lost = sum(c["lost"] + c["duplicated"] + c["thanked_not_used"] for c in (check, old_check))
    lost += floor_check["lost"] + floor_check["duplicated"]
    targets = (
        errors == 0
        and round_errors["app"] == 0
        and lost == 0
        and all(_complete(c) for c in (check, old_check))
    )
    lines += [
        f"Within target (0 errors, 0 lost, 0 duplicated): {'yes' if targets else 'no'}. "
        f"New spending within 10 % of the old design (median new / old {old_median:.2f} >= "
        f"{BUDGET:.2f}): {'yes' if old_median >= BUDGET else 'no'}. Peak hour of a "
        f"Flanders-wide letter morning ({peak:.1f}/s) within the measured rate: "
        f"{'yes' if app['throughput'] >= peak else 'no'}. Ratio to the bare INSERT: "
        f"{ratio:.2f}, and of the required stack with empty pages {stack_median:.2f} (see the "
        "decision above)."
    ]
    lines += ["", "Machine:", "", machine()]
    return "\n".join(lines)


# The section as it stood before the new spending is kept below the new run's figures.
EARLIER = "<!-- load:earlier -->"
EARLIER_HEADING = (
    "## Earlier run: the old design alone, before the privacy work\n\n"
    "The section as bench/load.py wrote it before the new spending (docs/anonymity.md), kept "
    "for comparison; its headings are one level down.\n"
)


def with_earlier_run(markdown: str) -> str:
    """``markdown``, followed by the earlier figures of the load section (kept once)."""
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    found = re.search(r"<!-- load:start -->\n(.*?)<!-- load:end -->", current, re.DOTALL)
    if not found:
        return markdown
    section = found.group(1)
    if EARLIER in section:
        earlier = section.split(EARLIER, 1)[1].strip("\n")
    else:
        demoted = re.sub(r"^(#+) ", r"#\1 ", section.strip("\n"), flags=re.MULTILINE)
        earlier = EARLIER_HEADING + "\n" + demoted
    return f"{markdown.rstrip()}\n\n{EARLIER}\n\n{earlier}\n"


def prepare(url: str, tokens: int, tree: Path = ROOT) -> tuple[list[str], dict]:
    """The database made and migrated by ``tree``'s code, with ``tokens`` links."""
    timings = {}
    start = time.monotonic()
    recreate_database(url)
    klankbord(url, "init-db", tree=tree)
    timings["migrate"] = time.monotonic() - start
    start = time.monotonic()
    issued, _campaign = seed(url, tokens, tree)
    timings["seed"] = time.monotonic() - start
    timings["tokens"] = len(issued)
    return issued, timings


def calibrate(server: Gunicorn, links: Links, args, name: str) -> tuple[dict, list[Outcome]]:
    """A short run on the first links: the rate the rest of the links are sized from."""
    run, figures = measure(
        server, links.feed(), args.users, args.calibration_seconds, CALIBRATION_WARMUP
    )
    if run.ran_out:
        raise OutOfLinks(
            f"calibration: {NAMES[name]} spent all {len(links.tokens):,} calibration links "
            f"in {args.calibration_seconds + CALIBRATION_WARMUP:.0f} s; raise "
            "--calibration-links"
        )
    return figures, figures["thanked"]


def run_benchmark(args, url: str, old_url: str, old_tree: Path, loads: list[str]) -> dict:
    new_tree = args.tree.resolve()
    folder = log_folder("load")
    print(f"load average {loads[0]}; logs in {folder}", flush=True)
    timings = {}
    start = time.monotonic()
    recreate_database(url)
    klankbord(url, "init-db", tree=new_tree)
    recreate_database(old_url)
    klankbord(old_url, "init-db", tree=old_tree)
    timings["migrate"] = time.monotonic() - start
    create_bare_table(url)
    first = args.tokens or args.calibration_links
    links = {}
    for name, target, tree in (("app", url, new_tree), ("old", old_url, old_tree)):
        tokens, campaign = seed(target, first, tree)
        links[name] = Links(tokens, campaign)
    print(f"databases ready: {timings}", flush=True)
    settings = gunicorn_settings()
    env = {
        "KLANKBORD_DATABASE_URL": url,
        "KLANKBORD_SECRET_KEY": secrets.token_urlsafe(32),
        "KLANKBORD_BENCH_DATABASE_URL": url,
    }
    old_env = {**env, "KLANKBORD_DATABASE_URL": old_url}
    servers = {
        "app": Gunicorn(free_port(), env, folder / "gunicorn-app.log", tree=new_tree),
        "old": Gunicorn(free_port(), old_env, folder / "gunicorn-old.log", tree=old_tree),
    }
    for name, wsgi in FLOOR_APPS.items():
        servers[name] = Gunicorn(
            free_port(), env, folder / f"gunicorn-{name}.log", wsgi, tree=new_tree
        )
    thanked: dict[str, list[Outcome]] = {name: [] for name in LINKED}
    items: dict[str, int] = {}
    calibration: dict[str, dict] = {}
    try:
        if not args.tokens:
            for name in LINKED:
                server = servers[name]
                probe = Gunicorn(
                    free_port(),
                    server.env,
                    folder / f"gunicorn-{name}-calibration.log",
                    tree=server.tree,
                )
                calibration[name], done = calibrate(probe, links[name], args, name)
                thanked[name] += done
                print(f"calibration: {name} {calibration[name]['throughput']:.1f}/s", flush=True)
            start = time.monotonic()
            rounds_time = args.rounds * (args.round_seconds + ROUND_WARMUP)
            to_come = {
                "app": (args.warmup + args.seconds + rounds_time, 1 + args.rounds),
                "old": (rounds_time, args.rounds),
            }
            for name, target, tree in (("app", url, new_tree), ("old", old_url, old_tree)):
                seconds, runs = to_come[name]
                needed = links_needed(
                    calibration[name]["throughput"], seconds, runs, args.users, args.link_margin
                )
                more = needed - (len(links[name].tokens) - links[name].taken)
                if more > 0:
                    links[name].add(seed(target, more, tree, links[name].campaign)[0])
                print(
                    f"links: {name} needs {needed:,} for {seconds:.0f} s, "
                    f"{len(links[name].tokens):,} issued",
                    flush=True,
                )
            timings["top_up"] = time.monotonic() - start
        run, app = measure(
            servers["app"], links["app"].feed(), args.users, args.seconds, args.warmup
        )
        if run.ran_out:
            raise out_of_links(f"the {args.seconds:.0f} s run", "app", links["app"], args)
        thanked["app"] += app["thanked"]
        items["app"] = run.items
        print(f"app: {app['throughput']:.1f}/s over {args.seconds:.0f} s", flush=True)
        feeds = {name: links[name] for name in LINKED}
        rounds = ratio_rounds(servers, feeds, args)
        for name in LINKED:
            thanked[name] += [o for r in rounds for o in r[name]["thanked"]]
            items[name] = max(r[name]["items"] for r in rounds)
        check = count_app(url, thanked["app"], items["app"], tree=new_tree)
        old_check = count_app(old_url, thanked["old"], items["old"], tree=old_tree)
        floor_check = count_bare(
            url, [o for r in rounds for n in FLOOR_APPS for o in r[n]["thanked"]]
        )
        print(f"integrity: new {check}; old {old_check}; floors: {floor_check}", flush=True)
    finally:
        for server in servers.values():
            server.stop()
        if not args.keep_db:
            drop_database(url)
            drop_database(old_url)
    loads.append(load_average(all_three=True))
    return {
        "settings": settings,
        "app": app,
        "rounds": rounds,
        "check": check,
        "old_check": old_check,
        "floors": floor_check,
        "loads": loads,
        "timings": timings,
        "links": links,
        "calibration": calibration,
        "folder": folder,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds for the ratio")
    parser.add_argument("--round-seconds", type=float, default=15, help="length of each turn")
    parser.add_argument(
        "--baseline",
        default=BASELINE_REV,
        help=f"the old design's revision, served from a worktree (default {BASELINE_REV})",
    )
    parser.add_argument(
        "--calibration-seconds", type=float, default=5, help="measured rate to size the links"
    )
    parser.add_argument(
        "--calibration-links", type=int, default=4000, help="links for the calibration run"
    )
    parser.add_argument(
        "--link-margin", type=float, default=2.5, help="links issued per calibrated submission"
    )
    parser.add_argument(
        "--tokens", type=int, help="issue this many links per Klankbord, no calibration"
    )
    parser.add_argument(
        "--tree",
        type=Path,
        default=ROOT,
        help="the tree served as the new design (default: this working tree)",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the databases")
    parser.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    args = parser.parse_args()

    url = bench_url()
    old_url = sibling_url(url, "_baseline")
    loads = [load_average(all_three=True)]
    try:
        with baseline_tree(args.baseline) as (old_tree, commit):
            print(f"old design: {commit} in {old_tree}", flush=True)
            context = run_benchmark(args, url, old_url, old_tree, loads)
    except OutOfLinks as error:
        print(f"\nABORTED, no figures recorded: {error}", file=sys.stderr, flush=True)
        return EXIT_NO_LINKS
    short, _, subject = commit.partition(" ")
    context["baseline"] = f"`{short}` ({subject})"
    markdown = report(args, context)
    print(markdown)
    if args.write:
        write_section("load", with_earlier_run(markdown))
    return 0


def log_folder(name: str) -> Path:
    # S108: a fresh, uniquely named folder for gunicorn's logs, nothing secret in it.
    folder = Path(f"/tmp/klankbord-{name}-{time.strftime('%Y%m%d-%H%M%S')}")  # noqa: S108
    folder.mkdir(parents=True, exist_ok=True)
    return folder


if __name__ == "__main__":
    sys.exit(main())
