"""Background work: sending, sweeping, and the tick. Every step is idempotent.

`flask epanel worker` runs an RQ worker when EPANEL_REDIS_URL is set (jobs hold message ids
only: the rows are the truth), otherwise a loop in the foreground. Either way a sweep runs
every few seconds: it settles messages a dead worker left in "sending" and sends what is due
(retries, scheduled sends, and anything whose hand-over to a queue was lost).
"""

import logging
import threading
import time

from flask import Flask, current_app

from epanel.extensions import db
from epanel.messaging.outbox import DeliveryReport, deliver, deliver_due, reconcile_stale

log = logging.getLogger(__name__)

_worker_app: Flask | None = None


def send(ids: list[int]) -> DeliveryReport:
    report = deliver(ids)
    if report.total:
        log.info("outbox: %d sent, %d retrying, %d failed, %d cancelled, %d uncertain",
                 report.sent, report.retrying, report.failed, report.cancelled, report.uncertain)
    return report


def send_job(ids: list[int]) -> int:
    """The RQ job: deliver these messages with the worker's app."""
    app = _worker_app
    if app is None:  # a worker started some other way than `flask epanel worker`
        from epanel import create_app

        app = create_app()
    with app.app_context():
        return send(ids).total


def sweep() -> DeliveryReport:
    """Settle stale sends, then send what is due."""
    report = reconcile_stale()
    report.add(deliver_due())
    if report.total:
        log.info("outbox sweep: %d sent, %d retrying, %d failed, %d cancelled, %d uncertain",
                 report.sent, report.retrying, report.failed, report.cancelled, report.uncertain)
    return report


TICK_STEPS = "epanel_tick_steps"


def add_tick_step(app: Flask, what: str, step) -> None:
    """Let a domain above messaging (digests, retention) add its minute's work to every tick: the
    cron `tick` and the in-process worker thread alike. `step()` returns how many things it did."""
    app.extensions.setdefault(TICK_STEPS, []).append((what, step))


def run_tick() -> dict[str, int | None]:
    """Everything that is due now; safe to run every minute from cron, and twice at once. A step
    that fails is logged and counted as None; the rest of the tick still runs."""
    from epanel.consultations.operations import open_and_close_due
    from epanel.messaging.campaigns import run_due_campaigns

    opened, closed = open_and_close_due()
    done: dict[str, int | None] = {"consultations opened": opened, "consultations closed": closed}
    done.update(run_due_campaigns())
    for what, step in current_app.extensions.get(TICK_STEPS, []):
        try:
            done[what] = step()
        except Exception:
            db.session.rollback()
            log.exception("tick: %s failed; the rest of the tick goes on", what)
            done[what] = None
    report = sweep()
    done["messages sent"] = report.sent
    done["messages failed"] = report.failed
    return done


def run_worker(app: Flask, *, burst: bool = False) -> None:
    """The `flask epanel worker` loop: RQ when Redis is configured, otherwise a sweeping loop."""
    global _worker_app
    _worker_app = app
    poll = app.config["OUTBOX_POLL_SECONDS"]
    if not app.config.get("REDIS_URL"):
        log.info("worker: no EPANEL_REDIS_URL, so sweeping the outbox every %s s", poll)
        while True:
            with app.app_context():
                report = sweep()
            if burst and not report.total:
                return
            if not report.total:
                time.sleep(poll)
    from redis import Redis
    from rq import Queue, SimpleWorker

    if not burst:  # a burst run sweeps once at the end instead: no thread outlives it
        _start_sweeper(app, poll)
    connection = Redis.from_url(app.config["REDIS_URL"])
    # SimpleWorker runs jobs in this process: no fork per job, and no database
    # connections shared across a fork.
    worker = SimpleWorker([Queue(app.config["OUTBOX_QUEUE"], connection=connection)], connection=connection)
    worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
    if burst:
        with app.app_context():
            sweep()


def _start_sweeper(app: Flask, poll: float) -> None:
    def sweep_forever():
        while True:
            try:
                with app.app_context():
                    sweep()
            except Exception:
                log.exception("worker sweep failed; trying again")
            time.sleep(poll)

    threading.Thread(target=sweep_forever, name="epanel-sweeper", daemon=True).start()
