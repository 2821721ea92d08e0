"""Fault injection: the respondent load of bench/load.py while workers, gunicorn and PostgreSQL die.

Same database, campaign and client as bench/load.py (PostgreSQL from
``KLANKBORD_BENCH_DATABASE_URL``, gunicorn with the project's gunicorn.conf.py). During the run:

(a) at 18 % of ``--seconds``: kill -9 one gunicorn worker (the master starts a new one);
(b) at 40 %: kill -9 the master and all its workers (their process group), then start
    gunicorn again at once, as systemd would;
(c) once gunicorn answers again and has served a few seconds: ``pg_ctlcluster 15 main
    restart`` (``--pg-cluster`` names another cluster, e.g. one made for the run on its own
    port). The app is not restarted: its pool (pool_pre_ping) must find new connections.

The run lasts at least ``--seconds`` and at least 12 s past the PostgreSQL restart. Clients
retry as a respondent would: on a connection error or an error page they wait a moment and
send the SAME answers on the SAME link again (same cookie, same CSRF token: the secret key is
the same across the restart). Afterwards ``klankbord daily`` publishes what it can (the only
publication the design allows: batches of at least k answers with identical attributes, never
fewer; what cannot form one keeps waiting in the inbox), and the database is counted against
the thank-you pages (bench/_tree.py, through bench/load.py's ``count_app``): every thanked link
must be spent (checked per link: its nullifier, recomputed from the token, in ``spent_link``),
and thank-you pages = ``spent_link`` rows = published anonymous responses + rows still waiting
in ``response_inbox``. The kinds of failures the respondents saw are counted per phase: 500 or
503, with or without the Dutch "try again in a moment" page (after a failed send: "your answers
may not have arrived, send them again").

PostgreSQL's restart cuts every connection of the cluster, other databases' too: the script
waits up to 60 s for the cluster to have no other clients first, and reports how many it cut.

Run from the repository root (as root, for pg_ctlcluster):
    .venv/bin/python bench/faults.py [--users 200] [--seconds 45] [--write]
A smoke run in about a minute:
    .venv/bin/python bench/faults.py --users 20 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

from _results import machine, write_section
from load import (
    Gunicorn,
    Run,
    bench_url,
    count_app,
    drive,
    drop_database,
    fetch,
    free_port,
    gunicorn_settings,
    load_average,
    log_folder,
    prepare,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

# How long after the last fault the load keeps running, and how long respondents keep trying.
SETTLE = 12.0
RETRY_GRACE = 120.0
SERVE_BEFORE_PG = 6.0
PG_QUIET_WAIT = 60.0


@dataclass
class Fault:
    name: str
    at: float
    note: str = ""


async def wait_serving(port: int, timeout: float = 240.0) -> float:
    """Seconds until /healthz answers 200 (the app and its database both work)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if (await fetch(port, "GET", "/healthz", {})).status == 200:
                return time.monotonic() - started
        except (OSError, TimeoutError):
            pass
        await asyncio.sleep(0.25)
    raise RuntimeError("gunicorn did not come back")


def other_connections(url: str) -> int:
    """Connections to the cluster from outside this benchmark's database (other test runs)."""
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), poolclass=NullPool)
    with engine.connect() as connection:
        count = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                "AND datname IS DISTINCT FROM :ours AND pid <> pg_backend_pid()"
            ),
            {"ours": target.database},
        )
    engine.dispose()
    return count


def injector(
    server: Gunicorn, url: str, seconds: float, faults: list[Fault], cluster: tuple[str, str]
):
    async def inject(run: Run) -> None:
        try:
            await _inject(run)
        finally:
            # The load goes on until the faults are over, then SETTLE seconds more.
            run.deadline = max(run.started + seconds, time.monotonic() + SETTLE)
            run.retry_until = run.deadline + RETRY_GRACE

    async def _inject(run: Run) -> None:
        async def until(moment: float) -> None:
            await asyncio.sleep(max(0.0, moment - time.monotonic()))

        # However long gunicorn takes to come back, respondents keep coming meanwhile.
        run.deadline = run.retry_until = float("inf")
        await until(run.started + 0.18 * seconds)
        workers = server.workers()
        os.kill(workers[0], signal.SIGKILL)
        faults.append(
            Fault(
                "(a) kill -9 one worker",
                time.monotonic(),
                f"1 of {len(workers)} workers killed; the master starts a new one",
            )
        )
        print(f"{faults[-1].name}: {faults[-1].note}", flush=True)

        await until(run.started + 0.40 * seconds)
        at = time.monotonic()
        server.kill_all()
        server.start()
        back = await wait_serving(server.port)
        faults.append(
            Fault(
                "(b) kill -9 master + workers, start gunicorn",
                at,
                f"gunicorn started again at once; /healthz answered after {back:.1f} s",
            )
        )
        print(f"{faults[-1].name}: {faults[-1].note}", flush=True)

        await asyncio.sleep(SERVE_BEFORE_PG)
        # The restart cuts every client of the cluster: give other users (test suites on a
        # shared machine) a chance to be between databases first. The load goes on meanwhile.
        waited = time.monotonic()
        others = await asyncio.to_thread(other_connections, url)
        while others and time.monotonic() - waited < PG_QUIET_WAIT:
            await asyncio.sleep(2)
            others = await asyncio.to_thread(other_connections, url)
        waited = time.monotonic() - waited
        pg_ctlcluster = shutil.which("pg_ctlcluster") or "/usr/bin/pg_ctlcluster"
        at = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            pg_ctlcluster, *cluster, "restart", stdout=asyncio.subprocess.DEVNULL
        )
        code = await process.wait()
        took = time.monotonic() - at
        back = await wait_serving(server.port)
        faults.append(
            Fault(
                "(c) restart PostgreSQL",
                at,
                f"`pg_ctlcluster {' '.join(cluster)} restart` took {took:.1f} s (exit {code}); "
                f"/healthz answered {back:.1f} s after it returned; "
                f"{others} connection(s) of other databases were cut too (after waiting "
                f"{waited:.0f} s for the cluster to have none)",
            )
        )
        print(f"{faults[-1].name}: {faults[-1].note}", flush=True)

    return inject


def phase_rows(run: Run, faults: list[Fault]) -> list[dict]:
    names = ["before the faults", *(fault.name for fault in faults)]
    bounds = [run.started, *(fault.at for fault in faults), float("inf")]
    rows = []
    for number, name in enumerate(names):
        low, high = bounds[number], bounds[number + 1]
        done = sorted(o.finished for o in run.outcomes if o.thanked and low <= o.finished < high)
        marks = [low, *done]
        rows.append(
            {
                "name": name,
                "start": low - run.started,
                "thanked": len(done),
                "gap": max((b - a for a, b in pairwise(marks)), default=0.0),
                "retried": sum(
                    o.thanked and o.failures > 0 and low <= o.finished < high for o in run.outcomes
                ),
                "failures": Counter((e.stage, e.kind) for e in run.events if low <= e.at < high),
            }
        )
    return rows


def _kinds(counter: Counter, stages: set[str]) -> str:
    named = len(stages) > 1  # say which page failed when the column holds several
    parts = [
        f"{stage}: {kind} x{n}" if named else f"{kind} x{n}"
        for (stage, kind), n in sorted(counter.items())
        if stage in stages
    ]
    return ", ".join(parts) or "-"


def log_findings(log: Path) -> dict:
    content = log.read_text(errors="replace")
    return {
        "tracebacks": content.count("Traceback (most recent call last)"),
        "operational": content.count("OperationalError"),
        "exceptions": content.count("Exception on "),
        "boots": content.count("Booting worker with pid"),
    }


def integrity(check: dict) -> dict:
    """Thank-you pages = ``spent_link`` rows = published responses + rows still waiting."""
    stored = check["responses"] + check["waiting_after"]
    answers = check["answers"] + check["answers_waiting"]
    return {
        "stored": stored,
        "holds": check["thanked"] == check["used"] == stored,
        "answers": answers,
        "answers_complete": answers == check["items"] * stored
        and check["short_responses"] == 0
        and check.get("short_waiting", 0) == 0,
        "comments": check["comments"] + check["comments_waiting"],
    }


def report(args, settings, run, faults, rows, check, findings, loads, timings, folder) -> str:
    pages = Counter()
    for event in run.events:
        if event.kind.startswith(("500", "503")):
            pages[f"{event.stage}: {event.kind}"] += 1
    given_up = sum(o.error is not None for o in run.outcomes)
    totals = integrity(check)
    cluster = " ".join(args.pg_cluster.split("/"))
    lines = [
        f"## Fault injection: {args.users} respondents while workers, gunicorn and PostgreSQL die",
        "",
        "The load of `bench/load.py` (same campaign, client and gunicorn settings: "
        f"{settings['workers']} workers x {settings['threads']} threads) on PostgreSQL, during "
        f"which the script (a) kill -9's one worker, (b) kill -9's the master and all workers "
        "and starts gunicorn again, (c) once it serves again, restarts PostgreSQL "
        f"(`pg_ctlcluster {cluster} restart`) without restarting the app. Respondents retry like "
        "a person pressing the button again: on a connection error or an error page they wait "
        "0.25-2 s and send the same answers on the same link (same cookie and CSRF token).",
        "",
        f"Command: `.venv/bin/python bench/faults.py --users {args.users} "
        f"--seconds {args.seconds:.0f} --tokens {args.tokens}"
        + ("" if args.pg_cluster == "15/main" else f" --pg-cluster {args.pg_cluster}")
        + " --write` (run as root for "
        "pg_ctlcluster). "
        f"The run lasted {run.deadline - run.started:.0f} s, plus the time respondents in "
        "flight needed to finish."
        + (
            f" **All {args.tokens:,} links were spent before the end: the last phases ran "
            "short of respondents; raise --tokens.**"
            if run.ran_out
            else ""
        ),
        "",
        "| fault | note |",
        "|---|---|",
        *(f"| {f.name} at {f.at - run.started:.1f} s | {f.note} |" for f in faults),
        "",
        "| phase | from | thank-you pages | longest stretch without one | thanked after "
        "retrying | failed submit POSTs | failed form / thank-you GETs |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {r['name']} | {r['start']:.1f} s | {r['thanked']:,} | {r['gap']:.1f} s | "
            f"{r['retried']:,} | {_kinds(r['failures'], {'submit'})} | "
            f"{_kinds(r['failures'], {'form', 'thanks'})} |"
            for r in rows
        ),
        "",
        'Error pages respondents saw (all phases; "retry page" = the Dutch page asking to try '
        'again in a moment (after a failed send: to send the answers again), "raw page" = '
        "anything else): "
        + (", ".join(f"{kind} x{n}" for kind, n in sorted(pages.items())) or "none")
        + ".",
        "",
        "After the run, `klankbord daily` first: the only publication the design allows, in "
        "batches of at least k answers with identical attributes, never fewer; what cannot "
        f"form one keeps waiting in the inbox. It published {check['responses']:,} of the "
        f"{check['waiting_before_publish']:,} waiting answers.",
        "",
        "| check | value |",
        "|---|---|",
        f"| links that got a thank-you page | {check['thanked']:,} |",
        f"| spent links (`spent_link` rows) | {check['used']:,} |",
        f"| thanked links not spent (per link, by nullifier) | {check['thanked_not_used']} |",
        f"| spent links whose respondent never saw a thank-you | {check['used_not_thanked']} |",
        f"| respondents who gave up (retrying for {RETRY_GRACE:.0f} s after the end) | "
        f"{given_up} |",
        f"| anonymous responses published | {check['responses']:,} |",
        f"| answers still waiting in `response_inbox` | {check['waiting_after']:,} |",
        f"| **thank-you pages = spent links = published + waiting** | **{check['thanked']:,} = "
        f"{check['used']:,} = {check['responses']:,} + {check['waiting_after']:,}: "
        f"{totals['holds']}** |",
        f"| statement answers, published + waiting (= {check['items']} x stored, none "
        f"short: {totals['answers_complete']}) | {totals['answers']:,} |",
        f"| comments published + waiting / sent | {totals['comments']:,} / "
        f"{check['comments_sent']:,} |",
        f"| **lost / duplicated** | **{check['lost']} / {check['duplicated']}** |",
        "",
        f"gunicorn log: {findings['boots']} worker boots, {findings['exceptions']} "
        f'"Exception on" lines, {findings["tracebacks"]} tracebacks, '
        f"{findings['operational']} mentions of OperationalError (`{folder}`).",
        "",
        f"Setup: migrate {timings['migrate']:.0f} s, {timings['tokens']:,} invitations "
        f"{timings['seed']:.0f} s. Other load on the machine: load average (1/5/15 min) "
        f"{loads[0]} at the start, {loads[1]} at the end (the latter counts this benchmark's "
        "own server and client too).",
        "",
        "Machine:",
        "",
        machine(),
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--tokens", type=int, default=6_000, help="invitations to issue")
    parser.add_argument(
        "--pg-cluster",
        default="15/main",
        help="VERSION/NAME of the cluster to restart (the one the database URL is on)",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    args = parser.parse_args()

    url = bench_url()
    loads = [load_average(all_three=True)]
    folder = log_folder("faults")
    print(f"load average {loads[0]}; logs in {folder}", flush=True)
    tokens, timings = prepare(url, args.tokens)
    settings = gunicorn_settings()
    env = {"KLANKBORD_DATABASE_URL": url, "KLANKBORD_SECRET_KEY": secrets.token_urlsafe(32)}
    server = Gunicorn(free_port(), env, folder / "gunicorn-app.log")
    faults: list[Fault] = []
    try:
        server.start()
        server.wait_ready()
        cluster = tuple(args.pg_cluster.split("/", 1))
        inject = injector(server, url, args.seconds, faults, cluster)
        run = asyncio.run(
            drive(
                server.port,
                tokens,
                args.users,
                args.seconds,
                retry_grace=RETRY_GRACE,
                beside=inject,
            )
        )
        server.stop()
        thanked = [o for o in run.outcomes if o.thanked]
        check = count_app(url, thanked, run.items)
        print(f"klankbord daily:\n{check['published']}", flush=True)
    finally:
        server.stop()
        if not args.keep_db:
            drop_database(url)
    loads.append(load_average(all_three=True))
    rows = phase_rows(run, faults)
    findings = log_findings(folder / "gunicorn-app.log")
    markdown = report(args, settings, run, faults, rows, check, findings, loads, timings, folder)
    print(markdown)
    if args.write:
        write_section("faults", markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
