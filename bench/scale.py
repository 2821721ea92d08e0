"""Benchmark: Klankbord for the whole of Flanders on one PostgreSQL database.

Generates a Flanders-sized dataset in a fresh PostgreSQL database (``KLANKBORD_SCALE_DATABASE_URL``,
default below; the role needs CREATEDB): 43 centres, 4,500 coaches, 3,300 schools, 100,000
trajectories with their coaches and status histories, 1,000,000 published anonymous responses
over two school years with ~10 answers each, and the invitations they answered (1.6 million
single-use links), with a ``spent_link`` row (a random 64-hex nullifier) per answered one, as
docs/anonymity.md stores them. The schema comes from ``klankbord init-db``; rows are bulk
loaded with COPY (centres, schools, staff, trajectories, responses) and INSERT ... SELECT on the
server (answers, comments, invitations, spent links), then ANALYZEd.

Then it measures, against that database:

* the council report: build (queries and statistics) and the PDF and XLSX for the largest and
  a median centre, and the build and PDF for all 43 centres one after another;
* the read-only API through gunicorn (the project's gunicorn.conf.py) on loopback: the first
  request per centre (builds the report) and warm requests from concurrent clients;
* every index of the schema: the query it serves, run with EXPLAIN ANALYZE, and whether the
  plan uses it; plus every statement the report and the opening of a respondent's link run
  (survey/privacy/links.py: the campaign, whether the link is spent, its draft), with any
  sequential scan of a large table flagged.

Run from the repository root:  .venv/bin/python bench/scale.py [--write] [--keep-db] [--reuse]
``--write`` records the figures in bench/RESULTS.md; ``--reuse`` skips generation when the
database already holds the dataset (for re-measuring). Takes ~15-25 minutes on 2 cores.
``--trajectories N`` scales every count (coaches, schools, responses) by N / 100,000 for a
smoke run: ``--trajectories 2000 --no-all-pdfs`` takes a minute or two.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from argon2 import PasswordHasher
from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

import load
import psycopg
from _results import machine, write_section
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://klankbord:klankbord@127.0.0.1:5432/klankbord_scale"
CENTRES = 43
COACHES = 4_500
SCHOOLS = 3_300
TRAJECTORIES = load.FLANDERS_TRAJECTORIES
RESPONSES = {"2025-2026": 600_000, "2024-2025": 400_000}
# Audience: (questionnaire, share of the responses, response rate of its invitations).
AUDIENCES = {
    "parent": ("tevredenheid-ouders", 0.60, 0.55),
    "teacher": ("tevredenheid-leraren", 0.20, 0.70),
    "pupil": ("tevredenheid-leerlingen", 0.12, 0.80),
    "school": ("tevredenheid-scholen", 0.08, 0.75),
}
COMMENTS = [
    "De leerondersteuner neemt echt de tijd voor ons kind.",
    "Ik had graag wat vaker nieuws gekregen over hoe het gaat.",
    "Juf Sarah helpt goed, bel me gerust op 0471 23 45 67.",
    "De afspraken na het overleg werden goed opgevolgd.",
    "Fijn dat de school en het centrum samen rond de tafel zitten.",
]
# PostgreSQL settings the README recommends for a server on SSD with the data in memory;
# applied to the benchmark database (ALTER DATABASE), and the report's statements are also
# timed with PostgreSQL's defaults to show what they change.
RECOMMENDED_SETTINGS = {"random_page_cost": "1.1", "effective_cache_size": "8GB"}
# Tables this large make a sequential scan in an interactive query a finding.
LARGE_TABLE_ROWS = 50_000


@dataclass(frozen=True)
class Size:
    """How much to generate: Flanders (the default), or a fraction of it for a smoke run."""

    trajectories: int = TRAJECTORIES
    coaches: int = COACHES
    schools: int = SCHOOLS
    responses: dict[str, int] = field(default_factory=lambda: dict(RESPONSES))

    @classmethod
    def of(cls, trajectories: int) -> Size:
        """Every count scaled by ``trajectories`` / 100,000 (the 43 centres stay)."""
        factor = trajectories / TRAJECTORIES
        return cls(
            trajectories=trajectories,
            coaches=max(CENTRES, round(COACHES * factor)),
            schools=max(CENTRES, round(SCHOOLS * factor)),
            responses={year: round(total * factor) for year, total in RESPONSES.items()},
        )

    @property
    def total_responses(self) -> int:
        return sum(self.responses.values())


def scale_url() -> str:
    return os.environ.get("KLANKBORD_SCALE_DATABASE_URL") or DEFAULT_URL


def conninfo(url: str) -> str:
    parsed = make_url(url)
    return (
        f"host={parsed.host} port={parsed.port or 5432} dbname={parsed.database} "
        f"user={parsed.username} password={parsed.password}"
    )


# --- generating the dataset ----------------------------------------------------------------


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` divided in proportion to ``weights``, in whole numbers that add up."""
    raw = weights / weights.sum() * total
    counts = np.floor(raw).astype(int)
    counts[np.argsort(raw - counts)[::-1][: total - counts.sum()]] += 1
    return counts


@dataclass
class Shape:
    centre_ids: list[int]
    schools: dict[int, np.ndarray]  # centre id -> school ids
    coaches: dict[int, np.ndarray]  # centre id -> coach ids
    versions: dict[str, tuple[int, list[str], int]]  # audience -> (version id, items, points)
    responses: dict[str, int]  # school year -> anonymous responses


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _next_id(cursor, table: str) -> int:
    return cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]  # noqa: S608 - fixed table names from this file


def _sync_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - fixed table names
    )


def _versions(cursor) -> dict[str, tuple[int, list[str], int]]:
    from questionnaires import questionnaire_from_definition

    found = {}
    for audience, (questionnaire_id, _share, _rate) in AUDIENCES.items():
        version_id, version, definition = cursor.execute(
            "SELECT id, version, definition FROM questionnaire_version "
            "WHERE questionnaire_id = %s ORDER BY version DESC LIMIT 1",
            (questionnaire_id,),
        ).fetchone()
        parsed = questionnaire_from_definition(definition, f"{questionnaire_id} v{version}")
        items = [item.id for item in parsed.items]
        points = max(parsed.scales[item.scale].points for item in parsed.items)
        found[audience] = (version_id, items, points)
    return found


def generate(url: str, size: Size, seed: int = 2026) -> dict[str, float]:
    """Fill the migrated database; returns seconds per step."""
    rng = np.random.default_rng(seed)
    timings: dict[str, float] = {}
    today = date(2026, 5, 15)
    with psycopg.connect(conninfo(url)) as connection, connection.cursor() as cursor:
        started = time.monotonic()
        centre_id = _next_id(cursor, "centre")
        centre_ids = list(range(centre_id, centre_id + CENTRES))
        # Centres differ a lot in size: coaches and schools follow a lognormal spread.
        spread = rng.lognormal(0, 0.5, CENTRES)
        # At least one of each per centre (only a smoke run's small counts need it).
        coach_counts = np.maximum(_split(size.coaches, spread), 1)
        school_counts = np.maximum(
            _split(size.schools, spread * rng.uniform(0.8, 1.25, CENTRES)), 1
        )
        _copy(
            cursor,
            "centre",
            ["id", "code", "name", "created_at"],
            (
                (cid, f"lsc{n + 1:02d}", f"Leersteuncentrum {n + 1:02d}", "2024-08-01")
                for n, cid in enumerate(centre_ids)
            ),
        )
        school_id = _next_id(cursor, "school")
        schools: dict[int, np.ndarray] = {}
        rows = []
        for cid, count in zip(centre_ids, school_counts, strict=True):
            schools[cid] = np.arange(school_id, school_id + count)
            for n, sid in enumerate(schools[cid]):
                level = '["lager"]' if n % 3 else '["secundair"]'
                rows.append((int(sid), cid, f"School {sid:05d}", f"{100000 + sid}", level))
            school_id += count
        _copy(cursor, "school", ["id", "centre_id", "name", "institution_number", "levels"], rows)
        # One real hash of a random password for all: nobody logs in as these users.
        password_hash = PasswordHasher().hash(secrets.token_urlsafe(16))
        staff_id = _next_id(cursor, "staff_user")
        coaches: dict[int, np.ndarray] = {}
        rows = []
        for cid, count in zip(centre_ids, coach_counts, strict=True):
            rows.append(
                (staff_id, cid, f"kwaliteit{cid}@scale.example", f"Coördinator {cid}",
                 "coordinator", password_hash, True, "2024-08-01")
            )  # fmt: skip
            staff_id += 1
            coaches[cid] = np.arange(staff_id, staff_id + count)
            rows += [
                (int(s), cid, f"coach{s}@scale.example", f"Coach {s:05d}", "coach",
                 password_hash, True, "2024-08-01")
                for s in coaches[cid]
            ]  # fmt: skip
            staff_id += count
        _copy(
            cursor,
            "staff_user",
            ["id", "centre_id", "email", "name", "role", "password_hash", "is_enabled",
             "created_at"],
            rows,
        )  # fmt: skip
        timings["centres, schools, staff"] = time.monotonic() - started

        started = time.monotonic()
        _trajectories(cursor, rng, size.trajectories, centre_ids, schools, coaches, coach_counts)
        timings["trajectories, coaches, status histories"] = time.monotonic() - started

        versions = _versions(cursor)
        shape = Shape(centre_ids, schools, coaches, versions, size.responses)
        started = time.monotonic()
        counts = _responses(cursor, rng, shape)
        timings["anonymous responses (COPY)"] = time.monotonic() - started
        started = time.monotonic()
        _answers(cursor, shape)
        timings["answers and comments (INSERT ... SELECT)"] = time.monotonic() - started
        started = time.monotonic()
        _invitations(cursor, shape, counts, today)
        timings["campaigns, invitations and spent links"] = time.monotonic() - started
        started = time.monotonic()
        _trajectory_work(cursor)
        timings["goals, evaluations, feedbackmatrix rounds, audit (INSERT ... SELECT)"] = (
            time.monotonic() - started
        )
        for table in ("centre", "school", "staff_user", "trajectory", "trajectory_status_change"):
            _sync_sequence(cursor, table)
        connection.commit()
    started = time.monotonic()
    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    timings["VACUUM ANALYZE"] = time.monotonic() - started
    return timings


def _trajectories(cursor, rng, total, centre_ids, schools, coaches, coach_counts) -> None:
    per_centre = _split(total, coach_counts.astype(float))
    trajectory_id = _next_id(cursor, "trajectory")
    change_id = _next_id(cursor, "trajectory_status_change")
    trajectories, links, changes = [], [], []
    hold = ["no_pupil_support_needed", "school_takes_over", "prioritising", "pupil_declines",
            "pupil_absent", "no_teacher_support_needed", "no_hours_available"]  # fmt: skip
    close = ["goals_reached", "school_takes_over", "pupil_left_school", "special_education",
             "report_ended", "family_declines"]  # fmt: skip
    levels = ["kleuter", "lager", "secundair", "hbo5"]
    disabilities = ["BA", "2", "3", "4", "6", "7", "9"]
    for cid, count in zip(centre_ids, per_centre, strict=True):
        school_of = rng.choice(schools[cid], count)
        coach_of = rng.choice(coaches[cid], count)
        second = rng.choice(coaches[cid], count)
        starts = rng.integers(0, 700, count)
        roll = rng.random(count)
        focus_roll = rng.random(count)
        for n in range(count):
            tid = trajectory_id
            trajectory_id += 1
            start = date(2024, 9, 1) + timedelta(days=int(starts[n]))
            focus = "pupil" if focus_roll[n] < 0.6 else "teacher" if focus_roll[n] < 0.9 else "team"
            report = None if focus == "team" else ("GC", "GC", "GC", "GC", "IAC", "OV4")[n % 6]
            history = [(None, "requested", start, None, None)]
            status, since, hold_reason, close_reason = "requested", start, None, None
            if roll[n] > 0.05:
                since = start + timedelta(days=10)
                history.append(("requested", "active", since, None, None))
                status = "active"
            if 0.05 < roll[n] < 0.17:
                since = start + timedelta(days=60)
                hold_reason = hold[n % len(hold)]
                history.append(("active", "on_hold", since, hold_reason, None))
                status = "on_hold"
            elif 0.17 <= roll[n] < 0.35:
                since = start + timedelta(days=120)
                close_reason = close[n % len(close)]
                history.append(("active", "closed", since, None, close_reason))
                status = "closed"
            trajectories.append(
                (tid, cid, f"T-{tid:06d}", int(school_of[n]), focus, report,
                 disabilities[n % 7], levels[n % 4], start, status, hold_reason, close_reason,
                 since, "2024-08-01")
            )  # fmt: skip
            links.append((tid, int(coach_of[n])))
            if n % 4 == 0 and second[n] != coach_of[n]:
                links.append((tid, int(second[n])))
            for before, after, on, why_hold, why_close in history:
                changes.append(
                    (change_id, tid, on, before, after, why_hold, why_close, "2024-08-01")
                )
                change_id += 1
    _copy(
        cursor,
        "trajectory",
        ["id", "centre_id", "code", "school_id", "focus", "report_type", "disability_type",
         "level", "start_date", "status", "hold_reason", "close_reason", "status_since",
         "created_at"],
        trajectories,
    )  # fmt: skip
    _copy(cursor, "trajectory_coach", ["trajectory_id", "staff_user_id"], links)
    _copy(
        cursor,
        "trajectory_status_change",
        ["id", "trajectory_id", "changed_on", "from_status", "to_status", "hold_reason",
         "close_reason", "recorded_at"],
        changes,
    )  # fmt: skip


def _responses(cursor, rng, shape: Shape) -> dict[tuple[int, str, str], int]:
    """COPY the anonymous responses; returns their number per (centre, year, audience)."""
    counts: dict[tuple[int, str, str], int] = {}
    centre_weights = np.array([len(shape.schools[c]) for c in shape.centre_ids], dtype=float)

    def rows():
        for year, total in shape.responses.items():
            # One publication day per school year: the design publishes in batches, dated
            # by the batch, never by the submission (docs/anonymity.md).
            published = date(int(year[:4]) + 1, 3, 15)
            for audience, (_questionnaire, share, _rate) in AUDIENCES.items():
                version_id = shape.versions[audience][0]
                per_centre = _split(round(total * share), centre_weights)
                for cid, count in zip(shape.centre_ids, per_centre, strict=True):
                    counts[(cid, year, audience)] = int(count)
                    # A few big schools answer a lot, many small ones a little (Pareto).
                    weights = rng.pareto(1.5, len(shape.schools[cid])) + 0.05
                    school_of = rng.choice(shape.schools[cid], count, p=weights / weights.sum())
                    coach_of = rng.choice(shape.coaches[cid], count)
                    for n in range(count):
                        yield (
                            uuid.uuid4(), version_id, cid, int(school_of[n]), year, audience,
                            int(coach_of[n]) if audience == "teacher" else None, published,
                        )  # fmt: skip

    _copy(
        cursor,
        "anonymous_response",
        ["id", "questionnaire_version_id", "centre_id", "school_id", "school_year", "audience",
         "coach_id", "published_on"],
        rows(),
    )  # fmt: skip
    return counts


def _answers(cursor, shape: Shape) -> None:
    for version_id, items, points in shape.versions.values():
        # Skewed to agreement like real answers, with "don't know" (0) now and then and 3 %
        # of statements left open.
        choices = [0] + [points - 1] * 2 + [points] * 3 + list(range(1, points + 1))
        cursor.execute(
            "INSERT INTO anonymous_answer (response_id, item_id, value) "
            "SELECT r.id, i.item, (%(choices)s::smallint[])[1 + floor(random() * %(n)s)::int] "
            "FROM anonymous_response r CROSS JOIN unnest(%(items)s::text[]) AS i(item) "
            "WHERE r.questionnaire_version_id = %(version)s AND random() < 0.97",
            {"choices": choices, "n": len(choices), "items": items, "version": version_id},
        )
    cursor.execute(
        "INSERT INTO anonymous_comment (response_id, question_id, text) "
        "SELECT id, 'nog-iets', (%(texts)s::text[])[1 + floor(random() * %(n)s)::int] "
        "FROM anonymous_response WHERE audience = 'parent' AND random() < 0.1",
        {"texts": COMMENTS, "n": len(COMMENTS)},
    )


def _invitations(cursor, shape: Shape, counts: dict, today: date) -> None:
    """One centre-wide campaign per centre, school year and audience, with its links.

    As the app stores them (docs/anonymity.md): an invitation row per link, which nothing
    marks when it is answered, and a ``spent_link`` row per answered link, keyed by its
    nullifier (an HMAC the database cannot compute; random 64-hex digits here). Every answer
    is published, so ``published_answers`` counts them all.
    """
    for (cid, year, audience), answered in counts.items():
        version_id, _items, _points = shape.versions[audience]
        rate = AUDIENCES[audience][2]
        first = date(int(year[:4]), 10, 1)
        closes = date(int(year[:4]) + 1, 4, 30)
        status = "open" if closes >= today else "closed"
        campaign_id = cursor.execute(
            "INSERT INTO campaign (centre_id, questionnaire_version_id, scope, audiences, "
            "opens_on, closes_on, status, closed_on, published_answers, created_at) "
            "VALUES (%s, %s, 'centre', %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (cid, version_id, f'["{audience}"]', first, closes, status,
             closes if status == "closed" else None, answered, first),
        ).fetchone()[0]  # fmt: skip
        cursor.execute(
            "INSERT INTO invitation (campaign_id, audience, language, email_sent, "
            "reminder_sent, created_on) "
            "SELECT %(campaign)s, %(audience)s, 'nl', false, false, %(on)s "
            "FROM generate_series(1, %(total)s) AS g",
            {
                "campaign": campaign_id,
                "audience": audience,
                "total": round(answered / rate),
                "on": first,
            },
        )
        cursor.execute(
            "INSERT INTO spent_link (nullifier, campaign_id, audience) "
            "SELECT encode(sha256(gen_random_uuid()::text::bytea), 'hex'), %(campaign)s, "
            "%(audience)s FROM generate_series(1, %(answered)s) AS g",
            {"campaign": campaign_id, "audience": audience, "answered": answered},
        )


def _trajectory_work(cursor) -> None:
    """What coaches record per trajectory, so that those tables and indexes hold data too.

    Two goals per trajectory, an evaluation with a result per goal for half of them, a
    feedbackmatrix round (campaign, parent/teacher/pupil answers) for one in five, and an
    audit entry per trajectory.
    """
    cursor.execute(
        "INSERT INTO goal (trajectory_id, target, description, success_criterion, created_on) "
        "SELECT t.id, t.focus, 'Doel ' || g, 'Criterium ' || g, t.start_date "
        "FROM trajectory t CROSS JOIN generate_series(1, 2) AS g"
    )
    cursor.execute(
        "INSERT INTO evaluation (trajectory_id, held_on, participants, decision, "
        "feedback_snapshot, created_at) "
        "SELECT id, start_date + 90, '[\"school\", \"ouders\"]', 'continue', '{}', "
        "start_date + 90 FROM trajectory WHERE mod(id, 2) = 0"
    )
    cursor.execute(
        "INSERT INTO goal_result (evaluation_id, goal_id, progress) "
        "SELECT e.id, g.id, (ARRAY['reached', 'partly', 'not_yet'])[1 + mod(g.id, 3)] "
        "FROM evaluation e JOIN goal g ON g.trajectory_id = e.trajectory_id"
    )
    version = cursor.execute(
        "SELECT id, definition FROM questionnaire_version WHERE questionnaire_id = "
        "'feedbackmatrix' ORDER BY version DESC LIMIT 1"
    ).fetchone()
    items = [item["id"] for item in version[1]["items"]]
    cursor.execute(
        "INSERT INTO campaign (centre_id, questionnaire_version_id, scope, trajectory_id, "
        "audiences, opens_on, closes_on, status, closed_on, created_at) "
        "SELECT centre_id, %(version)s, 'trajectory', id, "
        '\'["parent", "teacher", "pupil"]\', start_date + 80, start_date + 94, '
        "'closed', start_date + 94, start_date + 80 FROM trajectory WHERE mod(id, 5) = 0",
        {"version": version[0]},
    )
    cursor.execute(
        "INSERT INTO matrix_response (id, questionnaire_version_id, centre_id, trajectory_id, "
        "role, submitted_on, campaign_id) "
        "SELECT gen_random_uuid(), c.questionnaire_version_id, c.centre_id, c.trajectory_id, "
        "r.role, c.opens_on + 3, c.id FROM campaign c "
        "CROSS JOIN unnest(ARRAY['parent', 'teacher', 'pupil']) AS r(role) "
        "WHERE c.scope = 'trajectory'"
    )
    cursor.execute(
        "INSERT INTO matrix_answer (response_id, item_id, value) "
        "SELECT m.id, i.item, 1 + floor(random() * 4)::int FROM matrix_response m "
        "CROSS JOIN unnest(%(items)s::text[]) AS i(item)",
        {"items": items},
    )
    cursor.execute(
        "INSERT INTO audit_entry (at, centre_id, action, trajectory_id) "
        "SELECT start_date + 1, centre_id, 'trajectory.created', id FROM trajectory"
    )


def apply_settings(url: str) -> None:
    database = make_url(url).database
    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        for name, value in RECOMMENDED_SETTINGS.items():
            # Fixed names and values from this file; identifiers cannot be parameters.
            connection.execute(f"ALTER DATABASE {database} SET {name} = '{value}'")


def remember_generation(url: str, timings: dict[str, float]) -> None:
    """Keep the generation's timings with the database, for a later ``--reuse`` report."""
    database = make_url(url).database
    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        comment = json.dumps(timings).replace("'", "''")
        connection.execute(f"COMMENT ON DATABASE {database} IS '{comment}'")


def generation_timings(url: str) -> dict[str, float]:
    with psycopg.connect(conninfo(url)) as connection:
        comment = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname = current_database()"
        ).fetchone()[0]
    try:
        return json.loads(comment or "{}")
    except ValueError:
        return {}


def table_sizes(url: str) -> list[tuple[str, int, str]]:
    with psycopg.connect(conninfo(url)) as connection:
        return connection.execute(
            "SELECT c.relname, c.reltuples::bigint, "
            "pg_size_pretty(pg_total_relation_size(c.oid)) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.reltuples > 1000 "
            "ORDER BY c.reltuples DESC"
        ).fetchall()


def has_dataset(url: str, size: Size) -> bool:
    """Whether the database holds a generated dataset of this size, in this schema."""
    try:
        with psycopg.connect(conninfo(url)) as connection:
            centres, trajectories, spent = connection.execute(
                "SELECT (SELECT count(*) FROM centre), (SELECT count(*) FROM trajectory), "
                "(SELECT count(*) FROM spent_link)"
            ).fetchone()
    except psycopg.Error:
        return False
    return centres >= CENTRES and trajectories == size.trajectories and spent > 0


def adopt_anonymity_key(url: str) -> None:
    """Give a reused dataset this run's anonymity key (load.py makes a fresh one per run).

    The generated nullifiers are random, no link was made under any key and nothing waits
    sealed: the stored check value is all that names the key of the run that generated it,
    and gunicorn would refuse to serve under another. No key is ever stored.
    """
    from survey.privacy.keys import check_value, decode_key

    value = check_value(decode_key(os.environ["KLANKBORD_ANONYMITY_KEY"]))
    with psycopg.connect(conninfo(url)) as connection:
        connection.execute("UPDATE anonymity_key_check SET value = %s", (value,))


# --- timing the report ---------------------------------------------------------------------


def _app(url: str):
    from survey import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "scale",
            "TESTING": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def _centres_by_size(url: str) -> list[tuple[int, str, int]]:
    """(id, code, responses in 2025-2026), largest first."""
    with psycopg.connect(conninfo(url)) as connection:
        return connection.execute(
            "SELECT c.id, c.code, count(r.id) FROM centre c JOIN anonymous_response r "
            "ON r.centre_id = c.id AND r.school_year = '2025-2026' "
            "GROUP BY c.id, c.code ORDER BY count(r.id) DESC"
        ).fetchall()


def time_reports(url: str, all_pdfs: bool) -> dict:
    from survey.extensions import db
    from survey.models import Centre
    from survey.reports.exports import to_xlsx
    from survey.reports.render import report_pdf
    from survey.reports.services import build_report, period_for

    app = _app(url)
    centres = _centres_by_size(url)
    figures: dict = {"centres": centres}
    period = period_for("2025-2026")
    with app.test_request_context():
        # Not timed: the first PDF of a process loads fonts and the first chart imports
        # matplotlib; a server pays that once per worker.
        report_pdf(build_report(db.session.get(Centre, centres[-1][0]), period))
        db.session.rollback()
        for label, (cid, code, responses) in (
            ("largest", centres[0]),
            ("median", centres[len(centres) // 2]),
        ):
            centre = db.session.get(Centre, cid)
            start = time.perf_counter()
            report = build_report(centre, period)
            build = time.perf_counter() - start
            start = time.perf_counter()
            pdf = report_pdf(report)
            pdf_time = time.perf_counter() - start
            start = time.perf_counter()
            xlsx = to_xlsx(report)
            xlsx_time = time.perf_counter() - start
            schools = db.session.execute(
                db.text("SELECT count(*) FROM school WHERE centre_id = :c"), {"c": cid}
            ).scalar()
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            figures[label] = {
                "code": code,
                "responses": responses,
                "schools": schools,
                "build": build,
                "pdf": pdf_time,
                "pages": pages,
                "xlsx": xlsx_time,
                "xlsx_kib": len(xlsx) / 1024,
            }
            db.session.rollback()
        builds, pdfs = [], []
        start = time.perf_counter()
        for cid, _code, _responses in centres:
            centre = db.session.get(Centre, cid)
            began = time.perf_counter()
            report = build_report(centre, period)
            builds.append(time.perf_counter() - began)
            if all_pdfs:
                began = time.perf_counter()
                report_pdf(report)
                pdfs.append(time.perf_counter() - began)
            db.session.rollback()
        figures["all"] = {
            "wall": time.perf_counter() - start,
            "builds": builds,
            "pdfs": pdfs,
        }
    return figures


# --- the API through gunicorn --------------------------------------------------------------


def _tokens(url: str, centre_ids: list[int]) -> dict[int, str]:
    from survey.api.services import create_token
    from survey.extensions import db
    from survey.models import Centre

    app = _app(url)
    tokens = {}
    with app.app_context():
        for cid in centre_ids:
            _row, tokens[cid] = create_token(db.session.get(Centre, cid), "scale benchmark")
        db.session.commit()
    return tokens


def api_latency(url: str, centres: list[tuple[int, str, int]], clients: int = 8) -> dict:
    import http.client

    chosen = [centres[0], centres[len(centres) // 2], centres[-1]]
    tokens = _tokens(url, [c[0] for c in chosen])
    env = {"KLANKBORD_DATABASE_URL": url, "KLANKBORD_SECRET_KEY": secrets.token_urlsafe(32)}
    folder = load.log_folder("scale")
    server = load.Gunicorn(load.free_port(), env, folder / "gunicorn.log")
    server.start()
    ready = server.wait_ready()

    def get(cid: int, page: int) -> tuple[float, int]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        start = time.perf_counter()
        connection.request(
            "GET",
            f"/api/v1/results?school_year=2025-2026&page={page}&per_page=500",
            headers={"Authorization": f"Bearer {tokens[cid]}"},
        )
        response = connection.getresponse()
        response.read()
        connection.close()
        return time.perf_counter() - start, response.status

    try:
        cold = {}
        for cid, code, responses in chosen:
            seconds, status = get(cid, 1)
            cold[code] = (seconds, status, responses)
        jobs = [(chosen[i % 3][0], 1 + (i // 3) % 5) for i in range(600)]
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(lambda job: get(*job), jobs))
        wall = time.perf_counter() - start
    finally:
        server.stop()
    latencies = sorted(seconds for seconds, status in results if status == 200)
    errors = sum(status != 200 for _seconds, status in results)
    return {
        "ready": ready,
        "cold": cold,
        "clients": clients,
        "requests": len(jobs),
        "errors": errors,
        "p50": load.quantile(latencies, 50),
        "p95": load.quantile(latencies, 95),
        "p99": load.quantile(latencies, 99),
        "throughput": len(latencies) / wall,
        "settings": load.gunicorn_settings(),
    }


# --- EXPLAIN: every index, and every statement the hot paths run ---------------------------


# The one query of every respondent request (survey/privacy/links.py, _OPEN_LINK): the link's
# campaign by id with its questionnaire version, whether its nullifier is in spent_link, and
# its sealed draft by the draft id derived from the token. Nothing in it names an invitation.
RESPONDENT_LINK = (
    "SELECT campaign.id, campaign.status, campaign.audiences, questionnaire_version.definition, "
    "EXISTS (SELECT spent_link.nullifier FROM spent_link "
    "WHERE spent_link.nullifier = %(nullifier)s) AS spent, "
    "(SELECT response_draft.sealed FROM response_draft "
    "WHERE response_draft.id = %(draft_id)s) AS draft "
    "FROM campaign JOIN questionnaire_version "
    "ON questionnaire_version.id = campaign.questionnaire_version_id "
    "WHERE campaign.id = %(campaign)s"
)

# Index -> (why it exists, a query the app runs that needs it). Parameters are filled from
# the data (see _sample). Primary keys are here too: each serves lookups by id.
INDEX_QUERIES: dict[str, tuple[str, str]] = {
    "pk_anonymous_answer": (
        "one answer per statement per response; the report joins answers to its respondents",
        "SELECT a.item_id, a.value FROM anonymous_answer a WHERE a.response_id = %(response)s",
    ),
    "pk_anonymous_comment": (
        "one comment per question per response; the report joins comments to respondents",
        "SELECT text FROM anonymous_comment WHERE response_id = %(commented)s",
    ),
    "ix_anonymous_response_centre_year_audience": (
        "every report query selects one centre's responses of a school year and audience",
        "SELECT id, school_id, coach_id FROM anonymous_response "
        "WHERE centre_id = %(centre)s AND school_year = '2025-2026' AND audience = 'parent'",
    ),
    "ix_anonymous_response_coach_id": (
        "deleting (or checking references to) a staff user must not scan every response",
        "SELECT 1 FROM ONLY anonymous_response WHERE coach_id = %(coach)s FOR KEY SHARE",
    ),
    "ix_anonymous_response_school_id": (
        "deleting (or checking references to) a school must not scan every response",
        "SELECT 1 FROM ONLY anonymous_response WHERE school_id = %(school)s FOR KEY SHARE",
    ),
    "pk_anonymous_response": (
        "response id: the join key for answers and comments",
        "SELECT centre_id FROM anonymous_response WHERE id = %(response)s",
    ),
    "ix_api_token_centre_id": (
        "the API tokens page lists one centre's tokens",
        "SELECT id, name FROM api_token WHERE centre_id = %(centre)s",
    ),
    "pk_api_token": ("token id (revoking)", "SELECT name FROM api_token WHERE id = %(token)s"),
    "uq_api_token_token_hash": (
        "every API request finds its token by SHA-256",
        "SELECT centre_id FROM api_token WHERE token_hash = %(token_hash)s",
    ),
    "ix_audit_entry_at": (
        "purge deletes audit entries older than the retention period",
        "SELECT count(*) FROM audit_entry WHERE at < now() - interval '730 days'",
    ),
    "ix_audit_entry_centre_at": (
        "the audit page lists one centre's entries, newest first",
        "SELECT id FROM audit_entry WHERE centre_id = %(centre)s "
        "ORDER BY at DESC, id DESC LIMIT 50",
    ),
    "pk_audit_entry": ("entry id", "SELECT at FROM audit_entry WHERE id = 1000"),
    "ix_campaign_centre_id": (
        "a centre's campaigns (campaign list; invitation counts of the report)",
        "SELECT id FROM campaign WHERE centre_id = %(centre)s",
    ),
    "ix_campaign_trajectory_id": (
        "a trajectory's feedbackmatrix rounds",
        "SELECT id FROM campaign WHERE trajectory_id = %(trajectory)s",
    ),
    "pk_campaign": (
        "campaign id: every respondent request loads its link's campaign (the link carries it)",
        RESPONDENT_LINK,
    ),
    "pk_centre": ("centre id", "SELECT name FROM centre WHERE id = %(centre)s"),
    "uq_centre_code": (
        "centre code is unique (imports and the CLI address a centre by code)",
        "SELECT id FROM centre WHERE code = 'lsc01'",
    ),
    "ix_evaluation_trajectory_id": (
        "a trajectory's evaluations",
        "SELECT id FROM evaluation WHERE trajectory_id = %(trajectory)s",
    ),
    "pk_evaluation": (
        "evaluation id",
        "SELECT decision FROM evaluation WHERE id = %(evaluation)s",
    ),
    "ix_goal_trajectory_id": (
        "a trajectory's goals",
        "SELECT id FROM goal WHERE trajectory_id = %(trajectory)s",
    ),
    "pk_goal": ("goal id", "SELECT target FROM goal WHERE id = %(goal)s"),
    "ix_goal_result_evaluation_id": (
        "an evaluation's goal results",
        "SELECT id FROM goal_result WHERE evaluation_id = %(evaluation)s",
    ),
    "pk_goal_result": (
        "goal result id",
        "SELECT progress FROM goal_result WHERE evaluation_id IS NOT NULL AND id = 1000",
    ),
    "uq_goal_result_evaluation_id_goal_id": (
        "one result per goal per evaluation",
        "SELECT id FROM goal_result WHERE evaluation_id = %(evaluation)s AND goal_id = %(goal)s",
    ),
    "ix_invitation_campaign_audience_created": (
        "a campaign's links (response rates, letters, closing); the report counts a centre's "
        "invitations per audience and school year from the index alone",
        "SELECT count(*) FROM invitation JOIN campaign ON campaign.id = invitation.campaign_id "
        "WHERE campaign.centre_id = %(centre)s AND invitation.audience = 'parent' "
        "AND invitation.created_on BETWEEN '2025-09-01' AND '2026-08-31'",
    ),
    "pk_invitation": (
        "invitation id (marking e-mails and reminders sent; never the respondent's path)",
        "SELECT email_sent, reminder_sent FROM invitation WHERE id = %(invitation)s",
    ),
    "pk_matrix_answer": (
        "one answer per statement per feedbackmatrix response",
        "SELECT value FROM matrix_answer WHERE response_id = %(matrix)s",
    ),
    "pk_matrix_comment": (
        "one comment per question per feedbackmatrix response",
        "SELECT text FROM matrix_comment WHERE response_id = %(matrix)s",
    ),
    "ix_matrix_response_campaign_id": (
        "a round's answers",
        "SELECT id FROM matrix_response WHERE campaign_id = %(campaign)s",
    ),
    "ix_matrix_response_trajectory_id": (
        "the open feedbackmatrix of one trajectory",
        "SELECT id FROM matrix_response WHERE trajectory_id = %(trajectory)s",
    ),
    "pk_matrix_response": ("response id", "SELECT role FROM matrix_response WHERE id = %(matrix)s"),
    "pk_password_token": ("token id", "SELECT user_id FROM password_token WHERE id = 1"),
    "uq_password_token_token_hash": (
        "a set-password link is found by SHA-256",
        "SELECT id FROM password_token WHERE token_hash = %(token_hash)s",
    ),
    "pk_questionnaire_version": (
        "version id: every respondent request loads its campaign's version",
        "SELECT content_hash FROM questionnaire_version WHERE id = 1",
    ),
    "uq_questionnaire_version_questionnaire_id_version": (
        "one row per questionnaire version (registering, the current version)",
        "SELECT id FROM questionnaire_version WHERE questionnaire_id = 'tevredenheid-ouders' "
        "ORDER BY version DESC LIMIT 1",
    ),
    "pk_response_draft": (
        "a link's sealed draft, by the id derived from its token: every respondent request",
        RESPONDENT_LINK,
    ),
    "ix_response_draft_campaign_id": (
        "closing a campaign deletes its drafts (and the purge those of campaigns gone)",
        "DELETE FROM response_draft WHERE campaign_id = %(campaign)s",
    ),
    "ix_response_inbox_campaign_id": (
        "answers of ended campaigns still waiting for a batch of k (purge, daily), and "
        "deleting a campaign",
        "SELECT count(*) FROM response_inbox WHERE campaign_id = %(campaign)s",
    ),
    "pk_response_inbox": (
        "inbox row id: a publication deletes the rows it published",
        "DELETE FROM response_inbox WHERE id = %(uuid)s",
    ),
    "pk_spent_link": (
        "whether a link was answered, by its nullifier: every respondent request; and the "
        "submission's INSERT ... ON CONFLICT DO NOTHING",
        RESPONDENT_LINK,
    ),
    "ix_spent_link_campaign_id": (
        "a campaign's spent links: the purge deletes those of long-ended campaigns; deleting "
        "a campaign cascades to them",
        "DELETE FROM spent_link WHERE campaign_id = %(campaign)s",
    ),
    "pk_anonymity_key_check": (
        "the anonymity key's check value: gunicorn, `klankbord run` and `daily` compare it",
        "SELECT value FROM anonymity_key_check WHERE id = 1",
    ),
    "ix_school_centre_id": (
        "a centre's schools (every report, every staff page with a school filter)",
        "SELECT id, name FROM school WHERE centre_id = %(centre)s ORDER BY name",
    ),
    "pk_school": ("school id", "SELECT name FROM school WHERE id = %(school)s"),
    "uq_school_centre_id_institution_number": (
        "one school per institution number per centre (imports match on it)",
        "SELECT id FROM school WHERE centre_id = %(centre)s AND institution_number = '100001'",
    ),
    "ix_staff_user_centre_id": (
        "a centre's staff (user list, the report's coaches and names to scrub)",
        "SELECT name FROM staff_user WHERE centre_id = %(centre)s",
    ),
    "pk_staff_user": (
        "user id: every staff request loads its user",
        "SELECT email FROM staff_user WHERE id = %(coach)s",
    ),
    "uq_staff_user_email": (
        "login finds the user by e-mail address",
        "SELECT id FROM staff_user WHERE email = 'coach100@scale.example'",
    ),
    "ix_trajectory_centre_id": (
        "a centre's trajectories (the council's trajectory figures, lists)",
        "SELECT id, status FROM trajectory WHERE centre_id = %(centre)s",
    ),
    "ix_trajectory_school_id": (
        "a school's trajectories (school users' view; deleting a school)",
        "SELECT id FROM trajectory WHERE school_id = %(school)s",
    ),
    "pk_trajectory": ("trajectory id", "SELECT code FROM trajectory WHERE id = %(trajectory)s"),
    "uq_trajectory_centre_id_code": (
        "one trajectory code per centre (imports match on it)",
        "SELECT id FROM trajectory WHERE centre_id = %(centre)s AND code = %(code)s",
    ),
    "ix_trajectory_coach_staff_user_id": (
        "a coach's own trajectories (the coach's home page, authorization)",
        "SELECT trajectory_id FROM trajectory_coach WHERE staff_user_id = %(coach)s",
    ),
    "pk_trajectory_coach": (
        "a trajectory's coaches",
        "SELECT staff_user_id FROM trajectory_coach WHERE trajectory_id = %(trajectory)s",
    ),
    "ix_trajectory_status_change_trajectory_id": (
        "a trajectory's status history (its page; the council's figures per period)",
        "SELECT to_status, changed_on FROM trajectory_status_change "
        "WHERE trajectory_id = %(trajectory)s ORDER BY id",
    ),
    "pk_trajectory_status_change": (
        "change id (the report cache's fingerprint takes the newest)",
        "SELECT changed_on FROM trajectory_status_change WHERE id = 1000",
    ),
    "alembic_version_pkc": (
        "Alembic's own table: one row, the schema version",
        "SELECT version_num FROM alembic_version",
    ),
}
# Indexes a plan may legitimately not use: tiny tables where PostgreSQL rightly prefers a
# sequential scan over a handful of rows; the index is there for integrity (unique/primary
# key) or for when the table grows.
INDEX_IN_PLAN = re.compile(
    r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) (\w+)"
)
SMALL_TABLE_NOTE = "table small here: a sequential scan is cheaper; kept for integrity"


def _sample(cursor, centre_id: int) -> dict:
    sample = {"centre": centre_id, "uuid": str(uuid.uuid4())}
    sample["response"] = cursor.execute(
        "SELECT id FROM anonymous_response WHERE centre_id = %s LIMIT 1", (centre_id,)
    ).fetchone()[0]
    sample["commented"] = cursor.execute(
        "SELECT response_id FROM anonymous_comment LIMIT 1"
    ).fetchone()[0]
    sample["coach"] = cursor.execute(
        "SELECT id FROM staff_user WHERE centre_id = %s AND role = 'coach' LIMIT 1", (centre_id,)
    ).fetchone()[0]
    sample["school"] = cursor.execute(
        "SELECT id FROM school WHERE centre_id = %s LIMIT 1", (centre_id,)
    ).fetchone()[0]
    sample["trajectory"], sample["code"] = cursor.execute(
        "SELECT id, code FROM trajectory WHERE centre_id = %s LIMIT 1", (centre_id,)
    ).fetchone()
    # A centre-wide campaign: those have the links and spent links.
    sample["campaign"] = cursor.execute(
        "SELECT id FROM campaign WHERE centre_id = %s AND scope = 'centre' ORDER BY id LIMIT 1",
        (centre_id,),
    ).fetchone()[0]
    sample["invitation"] = cursor.execute(
        "SELECT id FROM invitation WHERE campaign_id = %s LIMIT 1", (sample["campaign"],)
    ).fetchone()[0]
    sample["matrix"] = cursor.execute("SELECT id FROM matrix_response LIMIT 1").fetchone()[0]
    sample["evaluation"], sample["goal"] = cursor.execute(
        "SELECT evaluation_id, goal_id FROM goal_result LIMIT 1"
    ).fetchone()
    sample["token"] = (cursor.execute("SELECT min(id) FROM api_token").fetchone()[0]) or 1
    # SHA-256 of a staff token (API, password link) nobody holds: the lookup a guess makes.
    sample["token_hash"] = secrets.token_hex(32)
    # A spent link of that campaign, found by its nullifier as a respondent's request finds it;
    # drafts are not generated, so the draft id is one nobody's token derives.
    sample["nullifier"] = cursor.execute(
        "SELECT nullifier FROM spent_link WHERE campaign_id = %s LIMIT 1", (sample["campaign"],)
    ).fetchone()[0]
    sample["draft_id"] = secrets.token_hex(32)
    return sample


def _plan(cursor, query: str, params: dict) -> tuple[str, float]:
    rows = cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}", params).fetchall()
    plan = "\n".join(row[0] for row in rows)
    match = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return plan, float(match.group(1)) if match else float("nan")


def explain_indexes(url: str, centre_id: int) -> list[dict]:
    found = []
    with psycopg.connect(conninfo(url)) as connection, connection.cursor() as cursor:
        sample = _sample(cursor, centre_id)
        indexes = cursor.execute(
            "SELECT i.indexname, i.tablename, c.reltuples::bigint FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.tablename "
            "WHERE i.schemaname = 'public' ORDER BY i.tablename, i.indexname"
        ).fetchall()
        for name, table, rows in indexes:
            why, query = INDEX_QUERIES.get(name, (None, None))
            entry = {"index": name, "table": table, "rows": max(rows, 0), "why": why}
            if query is None:
                entry.update(used=False, plan="", ms=float("nan"), query="")
            else:
                plan, ms = _plan(cursor, query, sample)
                # FOR KEY SHARE takes row locks and EXPLAIN ANALYZE runs the DELETEs: leave
                # nothing behind.
                connection.rollback()
                entry.update(query=query, plan=plan, ms=ms, used=name in plan)
            found.append(entry)
    return found


def explain_hot_statements(url: str, centre_id: int) -> list[dict]:
    """EXPLAIN ANALYZE every statement building a report and opening a link runs."""
    from sqlalchemy import event, select

    from survey.extensions import db
    from survey.models import Audience, Campaign, CampaignScope, Centre
    from survey.privacy.links import open_link
    from survey.privacy.tokens import new_link
    from survey.reports.services import build_report, period_for

    app = _app(url)
    captured: list[tuple[str, str, object]] = []
    with app.test_request_context():
        # A genuine link (its MAC verifies under this run's key) of one of the centre's
        # campaigns: a forged token is refused before any query.
        campaign = db.session.scalar(
            select(Campaign)
            .where(Campaign.centre_id == centre_id, Campaign.scope == CampaignScope.CENTRE)
            .order_by(Campaign.id)
            .limit(1)
        )
        token = new_link(campaign.id, Audience(campaign.audiences[0]))
        db.session.rollback()

        def remember(_conn, _cursor, statement, parameters, _context, _many):
            captured.append((stage, statement, parameters))

        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            stage = "report"
            build_report(db.session.get(Centre, centre_id), period_for("2025-2026"))
            db.session.rollback()
            stage = "respondent link"
            open_link(token)
            db.session.rollback()
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    results = []
    seen = set()
    with psycopg.connect(conninfo(url)) as connection, connection.cursor() as cursor:
        sizes = dict(
            cursor.execute(
                "SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r'"
            ).fetchall()
        )
        for stage_name, statement, parameters in captured:
            if not statement.lstrip().upper().startswith("SELECT") or statement in seen:
                continue
            seen.add(statement)
            plan, ms = _plan(cursor, statement, parameters or {})
            connection.rollback()
            cursor.execute("SET LOCAL random_page_cost = 4")  # PostgreSQL's default
            cursor.execute("SET LOCAL effective_cache_size = '4GB'")
            _default_plan, default_ms = _plan(cursor, statement, parameters or {})
            connection.rollback()
            scans = re.findall(r"Seq Scan on (\w+)", plan)
            large = sorted({t for t in scans if sizes.get(t, 0) >= LARGE_TABLE_ROWS})
            indexes = sorted(set(INDEX_IN_PLAN.findall(plan)))
            results.append(
                {
                    "stage": stage_name,
                    "statement": " ".join(statement.split())[:160],
                    "ms": ms,
                    "default_ms": default_ms,
                    "indexes": indexes,
                    "large_seq_scans": large,
                }
            )
    return results


# --- the report --------------------------------------------------------------------------


def _s(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def markdown(size, sizes, timings, reports, api, indexes, hot, command, total) -> str:
    years = ", ".join(f"{count:,} in {year}" for year, count in size.responses.items())
    lines = [
        f"## Benchmark: Flanders on one PostgreSQL ({CENTRES} centres, "
        f"{size.total_responses:,} responses)",
        "",
        f"Command: `{command}`; it took {total / 60:.0f} min (with `--reuse`, the database and "
        "the generation figures below come from the run that made it).",
        "",
        f"Data: {CENTRES} centres (lognormal sizes), {size.coaches:,} coaches, "
        f"{size.schools:,} schools, {size.trajectories:,} trajectories with 1-2 coaches and "
        f"status histories, {size.total_responses:,} published anonymous responses ({years}; "
        "60 % parents, 20 % teachers, 12 % pupils, 8 % school teams), ~10 answers each, a "
        "comment on 10 % of the parents' responses, and the centre-wide campaigns with the "
        "single-use links those responses answered (response rates 55-80 %), each answered "
        "link a `spent_link` row keyed by its nullifier (docs/anonymity.md). Per trajectory: "
        "two goals, an evaluation with goal results for half of them, a feedbackmatrix round "
        "(parent, teacher, pupil; 14 answers each) for one in five, and an audit entry.",
        "",
        "| table | rows | size incl. indexes |",
        "|---|---|---|",
        *[f"| {name} | {rows:,} | {size} |" for name, rows, size in sizes],
        "",
        "Generation (COPY and INSERT ... SELECT into the migrated schema, indexes in place):",
        "",
        "| step | time |",
        "|---|---|",
        *[f"| {step} | {_s(seconds)} |" for step, seconds in timings.items()],
        "",
    ]
    if reports:
        lines += ["### The council report, school year 2025-2026", ""]
        lines += [
            "| centre | responses | schools | build | PDF (pages) | XLSX |",
            "|---|---|---|---|---|---|",
        ]
        for label in ("largest", "median"):
            f = reports[label]
            lines.append(
                f"| {label} ({f['code']}) | {f['responses']:,} | {f['schools']} | "
                f"{_s(f['build'])} | {_s(f['pdf'])} ({f['pages']}) | {_s(f['xlsx'])} |"
            )
        every = reports["all"]
        builds = every["builds"]
        lines += [
            "",
            f"All {len(builds)} centres one after another in one process: build "
            f"p50 {_s(statistics.median(builds))}, max {_s(max(builds))}, sum {_s(sum(builds))}"
            + (
                f"; council PDF p50 {_s(statistics.median(every['pdfs']))}, max "
                f"{_s(max(every['pdfs']))}, sum {_s(sum(every['pdfs']))}"
                if every["pdfs"]
                else ""
            )
            + f"; wall {_s(every['wall'])}.",
            "",
        ]
    if api:
        s = api["settings"]
        lines += [
            "### The API through gunicorn",
            "",
            f"gunicorn with gunicorn.conf.py ({s['workers']} workers x {s['threads']} threads), "
            f"ready after {api['ready']:.0f} s. `GET /api/v1/results?school_year=2025-2026"
            "&page=N&per_page=500` with a token of the largest, the median and the smallest "
            "centre.",
            "",
            "| first request (builds and caches the report) | time | status |",
            "|---|---|---|",
            *[
                f"| {code} ({responses:,} responses) | {_s(seconds)} | {status} |"
                for code, (seconds, status, responses) in api["cold"].items()
            ],
            "",
            f"Then {api['requests']} requests from {api['clients']} concurrent clients over the "
            f"three centres (pages 1-5): p50 {_s(api['p50'])}, p95 {_s(api['p95'])}, p99 "
            f"{_s(api['p99'])}, {api['throughput']:.1f} requests/s, {api['errors']} errors. "
            "Each worker process keeps its own cache, so a centre's first request on each "
            "worker pays the build (again after 5 minutes, or when the data changes); requests "
            "arriving meanwhile in that worker wait for that one build. The p99 is those "
            "waits. Every request also checks the centre's data fingerprint (response count, "
            "newest status change).",
            "",
        ]
    if indexes:
        unused = [i for i in indexes if i["why"] and not i["used"]]
        missing = [i for i in indexes if not i["why"]]
        lines += [
            "### Every index, justified with EXPLAIN ANALYZE",
            "",
            "Each index with the query of the app that needs it, run with EXPLAIN (ANALYZE, "
            'BUFFERS) on this dataset (the largest centre\'s ids). "used" means the plan '
            "reads that index.",
            "",
            "| index | table rows | needed for | used | time |",
            "|---|---|---|---|---|",
        ]
        for i in indexes:
            if i["used"]:
                used = "yes"
            elif not i["why"]:
                used = "-"
            else:
                used = f"no ({SMALL_TABLE_NOTE})" if i["rows"] < 1000 else "**no**"
            lines.append(
                f"| `{i['index']}` | {i['rows']:,} | {i['why'] or '**no justification**'} | "
                f"{used} | {i['ms']:.2f} ms |"
            )
        lines += [
            "",
            f"Indexes without a justifying query: {len(missing)}"
            + (f" ({', '.join(i['index'] for i in missing)})" if missing else "")
            + f". Justified but unused on a large table: "
            f"{sum(1 for i in unused if i['rows'] >= 1000)}.",
            "",
        ]
        lines += ["Query plans (the first lines):", "", "```"]
        for i in indexes:
            if i["plan"] and i["rows"] >= 1000:
                first = "\n".join(i["plan"].splitlines()[:3])
                lines += [f"-- {i['index']}: {i['query']}", first, ""]
        lines += ["```", ""]
    if hot:
        lines += [
            "### Every statement of a report build and a link opening",
            "",
            "Captured while building the largest centre's report and opening a respondent's "
            "link (one query: its campaign, whether it is spent, its draft), then "
            "run with EXPLAIN ANALYZE, with the recommended settings ("
            + ", ".join(f"{k} = {v}" for k, v in RECOMMENDED_SETTINGS.items())
            + ") and with PostgreSQL's defaults (4, 4GB). A sequential scan of a table of "
            f"{LARGE_TABLE_ROWS:,} rows or more is flagged.",
            "",
            "| stage | statement | indexes used | seq scan of a large table | time | time with "
            "PostgreSQL's defaults |",
            "|---|---|---|---|---|---|",
        ]
        for h in hot:
            statement = h["statement"].replace("|", "\\|")
            lines.append(
                f"| {h['stage']} | `{statement}` | {', '.join(h['indexes']) or '-'} | "
                f"{', '.join(h['large_seq_scans']) or 'none'} | {h['ms']:.1f} ms | "
                f"{h['default_ms']:.1f} ms |"
            )
        lines.append("")
    lines += ["Machine:", "", machine()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write", action="store_true", help="record in bench/RESULTS.md")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--reuse", action="store_true", help="reuse a generated database")
    parser.add_argument("--no-all-pdfs", action="store_true", help="skip 43 council PDFs")
    parser.add_argument(
        "--trajectories",
        type=int,
        default=TRAJECTORIES,
        help="scale the dataset to this many trajectories (smoke run: 2000)",
    )
    args = parser.parse_args()
    began = time.monotonic()
    url = scale_url()
    size = Size.of(args.trajectories)
    timings: dict[str, float] = {}
    if args.reuse and has_dataset(url, size):
        timings = generation_timings(url)
        adopt_anonymity_key(url)
    else:
        start = time.monotonic()
        load.recreate_database(url)
        load.klankbord(url, "init-db")
        timings["create and migrate (klankbord init-db)"] = time.monotonic() - start
        timings.update(generate(url, size))
        remember_generation(url, timings)
        print(f"generated: {timings}", flush=True)
    apply_settings(url)
    sizes = table_sizes(url)
    try:
        reports = time_reports(url, all_pdfs=not args.no_all_pdfs)
        print("reports timed", flush=True)
        largest = reports["centres"][0][0]
        api = api_latency(url, reports["centres"])
        print("api timed", flush=True)
        indexes = explain_indexes(url, largest)
        hot = explain_hot_statements(url, largest)
    finally:
        if not args.keep_db and not args.reuse:
            load.drop_database(url)
    command = " ".join(["python bench/scale.py", *sys.argv[1:]])
    text = markdown(
        size, sizes, timings, reports, api, indexes, hot, command, time.monotonic() - began
    )
    print(text)
    if args.write:
        write_section("scale", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
