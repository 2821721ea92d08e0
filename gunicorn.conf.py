"""gunicorn settings for Klankbord: ``.venv/bin/gunicorn -c gunicorn.conf.py``.

Operators set ``KLANKBORD_BIND``, ``KLANKBORD_WORKERS`` and ``KLANKBORD_THREADS``; the
application itself reads its ``KLANKBORD_*`` variables in every worker. gunicorn's own
command-line flags still win over this file.
"""

from __future__ import annotations

import os


def _whole_number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise RuntimeError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


def _cores() -> int:
    # The cores this process may run on (a container's CPU set), not all of the host's.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


wsgi_app = "survey.wsgi:app"

# Loopback by default: the load balancer or reverse proxy on the same host forwards to it.
# Several addresses may be given, separated by commas.
bind = [
    address.strip()
    for address in (os.environ.get("KLANKBORD_BIND") or "127.0.0.1:8000").split(",")
    if address.strip()
]

# gunicorn's usual rule of thumb. Each worker holds its own database pool, so workers x threads
# x app servers must stay below PostgreSQL's max_connections (100 by default).
workers = _whole_number("KLANKBORD_WORKERS", 2 * _cores() + 1)
# More than one thread switches gunicorn to its gthread worker, so a slow phone on a school's
# Wi-Fi does not hold a whole process.
threads = _whole_number("KLANKBORD_THREADS", 4)

# A council report PDF for a whole centre can take a while to render.
timeout = 60
# On a restart or deploy, requests in flight get this long to finish.
graceful_timeout = 30

# The master imports the app once and forks workers from it. A worker then starts in
# milliseconds instead of re-importing scipy, matplotlib and WeasyPrint (seconds of CPU each
# time, and max_requests recycles workers all day), and the imported code is shared memory.
# A deploy therefore needs a restart, not a HUP.
preload_app = True


def post_fork(server: object, worker: object) -> None:
    """Give each worker a fresh database pool.

    Connections (and SQLite handles) shared across a fork get corrupted. The master makes
    none (create_app does not query), but should one ever exist, close=False drops the
    inherited ones without closing the master's socket under it.
    """
    import sys

    wsgi = sys.modules.get("survey.wsgi")
    if wsgi is None:  # another app served with this file (bench/_bare_app.py)
        return
    from survey.extensions import db

    with wsgi.app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


# Recycle workers now and then so a slow leak (matplotlib, WeasyPrint caches) cannot grow for
# ever; the jitter stops all workers restarting at the same moment.
max_requests = 1000
max_requests_jitter = 100

# gunicorn 25.1+ opens a control socket in $XDG_RUNTIME_DIR or ~/.gunicorn, one path shared by
# every gunicorn of the same user; systemd's signals (reload, stop) do the same job. Older
# gunicorn versions ignore the setting.
control_socket_disable = True

# The heartbeat file on a RAM disk: a slow or full /tmp disk must not get workers killed.
if os.path.isdir("/dev/shm"):  # noqa: S108 - a tmpfs path gunicorn's docs recommend, no data
    worker_tmp_dir = "/dev/shm"  # noqa: S108 - the same path

# Both logs go to standard output/error (systemd's journal or the container's log).
accesslog = "-"
errorlog = "-"
# The combined format plus the time taken. Tokens in every part of it (request line, path,
# query, Referer, Location...) are replaced by [token] before the line is written.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
logger_class = "survey.serving.RedactingLogger"
