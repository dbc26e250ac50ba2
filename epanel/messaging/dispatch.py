"""Handing committed outbox rows to a worker.

A session hook notes each queued message as it is flushed and, once its transaction has
committed (never before), hands the ids to the app's dispatcher:

- "thread": a worker thread in this process (the default: `make run` needs nothing else);
- "rq": RQ jobs on Redis, run by `flask epanel worker` processes (default with EPANEL_REDIS_URL);
- "inline": delivered at once in a fresh app context (tests: deterministic, no threads);
- "manual": left queued until someone calls deliver_due() (crash and benchmark tests).

Whatever the mode, a lost hand-over loses nothing: the row stays queued, and every worker
loop and `flask epanel tick` send what is due.
"""

import logging
import queue
import threading
import time

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from epanel.messaging.models import Message, MessageState

log = logging.getLogger(__name__)

MODES = ("thread", "rq", "inline", "manual")
_PENDING = "epanel_outbox_pending"
TICK_SECONDS = 60.0


def outbox_mode(app: Flask) -> str:
    mode = app.config.get("OUTBOX_MODE") or ("rq" if app.config.get("REDIS_URL") else "thread")
    if mode not in MODES:
        raise RuntimeError(f"EPANEL_OUTBOX_MODE={mode!r} is not one of {', '.join(MODES)}")
    return mode


def init_dispatch(app: Flask) -> None:
    mode = outbox_mode(app)
    app.extensions["epanel_outbox_dispatcher"] = {
        "thread": ThreadDispatcher, "rq": RqDispatcher, "inline": InlineDispatcher, "manual": ManualDispatcher,
    }[mode](app)
    _listen_once()


_listening = False


def _listen_once() -> None:
    global _listening
    if not _listening:
        event.listen(Session, "after_flush", _note_new_messages)
        event.listen(Session, "after_commit", _hand_over)
        event.listen(Session, "after_rollback", _forget)
        _listening = True


def _note_new_messages(session: Session, flush_context) -> None:
    ids = [obj.id for obj in session.new
           if isinstance(obj, Message) and obj.state is MessageState.QUEUED and obj.next_attempt_at is None]
    if ids:
        session.info.setdefault(_PENDING, []).extend(ids)


def _hand_over(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the rows are not committed until the outer transaction is
    ids = session.info.pop(_PENDING, None)
    if ids and has_app_context():
        dispatcher = current_app.extensions.get("epanel_outbox_dispatcher")
        if dispatcher is not None:
            dispatcher.dispatch(ids)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


class ManualDispatcher:
    def __init__(self, app: Flask):
        self.app = app

    def dispatch(self, ids: list[int]) -> None:
        pass

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop sending; True once nothing of this dispatcher's is still running."""
        return True


class InlineDispatcher(ManualDispatcher):
    _delivering = threading.local()

    def dispatch(self, ids: list[int]) -> None:
        from epanel.messaging.outbox import deliver

        if getattr(self._delivering, "active", False):
            return  # a commit made while delivering: those rows wait for the next call
        self._delivering.active = True
        try:
            # A fresh context has its own session, apart from the one still committing.
            with self.app.app_context():
                deliver(ids)
        finally:
            self._delivering.active = False


class ThreadDispatcher(ManualDispatcher):
    """One daemon thread per process, started on first use; it also sends whatever is due
    (retries, scheduled sends) and runs the tick every minute, so `make run` needs no cron."""

    def __init__(self, app: Flask):
        super().__init__(app)
        self._ids: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        # Started by the first request too, not only by the first send: after a restart, texts
        # still queued, retries and scheduled campaigns must go without waiting for a new send.
        app.before_request(self._start_on_first_request)

    def _start_on_first_request(self) -> None:
        if self._thread is None:
            self.start()

    def dispatch(self, ids: list[int]) -> None:
        self._ids.put(list(ids))
        self.start()

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop after the batch in hand (tests and orderly exits; a daemon thread dies with the process
        anyway). False when the thread is still busy after `timeout` seconds."""
        self._stopping.set()
        self._ids.put(None)
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def start(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="epanel-outbox", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        from epanel.messaging.worker import run_tick, send, sweep

        poll = self.app.config["OUTBOX_POLL_SECONDS"]
        last_sweep = next_tick = 0.0
        while not self._stopping.is_set():
            try:
                ids = self._ids.get(timeout=poll)
            except queue.Empty:
                ids = None
            if self._stopping.is_set():
                return
            try:
                with self.app.app_context():
                    if ids:
                        send(ids)
                    now = time.monotonic()
                    if now - last_sweep >= poll:
                        if now >= next_tick:
                            run_tick()
                            next_tick = now + TICK_SECONDS
                        else:
                            sweep()
                        last_sweep = now
            except Exception:  # a worker must outlive one bad batch; the rows stay queued
                log.exception("outbox worker thread: batch failed; will try again")


class RqDispatcher(ManualDispatcher):
    def __init__(self, app: Flask):
        super().__init__(app)
        self._queue = None

    def rq_queue(self):
        if self._queue is None:
            from redis import Redis
            from rq import Queue

            self._queue = Queue(self.app.config["OUTBOX_QUEUE"], connection=Redis.from_url(self.app.config["REDIS_URL"]))
        return self._queue

    def dispatch(self, ids: list[int]) -> None:
        size = self.app.config["OUTBOX_BATCH_SIZE"] * 4
        try:
            for start in range(0, len(ids), size):
                self.rq_queue().enqueue("epanel.messaging.worker.send_job", ids[start:start + size],
                                        result_ttl=0, failure_ttl=86400)
        except Exception:  # Redis down: the rows are safe; a worker's sweep or the tick sends them
            log.exception("could not hand messages to RQ; they stay queued for the next sweep")
