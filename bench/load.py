"""Benchmark: concurrent respondents submitting the parents' survey through gunicorn.

Creates a PostgreSQL database (``KLANKBORD_BENCH_DATABASE_URL``, default below; the role needs
CREATEDB: the database is made and dropped through the ``postgres`` maintenance database),
migrates it with ``klankbord init-db``, and opens a ``tevredenheid-ouders`` campaign for one
school with enough single-use invitations, made through the app's own services. The app is
then served by gunicorn with the project's gunicorn.conf.py on loopback, and ``--users``
virtual respondents (default 200) each, over and over with a fresh link: GET ``/r/<token>``,
parse the CSRF token and the fields from the HTML, POST a complete answer, follow the redirect
and check the thank-you page. No think time: a closed loop, so latency is mostly queueing.

Afterwards ``klankbord publish-responses --all`` empties the inbox and the database is counted
against the thank-you pages: every thanked link must be spent (checked per link through the
SHA-256 the invitation keeps) and hold exactly one anonymous response with all its answers.

Then the ratio: the app and two floors, under the same gunicorn settings and client, take
turns in short interleaved rounds (``--rounds`` x ``--round-seconds``): bench/_bare_app.py, a
bare Flask app doing one INSERT per POST, which the issue compares our submit throughput with,
and bench/_stack_app.py, Klankbord's own application (CSRF, rate limiting, session, language,
headers, database session) serving those bare pages, which tells what the stack alone leaves.

The ratio to the bare app is reported, not judged: the issue asked for >= 0.5, but the stack
that non-negotiable 6 and the issue's own security items require reaches about 0.5 of the bare
app with empty pages, which leaves no room for any page work (see "Decision" in the report and
issue 7's note of 2026-12-02). The verdict is 0 errors, 0 lost, and the rate against the peak
hour of a Flanders-wide letter morning.

Run from the repository root:
    .venv/bin/python bench/load.py [--users 200] [--seconds 60] [--rounds 7] [--write]
``--write`` records the figures in bench/RESULTS.md. bench/faults.py reuses this client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
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
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

from _results import machine, write_section
from sqlalchemy import create_engine, text
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


def drop_database(url: str) -> None:
    engine, name = _maintenance(url)
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()


def klankbord(url: str, *args: str) -> str:
    """Run the app's own command line against the bench database."""
    env = {**os.environ, "KLANKBORD_DATABASE_URL": url, "KLANKBORD_SECRET_KEY": "bench-cli"}
    # S603: our own venv's klankbord with arguments fixed in this file, no shell.
    result = subprocess.run(  # noqa: S603
        [str(BIN / "klankbord"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def seed(url: str, count: int) -> tuple[list[str], int]:
    """A parents' campaign for one school and ``count`` single-use links; returns the tokens."""
    from survey import clock, create_app
    from survey.campaigns.services import create_campaign, issue_invitations
    from survey.extensions import db
    from survey.models import Audience, Centre, School

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-seed"})
    with app.app_context():
        centre = Centre(code="load", name="Leersteuncentrum Load")
        school = School(centre=centre, name="Basisschool De Klaproos", institution_number="123456")
        db.session.add_all([centre, school])
        db.session.flush()
        today = clock.today()
        campaign = create_campaign(
            centre=centre,
            questionnaire_id=QUESTIONNAIRE,
            audiences=[Audience.PARENT],
            opens_on=today,
            closes_on=today + timedelta(days=30),
            school=school,
        )
        campaign_id = campaign.id
        tokens: list[str] = []
        while len(tokens) < count:
            batch = issue_invitations(
                campaign, Audience.PARENT, min(5000, count - len(tokens)), today
            )
            tokens += [issued.token for issued in batch]
            db.session.commit()
            db.session.expunge_all()
            campaign = db.session.get(type(campaign), campaign_id)
        db.engine.dispose()
    return tokens, campaign_id


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


def hash_token(token: str) -> str:
    from survey.campaigns.services import hash_token as app_hash

    return app_hash(token)


def count_app(url: str, thanked: list[Outcome], items: int) -> dict:
    """Publish what waits, then count the database against the thank-you pages."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        waiting = connection.scalar(text("SELECT count(*) FROM response_inbox"))
    published = klankbord(url, "publish-responses", "--all")
    with engine.connect() as connection:
        used = set(connection.scalars(text("SELECT token_hash FROM invitation WHERE used")))
        responses = connection.scalar(text("SELECT count(*) FROM anonymous_response"))
        answers = connection.scalar(text("SELECT count(*) FROM anonymous_answer"))
        comments = connection.scalar(text("SELECT count(*) FROM anonymous_comment"))
        inbox = connection.scalar(text("SELECT count(*) FROM response_inbox"))
        short = connection.scalar(
            text(
                "SELECT count(*) FROM anonymous_response r WHERE (SELECT count(*) FROM "
                "anonymous_answer a WHERE a.response_id = r.id) <> :items"
            ),
            {"items": items},
        )
    engine.dispose()
    thanked_hashes = {hash_token(outcome.token) for outcome in thanked}
    return {
        "thanked": len(thanked),
        "used": len(used),
        "thanked_not_used": len(thanked_hashes - used),
        "used_not_thanked": len(used - thanked_hashes),
        "responses": responses,
        "answers": answers,
        "items": items,
        "short_responses": short,
        "comments": comments,
        "comments_sent": sum(outcome.comment for outcome in thanked),
        "waiting_before_publish": waiting,
        "published": published,
        "inbox_after": inbox,
        "lost": max(0, len(thanked) - responses) + len(thanked_hashes - used),
        "duplicated": max(0, responses - len(used)),
    }


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
    """gunicorn -c gunicorn.conf.py [APP], in its own process group, logging to a file."""

    def __init__(self, port: int, env: dict[str, str], log: Path, app: str | None = None):
        self.port, self.log, self.app = port, log, app
        self.env = {**os.environ, **env, "KLANKBORD_BIND": f"127.0.0.1:{port}"}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")]
        if self.app:
            command.append(self.app)  # overrides the config file's wsgi_app
        with self.log.open("ab") as log:
            # S603: our venv's gunicorn with arguments from this file; its own session, so
            # the whole server (master and workers) is one process group we can signal.
            self.process = subprocess.Popen(  # noqa: S603
                command,
                cwd=ROOT,
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
    tokens: list[str],
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
    server: Gunicorn, tokens: list[str], users: int, seconds: float, warmup: float
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
NAMES = {"app": "Klankbord submit", "stack": "Klankbord's stack, bare pages", "bare": "bare Flask"}


def ratio_rounds(
    servers: dict[str, Gunicorn], feeds: dict[str, list[str]], args
) -> list[dict[str, dict]]:
    """Short runs of the three servers in turn, ``args.rounds`` times, the order rotating.

    Throughput on this shared virtual machine drifts by a factor of two over minutes (other
    tenants); servers measured one after the other in long runs compare that drift as much as
    the servers. Interleaved short runs see the same drift, so their per-round ratios hold.
    All three servers stay up, idle when not driven.
    """
    for server in servers.values():
        server.start()
    for server in servers.values():
        server.wait_ready()
    used = dict.fromkeys(servers, 0)
    rounds: list[dict[str, dict]] = []
    try:
        names = list(servers)
        for number in range(args.rounds):
            order = names[number % len(names) :] + names[: number % len(names)]
            results: dict[str, dict] = {"order": order}
            for name in order:
                tokens = feeds[name][used[name] :]
                run = asyncio.run(
                    drive(servers[name].port, tokens, args.users, args.round_seconds, 3.0)
                )
                used[name] += len(run.outcomes)
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


def _ratio(part: dict, whole: dict) -> float:
    return part["throughput"] / whole["throughput"] if whole["throughput"] else float("nan")


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def report(args, settings, app, check, rounds, floor_check, loads, timings, folder) -> str:
    errors = sum(app["events"].values())
    pairs = (("app", "bare"), ("stack", "bare"), ("app", "stack"))
    ratios = {pair: [_ratio(r[pair[0]], r[pair[1]]) for r in rounds] for pair in pairs}
    ratio = statistics.median(ratios[("app", "bare")])
    pages = statistics.median(ratios[("app", "stack")])
    stack_ratios = ratios[("stack", "bare")]
    stack_median = statistics.median(stack_ratios)
    # Every link of a Flanders-wide letter morning (two parents a trajectory) in one hour.
    links = 2 * FLANDERS_TRAJECTORIES
    peak = links / 3600
    floor_errors = sum(sum(r[n]["events"].values()) for r in rounds for n in FLOOR_APPS)
    lines = [
        f"## Benchmark: {args.users} concurrent respondents through gunicorn and PostgreSQL",
        "",
        f"Setup: PostgreSQL 15 on loopback, database made and migrated with `klankbord init-db` "
        f"({timings['migrate']:.0f} s); one `{QUESTIONNAIRE}` campaign for one school with "
        f"{timings['tokens']:,} single-use invitations from `issue_invitations` "
        f"({timings['seed']:.0f} s). gunicorn with the project's `gunicorn.conf.py`: "
        f"{settings['workers']} workers x {settings['threads']} threads (gthread), "
        f"max_requests {settings['max_requests']} (+ jitter), access log on. "
        f"Client: one asyncio process, {args.users} virtual respondents, no think time; each "
        "takes a fresh link per submission: GET `/r/<token>` (CSRF token and fields read "
        "from the form's tags, 0.5 ms a page for Klankbord's and the floors' alike), POST "
        "every statement (a comment in ~25 %), follow the redirect and "
        "check the thank-you page; a new connection per request. "
        f"{args.warmup:.0f} s warm-up, then {args.seconds:.0f} s measured; submissions still "
        "in flight at the end are finished and counted in the database check.",
        "",
        f"Command: `.venv/bin/python bench/load.py --users {args.users} "
        f"--seconds {args.seconds:.0f} --rounds {args.rounds} "
        f"--round-seconds {args.round_seconds:.0f} --write`",
        "",
        "| measure | Klankbord submit |",
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
        "### Against the floors",
        "",
        "Two floors, under the same gunicorn settings and the same client:",
        "",
        "- **bare Flask** (`bench/_bare_app.py`): a bare Flask app serving the same three pages "
        "with the same fields, one INSERT per POST (SQLAlchemy Core, pool_pre_ping). The "
        "issue's floor.",
        "- **Klankbord's stack, bare pages** (`bench/_stack_app.py`): Klankbord's own "
        "application object, so every request passes CSRF protection, Flask-Limiter (app-wide "
        "and the link-guessing throttle), Flask-Login, Flask-Babel, the signed session, the "
        "security headers, the database session with pre-ping and the redacting access log, "
        "with the bare app's pages as views: a real CSRF token in the form and checked on the "
        "POST, one INSERT through `db.session`.",
        "",
        f"The three servers run side by side and take turns: {args.rounds} rounds of "
        f"{args.round_seconds:.0f} s each (after 3 s of warm-up), the order rotating. On this "
        "shared virtual machine throughput drifts by a factor of two over minutes; servers "
        "measured in turn within a round see the same drift, so the ratio is the median of "
        "the rounds' ratios.",
        "",
        "| round (order) | Klankbord submit/s | stack/s | bare/s | Klankbord / bare | "
        "stack / bare | Klankbord / stack |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, r in enumerate(rounds):
        lines.append(
            f"| {number + 1} ({', '.join(r['order'])}) | {r['app']['throughput']:.1f} | "
            f"{r['stack']['throughput']:.1f} | {r['bare']['throughput']:.1f} | "
            + " | ".join(f"{ratios[pair][number]:.2f}" for pair in pairs)
            + " |"
        )
    lines += [
        "| **median (range)** | | | | "
        + " | ".join(f"**{_spread(ratios[pair])}**" for pair in pairs)
        + " |",
        "",
        f"**Ratio to the bare INSERT: {ratio:.2f}** (the issue asked for >= 0.5: see the "
        f"decision below); Klankbord / stack {pages:.2f}. Errors in the rounds: Klankbord "
        f"{sum(sum(r['app']['events'].values()) for r in rounds)}, floors {floor_errors}.",
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
        + f"; they run at {pages:.2f}: the pages' own work (finding "
        "the link with its campaign and draft, building and checking the WTForms form, the "
        "templates, spending the link and storing the answer) costs "
        f"{1 / pages - 1:.2f} times what the whole stack costs.",
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
        f"makes {links:,} links; if every one of them were answered in the same hour, that hour "
        f"would need {peak:.1f} submissions/s.",
        "",
    ]
    lines += [
        "Integrity (after `klankbord publish-responses --all`; "
        f"{check['waiting_before_publish']} answer(s) were still waiting in the inbox; "
        "the 60 s run and the rounds together):",
        "",
        "| check | value |",
        "|---|---|",
        f"| thank-you pages received | {check['thanked']:,} |",
        f"| used invitations | {check['used']:,} |",
        f"| thanked links not spent (per link, by SHA-256) | {check['thanked_not_used']} |",
        f"| spent links without a thank-you page | {check['used_not_thanked']} |",
        f"| anonymous responses | {check['responses']:,} |",
        f"| answers (= {check['items']} x responses: "
        f"{check['answers'] == check['items'] * check['responses']}) | {check['answers']:,} |",
        f"| responses missing answers | {check['short_responses']} |",
        f"| comments stored / sent | {check['comments']:,} / {check['comments_sent']:,} |",
        f"| inbox rows left | {check['inbox_after']} |",
        f"| **lost / duplicated** | **{check['lost']} / {check['duplicated']}** |",
        f"| floors: thank-yous / rows / lost / duplicated | {floor_check['thanked']:,} / "
        f"{floor_check['rows']:,} / {floor_check['lost']} / {floor_check['duplicated']} |",
        "",
        f"Other load on the machine: load average (1/5/15 min) {loads[0]} at the start, "
        f"{loads[1]} at the end (which counts this benchmark's own server and client too). "
        f"Server logs of this run: `{folder}`.",
        "",
    ]
    if app["ran_out"] or any(r[n]["ran_out"] for r in rounds for n in ("app", *FLOOR_APPS)):
        lines += ["**The run ran out of invitations: raise `--tokens`.**", ""]
    lost = check["lost"] + check["duplicated"] + check["thanked_not_used"]
    targets = errors == 0 and lost == 0
    lines += [
        f"Within target (0 errors, 0 lost): {'yes' if targets else 'no'}. Peak hour of a "
        f"Flanders-wide letter morning ({peak:.1f}/s) within the measured rate: "
        f"{'yes' if app['throughput'] >= peak else 'no'}. Ratio to the bare INSERT: "
        f"{ratio:.2f}, and of the required stack with empty pages {stack_median:.2f} (see the "
        "decision above)."
    ]
    lines += ["", "Machine:", "", machine()]
    return "\n".join(lines)


def prepare(url: str, tokens: int) -> tuple[list[str], dict]:
    timings = {}
    start = time.monotonic()
    recreate_database(url)
    klankbord(url, "init-db")
    timings["migrate"] = time.monotonic() - start
    start = time.monotonic()
    issued, _campaign = seed(url, tokens)
    timings["seed"] = time.monotonic() - start
    timings["tokens"] = len(issued)
    return issued, timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds for the ratio")
    parser.add_argument("--round-seconds", type=float, default=15, help="length of each turn")
    parser.add_argument("--tokens", type=int, default=16_000, help="invitations to issue")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    args = parser.parse_args()

    url = bench_url()
    loads = [load_average(all_three=True)]
    folder = log_folder("load")
    print(f"load average {loads[0]}; logs in {folder}", flush=True)
    tokens, timings = prepare(url, args.tokens)
    create_bare_table(url)
    print(f"database ready: {timings}", flush=True)
    settings = gunicorn_settings()
    env = {
        "KLANKBORD_DATABASE_URL": url,
        "KLANKBORD_SECRET_KEY": secrets.token_urlsafe(32),
        "KLANKBORD_BENCH_DATABASE_URL": url,
    }
    servers = {"app": Gunicorn(free_port(), env, folder / "gunicorn-app.log")}
    for name, wsgi in FLOOR_APPS.items():
        servers[name] = Gunicorn(free_port(), env, folder / f"gunicorn-{name}.log", wsgi)
    try:
        run, app = measure(servers["app"], tokens, args.users, args.seconds, args.warmup)
        print(f"app: {app['throughput']:.1f}/s over {args.seconds:.0f} s", flush=True)
        # The floors need no invitations: any token-shaped string will do.
        feeds = {"app": tokens[len(run.outcomes) :]}
        for name in FLOOR_APPS:
            feeds[name] = [secrets.token_urlsafe(32) for _ in range(len(tokens) * 4)]
        rounds = ratio_rounds(servers, feeds, args)
        thanked = app["thanked"] + [o for r in rounds for o in r["app"]["thanked"]]
        check = count_app(url, thanked, run.items)
        floor_check = count_bare(
            url, [o for r in rounds for n in FLOOR_APPS for o in r[n]["thanked"]]
        )
        print(f"integrity: {check}; floors: {floor_check}", flush=True)
    finally:
        for server in servers.values():
            server.stop()
        if not args.keep_db:
            drop_database(url)
    loads.append(load_average(all_three=True))
    markdown = report(args, settings, app, check, rounds, floor_check, loads, timings, folder)
    print(markdown)
    if args.write:
        write_section("load", markdown)
    return 0


def log_folder(name: str) -> Path:
    # S108: a fresh, uniquely named folder for gunicorn's logs, nothing secret in it.
    folder = Path(f"/tmp/klankbord-{name}-{time.strftime('%Y%m%d-%H%M%S')}")  # noqa: S108
    folder.mkdir(parents=True, exist_ok=True)
    return folder


if __name__ == "__main__":
    sys.exit(main())
