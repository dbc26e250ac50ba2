"""gunicorn settings for ePanel. gunicorn reads this file from the working directory:

    .venv/bin/gunicorn wsgi:app

Every setting can be changed with an environment variable (docs/deploy.md lists them);
gunicorn's own command-line flags override both.
"""

import os
import shutil
import tempfile
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


_cpus = os.cpu_count() or 1

bind = os.environ.get("EPANEL_WEB_BIND", "127.0.0.1:8000").split(",")
# Processes for the CPU-bound part of a request (templates, answer checking), threads for
# the time each one waits on the database: 2 × CPUs + 1 processes is gunicorn's advice,
# capped so a big host does not open more database connections than PostgreSQL allows
# (each process keeps a pool of 5, up to 15).
workers = _int("EPANEL_WEB_WORKERS", min(2 * _cpus + 1, 9))
threads = _int("EPANEL_WEB_THREADS", 4)
worker_class = "gthread"
# A worker that has not checked in for this long is killed and replaced. With threads a
# slow request does not count against it; the limit catches a stuck process.
timeout = _int("EPANEL_WEB_TIMEOUT", 30)
graceful_timeout = _int("EPANEL_WEB_GRACEFUL_TIMEOUT", 30)
keepalive = _int("EPANEL_WEB_KEEPALIVE", 5)  # nginx reuses connections to gunicorn (see deploy/nginx.conf)
# Restart each worker after this many requests (0: never), a guard against slow leaks.
max_requests = _int("EPANEL_WEB_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
# The heartbeat file in memory, not on a disk that may stall (or be read-only in a container).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "epanel-web"
# gunicorn 25+ listens for `gunicornc` on a control socket; under systemd, keep it in the
# unit's RuntimeDirectory rather than the service user's home.
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = os.path.join(os.environ["RUNTIME_DIRECTORY"], "gunicorn.ctl")

# Preloaded: the app (and scipy, pandas and the rest) is imported once, in the master, and
# the workers are forked from it, sharing that memory; two workers on a 2-core machine
# start in about 5 s instead of about 16. It is safe because building the app opens no
# connection (database, Redis) and starts no thread: each worker opens its own after the
# fork (post_fork below makes sure of the database pool) and starts its own outbox thread.
# The price: `kill -HUP` does not load new code, so upgrades restart the service. Set
# EPANEL_WEB_PRELOAD=0 to build the app in each worker instead.
# Either way, with SQLite create and migrate the database *before* starting gunicorn (DESIGN
# §6): two workers opening a brand-new file at once may both try to switch it to WAL.
preload_app = os.environ.get("EPANEL_WEB_PRELOAD", "1").strip().lower() not in {"0", "false", "no", "off"}

# Forwarded headers are trusted in one place only, the app's ProxyFix (EPANEL_PROXY_HOPS);
# gunicorn itself believes none of them.
forwarded_allow_ips = os.environ.get("EPANEL_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {}

# Logs go to stderr (journald under systemd). The app writes one line per request with its
# request id and duration, so gunicorn's access log is off unless EPANEL_WEB_ACCESS_LOG is
# set ("-" for stderr, or a file); its format carries the same id and the time in ms.
accesslog = os.environ.get("EPANEL_WEB_ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("EPANEL_WEB_LOG_LEVEL", "info")
# gunicorn's own lines in the app's format (text or JSON lines, EPANEL_LOG_FORMAT).
_log_format = os.environ.get("EPANEL_LOG_FORMAT", "").strip() or "text"
logconfig_dict = {}
if _log_format == "json":
    from epanel.ops.logging import gunicorn_logconfig

    logconfig_dict = gunicorn_logconfig(_log_format, access_log=accesslog is not None)

# Prometheus: each worker counts its own requests into files in this directory, and
# /metrics (answered by whichever worker) adds them up. It must be set before the workers
# import prometheus_client, hence here; it is emptied when gunicorn starts.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(Path(os.environ.get("RUNTIME_DIRECTORY") or tempfile.gettempdir()) / f"epanel-prometheus-{os.getuid()}"),
)


def on_starting(server):
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)  # counts from a previous run would be added in
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    # A forked worker must never use a database connection its parent opened: drop the
    # inherited pool's connections (without closing the parent's) so it opens its own.
    app = getattr(server.app, "callable", None)
    if app is not None and hasattr(app, "extensions"):
        from epanel.extensions import db

        with app.app_context():
            db.engine.dispose(close=False)


def post_worker_init(worker):
    # With EPANEL_OUTBOX_MODE=thread (no Redis) each worker runs one outbox thread: start it
    # now rather than on the first message, so retries, scheduled sends and the minute tick
    # run even in a quiet worker. Several workers doing so is safe: every claim on a message
    # is an atomic conditional update, and the tick may run twice at once.
    dispatcher = _outbox_thread(worker)
    if dispatcher is not None:
        dispatcher.start()


def worker_exit(server, worker):
    # Let the outbox thread finish the batch in hand before the process goes; a batch cut
    # short is settled later by the stale-send sweep, never sent twice.
    dispatcher = _outbox_thread(worker)
    if dispatcher is not None:
        dispatcher.shutdown(timeout=max(graceful_timeout - 5, 1))


def _outbox_thread(worker):
    from epanel.messaging.dispatch import ThreadDispatcher

    extensions = getattr(getattr(worker, "wsgi", None), "extensions", None) or {}
    dispatcher = extensions.get("epanel_outbox_dispatcher")
    return dispatcher if isinstance(dispatcher, ThreadDispatcher) else None
