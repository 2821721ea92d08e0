"""Benchmark: the council report for a centre with 330 schools and 50,000 responses.

Builds a migrated database (SQLite in a temporary folder, or PostgreSQL when
``KLANKBORD_BENCH_DATABASE_URL`` names an empty database), fills one centre with 330 schools,
120 coaches, 3,000 trajectories with status histories and 50,000 published anonymous responses
in school year 2025-2026 (plus 20,000 in 2024-2025 for the comparison), then times building the
report and each output. With ``--api`` it also serves the app on loopback and measures the
read-only API's latency under concurrent clients.

Run from the repository root:  python bench/report.py [--api] [--write]
``--write`` records the figures in bench/RESULTS.md.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

from _results import machine, write_section
from flask_migrate import upgrade
from sqlalchemy import insert

from survey import MIGRATIONS_DIR, create_app
from survey.extensions import db
from survey.models import (
    AnonymousAnswer,
    AnonymousComment,
    AnonymousResponse,
    Audience,
    Centre,
    CloseReason,
    DisabilityType,
    Focus,
    HoldReason,
    Level,
    ReportType,
    Role,
    School,
    StaffUser,
    Trajectory,
    TrajectoryStatus,
)
from survey.privacy.keys import new_key
from survey.questionnaire_versions.services import (
    current_version,
    register_builtin_questionnaires,
)

SCHOOLS = 330
COACHES = 120
TRAJECTORIES = 3_000
MIX = {  # audience: (questionnaire, responses this year, last year)
    Audience.PARENT: ("tevredenheid-ouders", 30_000, 12_000),
    Audience.TEACHER: ("tevredenheid-leraren", 10_000, 4_000),
    Audience.PUPIL: ("tevredenheid-leerlingen", 6_000, 2_500),
    Audience.SCHOOL: ("tevredenheid-scholen", 4_000, 1_500),
}
COMMENTS = [
    "De leerondersteuner neemt echt de tijd voor ons kind.",
    "Ik had graag wat vaker nieuws gekregen over hoe het gaat.",
    "Juf Sarah helpt goed, bel me gerust op 0471 23 45 67.",
    "Mail me op ouder.peeters@telenet.be als er iets is.",
    "De afspraken na het overleg werden goed opgevolgd.",
]


def fill(seed: int = 2025) -> Centre:
    rng = random.Random(seed)
    centre = Centre(code="bench", name="Leersteuncentrum Bench")
    db.session.add(centre)
    db.session.flush()
    schools = [
        School(
            centre_id=centre.id,
            name=f"School {i:03d}",
            institution_number=f"{100000 + i}",
            levels=["lager"],
        )
        for i in range(SCHOOLS)
    ]
    coaches = [
        StaffUser(
            centre_id=centre.id,
            email=f"coach{i}@bench.example",
            name=f"Coach {i:03d}",
            role=Role.COACH,
        )
        for i in range(COACHES)
    ]
    db.session.add_all(schools + coaches)
    db.session.flush()
    for i in range(TRAJECTORIES):
        on = date(2024, 9, 1) + timedelta(days=rng.randrange(600))
        focus = rng.choice([Focus.PUPIL] * 6 + [Focus.TEACHER] * 3 + [Focus.TEAM])
        trajectory = Trajectory.create(
            on=on,
            centre_id=centre.id,
            code=f"B-{i:05d}",
            school=rng.choice(schools),
            focus=focus,
            report_type=None
            if focus is Focus.TEAM
            else rng.choice([ReportType.GC] * 4 + [ReportType.IAC, ReportType.OV4]),
            disability_type=rng.choice(list(DisabilityType)),
            level=rng.choice(list(Level)),
            start_date=on,
        )
        trajectory.change_status(TrajectoryStatus.ACTIVE, on=on + timedelta(days=10))
        roll = rng.random()
        if roll < 0.15:
            trajectory.change_status(
                TrajectoryStatus.ON_HOLD,
                on=on + timedelta(days=60),
                hold_reason=rng.choice(list(HoldReason)[:-1]),
            )
        elif roll < 0.3:
            trajectory.change_status(
                TrajectoryStatus.CLOSED,
                on=on + timedelta(days=90),
                close_reason=rng.choice(list(CloseReason)[:-1]),
            )
        db.session.add(trajectory)
    db.session.flush()

    school_weights = [rng.paretovariate(1.5) for _ in schools]
    for audience, (questionnaire, now, before) in MIX.items():
        version = current_version(questionnaire)
        items = [item["id"] for item in version.definition["items"]]
        points = 3 if audience is Audience.PUPIL else 4
        for year, count in (("2025-2026", now), ("2024-2025", before)):
            responses, answers, comments = [], [], []
            chosen = rng.choices(schools, weights=school_weights, k=count)
            for school in chosen:
                rid = uuid.uuid4()
                responses.append(
                    {
                        "id": rid,
                        "questionnaire_version_id": version.id,
                        "centre_id": centre.id,
                        "school_id": school.id,
                        "school_year": year,
                        "audience": audience,
                        "coach_id": rng.choice(coaches).id
                        if audience is Audience.TEACHER
                        else None,
                        # The day their batch was published (docs/anonymity.md): anonymous
                        # answers carry no submission date.
                        "published_on": date(int(year[:4]) + 1, 3, 15),
                    }
                )
                answers += [
                    {
                        "response_id": rid,
                        "item_id": item,
                        "value": rng.choice(
                            [0] + [points - 1] * 2 + [points] * 3 + list(range(1, points + 1))
                        ),
                    }
                    for item in items
                ]
                if audience is Audience.PARENT and rng.random() < 0.1:
                    comments.append(
                        {
                            "response_id": rid,
                            "question_id": "nog-iets",
                            "text": rng.choice(COMMENTS),
                        }
                    )
            db.session.execute(insert(AnonymousResponse), responses)
            db.session.execute(insert(AnonymousAnswer), answers)
            if comments:
                db.session.execute(insert(AnonymousComment), comments)
    db.session.commit()
    return centre


def timed(function, repeats: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def api_latency(app, token: str, clients: int = 8, requests: int = 400) -> dict:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/api/v1/results"
    headers = {"Authorization": f"Bearer {token}"}
    latencies, errors = [], 0

    def get(query: str) -> int:
        # S310: the URL is our own loopback server, built above, never user input.
        request = urllib.request.Request(f"{base}?{query}", headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            response.read()
            return response.status

    first = time.perf_counter()
    get("school_year=2025-2026&per_page=1000")
    cold = time.perf_counter() - first

    def one(i: int) -> float:
        start = time.perf_counter()
        status = get(f"school_year=2025-2026&page={1 + i % 50}&per_page=500")
        if status != 200:
            raise RuntimeError(status)
        return time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for result in pool.map(lambda i: _safe(one, i), range(requests)):
            if result is None:
                errors += 1
            else:
                latencies.append(result)
    wall = time.perf_counter() - start
    server.shutdown()
    latencies.sort()
    return {
        "cold": cold,
        "clients": clients,
        "requests": requests,
        "errors": errors,
        "p50": latencies[len(latencies) // 2],
        "p95": latencies[int(len(latencies) * 0.95)],
        "throughput": len(latencies) / wall,
    }


def _safe(function, argument):
    try:
        return function(argument)
    except Exception:
        return None


def main() -> int:
    url = os.environ.get("KLANKBORD_BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="klankbord-bench-")
    url = url or f"sqlite:///{folder}/bench.sqlite"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            # Its own anonymity key, as the tests do: nothing here is sealed or spent, and the
            # benchmark must neither read nor create instance/anonymity_key.
            "ANONYMITY_KEY": new_key(),
            "TESTING": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    from survey.reports.exports import to_csv, to_xlsx
    from survey.reports.render import render_report, report_pdf, report_stylesheet
    from survey.reports.services import build_report, period_for

    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        register_builtin_questionnaires()
        db.session.commit()
        start = time.perf_counter()
        centre = fill()
        filled = time.perf_counter() - start
        centre_id = centre.id
    figures = {}
    with app.test_request_context():
        centre = db.session.get(Centre, centre_id)
        period = period_for("2025-2026")
        figures["build"], report = timed(lambda: build_report(centre, period))
        figures["html"], html = timed(lambda: render_report(report, stylesheet=report_stylesheet()))
        figures["pdf"], pdf = timed(lambda: report_pdf(report), repeats=1)
        figures["xlsx"], xlsx = timed(lambda: to_xlsx(report))
        figures["csv"], csv_data = timed(lambda: to_csv(report))
        import io

        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(pdf)).pages)
    api = None
    if "--api" in sys.argv:
        with app.app_context():
            from survey.api.services import create_token

            _row, token = create_token(db.session.get(Centre, centre_id), "bench")
            db.session.commit()
        api = api_latency(app, token)
    if "--profile" in sys.argv:
        import cProfile

        with app.test_request_context():
            centre = db.session.get(Centre, centre_id)
            cProfile.runctx("build_report(centre, period)", globals(), locals(), sort="cumtime")

    backend = url.split(":", 1)[0]
    lines = [
        "## Benchmark: the council report (330 schools, 50,000 responses)",
        "",
        f"Data: one centre, {SCHOOLS} schools (Pareto-sized), {COACHES} coaches, "
        f"{TRAJECTORIES:,} trajectories with status histories; 50,000 published anonymous "
        "responses in 2025-2026 (30,000 parents, 10,000 teachers, 6,000 pupils, 4,000 school "
        "teams; ~500,000 answers, ~3,000 comments) and 20,000 in 2024-2025 for the comparison. "
        f"Database: {backend}. Filling took {filled:.0f} s.",
        "",
        "Command: `python bench/report.py --api --write` (median of 3 runs, PDF once).",
        "",
        "| step | time |",
        "|---|---|",
        f"| build the suppressed report (queries, statistics) | {figures['build']:.2f} s |",
        f"| render HTML with charts ({len(html) / 1024:.0f} KiB) | {figures['html']:.2f} s |",
        f"| PDF, WeasyPrint ({pages} pages, {len(pdf) / 1024:.0f} KiB) | {figures['pdf']:.2f} s |",
        f"| XLSX ({len(xlsx) / 1024:.0f} KiB) | {figures['xlsx']:.2f} s |",
        f"| CSV ({len(csv_data) / 1024:.0f} KiB) | {figures['csv']:.2f} s |",
        f"| **council PDF end to end** | **{figures['build'] + figures['pdf']:.1f} s** |",
        "",
    ]
    if api:
        lines += [
            "API: `GET /api/v1/results?school_year=2025-2026&page=N&per_page=500`, "
            f"{api['clients']} concurrent clients, {api['requests']} requests, "
            "werkzeug threaded server on "
            "loopback (one process; production runs several gunicorn workers).",
            "",
            "| measure | value |",
            "|---|---|",
            f"| first request (builds the report, fills the cache) | {api['cold']:.2f} s |",
            f"| p50 latency | {api['p50'] * 1000:.0f} ms |",
            f"| p95 latency | {api['p95'] * 1000:.0f} ms |",
            f"| throughput | {api['throughput']:.1f} requests/s |",
            f"| errors | {api['errors']} |",
            "",
        ]
    lines += ["Machine:", "", machine()]
    text = "\n".join(lines)
    print(text)
    if "--write" in sys.argv:
        write_section("report", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
