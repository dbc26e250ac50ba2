"""Workers: RQ on the real Redis, the in-process thread, and a worker killed mid-send."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from epanel.extensions import db
from epanel.messaging import outbox
from epanel.messaging.models import Message, MessageState
from epanel.messaging.worker import run_worker
from tests.conftest import _empty_all_tables, redis_url_for_tests
from tests.messaging.conftest import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, twilio_settings

ROOT = Path(__file__).resolve().parents[2]


def numbers(count: int) -> list[str]:
    return [f"+4479111{index:05d}" for index in range(count)]


def queue_texts(count: int) -> None:
    for number in numbers(count):
        outbox.queue_sms(number, f"Survey for {number}", purpose="alert")
    db.session.commit()


# A queue of this run's own: another run sharing the Redis must not take its jobs.
RQ_QUEUE = f"epanel-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def redis_url():
    url = redis_url_for_tests()
    Queue(RQ_QUEUE, connection=Redis.from_url(url)).empty()
    return url


@pytest.fixture
def rq_app(make_app, twilio_server, redis_url):
    app = make_app(**twilio_settings(twilio_server, OUTBOX_MODE="rq", REDIS_URL=redis_url, SMS_RATE_PER_SECOND=0,
                                     OUTBOX_QUEUE=RQ_QUEUE))
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()


def test_committed_texts_become_rq_jobs_that_a_worker_sends(rq_app, twilio_server, redis_url):
    queue_texts(30)
    jobs = Queue(RQ_QUEUE, connection=Redis.from_url(redis_url)).count

    run_worker(rq_app, burst=True)

    assert jobs >= 1
    assert sorted(request.form["To"] for request in twilio_server.created()) == numbers(30)
    assert db.session.scalar(select(func.count()).where(Message.state == MessageState.SENT)) == 30


def test_a_rolled_back_transaction_queues_nothing(rq_app, twilio_server, redis_url):
    outbox.queue_sms(numbers(1)[0], "Never sent", purpose="alert")
    db.session.flush()
    db.session.rollback()

    assert Queue(RQ_QUEUE, connection=Redis.from_url(redis_url)).count == 0


def test_the_thread_worker_sends_without_any_other_process(make_app, twilio_server):
    app = make_app(**twilio_settings(twilio_server, OUTBOX_MODE="thread", SMS_RATE_PER_SECOND=0))
    with app.app_context():
        queue_texts(5)
        ids = list(db.session.scalars(select(Message.id)))
        delivered = outbox.wait_until_delivered(ids, timeout=30)  # a loaded machine starts threads late
        # Stop the thread before emptying the tables: its tick may be writing, and TRUNCATE would deadlock with it.
        assert app.extensions["epanel_outbox_dispatcher"].shutdown(timeout=60)
        db.session.remove()
        _empty_all_tables()

    assert delivered
    assert sorted(request.form["To"] for request in twilio_server.created()) == numbers(5)


def worker_process(database_url: str, twilio_url: str, redis_url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "EPANEL_ENV": "production",
        "EPANEL_SECRET_KEY": "crash-test-only",
        "EPANEL_DATABASE_URL": database_url,
        "EPANEL_REDIS_URL": redis_url,
        "EPANEL_OUTBOX_QUEUE": RQ_QUEUE,
        "EPANEL_SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "EPANEL_TWILIO_API_URL": twilio_url,
        "EPANEL_PUBLIC_URL": "http://localhost",
        "EPANEL_SMS_RATE_PER_SECOND": "0",
        "EPANEL_OUTBOX_STALE_SECONDS": "2",  # raised to what a live worker's chunk can take (outbox.stale_after)
        "EPANEL_SMS_SEND_TIMEOUT": "2",
        "EPANEL_OUTBOX_POLL_SECONDS": "0.5",
    }
    env.pop("TWILIO_MESSAGING_SERVICE_SID", None)
    with log.open("ab") as output:  # the child keeps its own copy of the file
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "epanel", "worker"], cwd=ROOT,
                                env=env, stdout=subprocess.DEVNULL, stderr=output)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def describe_twice(twice: list[str], twilio_server) -> str:
    """What the outbox and the server know about texts that went twice, for the failure message."""
    db.session.commit()
    rows = db.session.execute(select(Message.to_address, Message.state, Message.attempts, Message.provider_id,
                                     Message.error_message).where(Message.to_address.in_(twice[:5]))).all()
    created = [(m["to"], m["sid"], m["date_created"]) for m in twilio_server.messages.values() if m["to"] in twice[:5]]
    return f"{len(twice)} recipients got two texts; outbox rows {rows}; server messages {created}"


def settled() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).where(Message.state == MessageState.SENT))


def test_a_worker_killed_mid_send_leaves_every_recipient_exactly_one_text(rq_app, twilio_server, redis_url,
                                                                          database_url, tmp_path):
    recipients = 5000
    queue_texts(recipients)

    log = tmp_path / "workers.log"
    first = worker_process(database_url, twilio_server.url, redis_url, log)
    try:
        wait_for(lambda: len(twilio_server.requests) >= 1200 or first.poll() is not None, 120,
                 "the first worker to be part-way through")
        assert first.poll() is None, log.read_text()[-3000:]
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    sent_before_kill = len(twilio_server.messages)
    second = worker_process(database_url, twilio_server.url, redis_url, log)
    try:
        wait_for(lambda: settled() == recipients, 300, "every text to be sent")  # correctness, not speed
    finally:
        second.terminate()
        second.wait(timeout=20)

    # Messages the server took; a request cut off by the kill is recorded but never became one.
    per_recipient = Counter(message["to"] for message in list(twilio_server.messages.values()))
    assert 0 < sent_before_kill < recipients
    assert sorted(per_recipient) == numbers(recipients)
    assert set(per_recipient.values()) == {1}


def test_two_workers_draining_one_outbox_send_each_text_once(rq_app, twilio_server, redis_url, database_url,
                                                             tmp_path):
    recipients = 2000
    queue_texts(recipients)
    log = tmp_path / "workers.log"

    workers = [worker_process(database_url, twilio_server.url, redis_url, log) for _ in range(2)]
    try:
        wait_for(lambda: settled() == recipients, 300, "every text to be sent")  # correctness, not speed
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)

    per_recipient = Counter(message["to"] for message in list(twilio_server.messages.values()))
    twice = [number for number, count in per_recipient.items() if count > 1]
    assert sorted(per_recipient) == numbers(recipients)
    assert not twice, describe_twice(twice, twilio_server)


def test_the_thread_worker_starts_with_the_first_request_and_sends_what_was_left_queued(make_app, twilio_server):
    app = make_app(**twilio_settings(twilio_server, OUTBOX_MODE="manual", SMS_RATE_PER_SECOND=0))
    with app.app_context():
        queue_texts(3)  # left queued by a process that stopped before sending them
        ids = list(db.session.scalars(select(Message.id)))
    restarted = make_app(**twilio_settings(twilio_server, OUTBOX_MODE="thread", SMS_RATE_PER_SECOND=0,
                                           OUTBOX_POLL_SECONDS=0.1))
    with restarted.app_context():
        before_any_request = len(twilio_server.created())
        restarted.test_client().get("/")
        delivered = outbox.wait_until_delivered(ids, timeout=30)  # a loaded machine starts threads late
        assert restarted.extensions["epanel_outbox_dispatcher"].shutdown(timeout=60)
        db.session.remove()
        _empty_all_tables()

    assert before_any_request == 0
    assert delivered
    assert sorted(request.form["To"] for request in twilio_server.created()) == numbers(3)
