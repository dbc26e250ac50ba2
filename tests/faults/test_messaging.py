"""Messaging faults: Redis stopped during a send, Twilio answering 500 for a while, the mail server down.

Each ends with a count at the Twilio test server: every recipient got exactly one text,
nothing lost, nothing duplicated. Redis is "stopped" by closing a proxy of our own
(tests/faults/proxy.py), never the real server, which other test runs share.

The fourth fault in the issue, a worker killed mid-send, is covered where the workers are:
tests/messaging/test_workers.py::test_a_worker_killed_mid_send_leaves_every_recipient_exactly_one_text
(a real `flask epanel worker` process SIGKILLed part-way through 5,000 texts, then a second
worker finishing; each recipient ends with exactly one text). It is not repeated here.
"""

import time
import uuid
from collections import Counter
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from epanel.extensions import db
from epanel.messaging import outbox
from epanel.messaging.models import Message, MessageState
from epanel.messaging.worker import run_worker
from tests.conftest import _empty_all_tables, redis_url_for_tests
from tests.messaging.conftest import twilio_settings


def numbers(first: int, count: int) -> list[str]:
    return [f"+4479222{index:05d}" for index in range(first, first + count)]


def queue_texts(to: list[str]) -> None:
    for number in to:
        outbox.queue_sms(number, f"Your council survey is open, {number}", purpose="alert")
    db.session.commit()


def texts_per_recipient(twilio_server) -> Counter:
    """What arrived at Twilio: messages it accepted, counted by recipient."""
    return Counter(message["to"] for message in list(twilio_server.messages.values()))


def states() -> Counter:
    db.session.commit()  # see the workers' commits
    return Counter(state for state in db.session.scalars(select(Message.state)))


# --- Redis stopped during a send -----------------------------------------------------------------


RQ_QUEUE = f"epanel-faults-{uuid.uuid4().hex[:8]}"  # this run's own queue on the shared Redis


@pytest.fixture
def redis_proxy(make_proxy):
    real = urlsplit(redis_url_for_tests())
    proxy = make_proxy(real.port or 6379, real.hostname or "127.0.0.1")
    proxied = urlunsplit(real._replace(netloc=f"127.0.0.1:{proxy.port}"))
    Queue(RQ_QUEUE, connection=Redis.from_url(proxied)).empty()
    return proxy, proxied


@pytest.fixture
def rq_app(make_app, twilio_server, redis_proxy):
    proxy, proxied = redis_proxy
    app = make_app(**twilio_settings(twilio_server, OUTBOX_MODE="rq", REDIS_URL=proxied, OUTBOX_QUEUE=RQ_QUEUE))
    with app.app_context():
        yield app
        proxy.start()  # a failed test may leave it stopped
        Queue(RQ_QUEUE, connection=Redis.from_url(proxied)).empty()
        db.session.remove()
        _empty_all_tables()


def test_redis_stopped_during_a_send_loses_no_text_and_the_app_keeps_serving(rq_app, redis_proxy, twilio_server):
    proxy, proxied = redis_proxy
    before, during = numbers(0, 20), numbers(20, 20)
    queue_texts(before)  # handed to RQ while Redis is up
    assert Queue(RQ_QUEUE, connection=Redis.from_url(proxied)).count >= 1

    proxy.stop()  # Redis goes down
    started = time.monotonic()
    queue_texts(during)  # the commit stands; the hand-over to RQ fails and is only logged
    took = time.monotonic() - started
    client = rq_app.test_client()
    home, ready = client.get("/"), client.get("/readyz")

    assert proxy.connections_cut >= 1, "the app's open connection to Redis was cut"
    assert took < 10, f"queueing waited {took:.1f} s for Redis"
    assert home.status_code == 200, "the app keeps serving pages"
    assert ready.status_code == 503 and ready.get_json()["checks"]["redis"]["ok"] is False, \
        "readiness tells the load balancer that Redis is down"
    assert states() == {MessageState.QUEUED: 40}, "every text is kept, waiting"
    assert twilio_server.created() == []

    proxy.start()  # Redis is back; a worker picks up the jobs, and its sweep sends what never became one
    run_worker(rq_app, burst=True)

    assert states() == {MessageState.SENT: 40}
    per_recipient = texts_per_recipient(twilio_server)
    assert sorted(per_recipient) == before + during, "nothing lost"
    assert set(per_recipient.values()) == {1}, "nothing sent twice"


def test_sign_in_and_its_rate_limit_carry_on_while_redis_is_down(make_app, redis_proxy):
    from tests.factories import PASSWORD, create_user
    from tests.pages import get

    proxy, proxied = redis_proxy
    app = make_app(REDIS_URL=proxied, RATELIMIT_STORAGE_URI=proxied, RATELIMIT_SIGN_IN="3 per minute")
    with app.app_context():
        create_user("sam@example.org", roles=["member"])
    client = app.test_client()
    proxy.stop()

    token = get(client, "/sign-in").csrf_token()
    tries = [client.post("/sign-in", data={"csrf_token": token, "email": "sam@example.org", "password": "wrong"})
             for _ in range(4)]
    signed_in = client.post("/sign-in", data={"csrf_token": token, "email": "sam@example.org", "password": PASSWORD})
    proxy.start()

    assert [response.status_code for response in tries[:3]] == [200, 200, 200], "wrong passwords get the form again"
    assert tries[3].status_code == 429, "the limit still holds, counted in memory while Redis is down"
    assert signed_in.status_code in (302, 429), "no server error"
    with app.app_context():
        db.session.remove()
        _empty_all_tables()


# --- Twilio answering 500 --------------------------------------------------------------------------

# "For a minute", scaled: the outage and the retry back-off (30 s, 1 min, 2 min ... by default)
# are both cut by the same factor, so the test takes seconds and meets the same number of retries.
SCALE = 1 / 60
OUTAGE_SECONDS = 60 * SCALE
RETRY_SECONDS = 30 * SCALE / 2  # the default back-off's first step is half the outage


@pytest.fixture
def outage_app(make_app, twilio_server):
    def make(**overrides):
        app = make_app(**twilio_settings(twilio_server, OUTBOX_MODE="manual", OUTBOX_SEND_CONCURRENCY=4,
                                         OUTBOX_RETRY_SECONDS=RETRY_SECONDS, **overrides))
        context = app.app_context()
        context.push()
        made.append(context)
        return app

    made = []
    yield make
    for context in made:
        db.session.remove()
        _empty_all_tables()
        context.pop()


def sweep_until_settled(seconds: float) -> None:
    """What the worker's sweep does every few seconds, until no text is waiting any more."""
    deadline = time.monotonic() + seconds
    while states().get(MessageState.QUEUED) and time.monotonic() < deadline:
        outbox.deliver_due()
        time.sleep(0.05)


def test_twilio_answering_500_for_a_minute_retries_visibly_then_sends_each_text_once(outage_app, twilio_server):
    outage_app()
    recipients = numbers(0, 30)
    queue_texts(recipients)
    twilio_server.fail_for(OUTAGE_SECONDS)

    first = outbox.deliver_due()

    assert first.retrying == 30 and first.sent == 0
    waiting = db.session.scalars(select(Message)).all()
    assert {(m.state, m.attempts, m.error_code) for m in waiting} == {(MessageState.QUEUED, 1, 20500)}, \
        "each text shows it is waiting to retry, after one attempt, and why"
    assert all(m.error_message and m.next_attempt_at for m in waiting)

    sweep_until_settled(OUTAGE_SECONDS * 10)

    assert not twilio_server.in_outage
    assert states() == {MessageState.SENT: 30}
    assert db.session.scalar(select(func.min(Message.attempts))) >= 2, "every text needed a retry"
    per_recipient = texts_per_recipient(twilio_server)
    assert sorted(per_recipient) == recipients, "nothing lost"
    assert set(per_recipient.values()) == {1}, "nothing sent twice"
    refused = len(twilio_server.created()) - 30
    assert refused >= 30, "Twilio refused every text at least once"


def test_a_longer_twilio_outage_ends_in_visible_failures_and_nothing_sent(outage_app, twilio_server):
    outage_app(OUTBOX_MAX_ATTEMPTS=3)
    recipients = numbers(0, 10)
    queue_texts(recipients)
    twilio_server.fail_for(OUTAGE_SECONDS * 30)  # half an hour, scaled: longer than three tries take

    sweep_until_settled(OUTAGE_SECONDS * 10)

    failed = db.session.scalars(select(Message)).all()
    assert {(m.state, m.attempts, m.error_code) for m in failed} == {(MessageState.FAILED, 3, 20500)}, \
        "each text says it failed, after how many tries, and Twilio's error"
    assert all(m.error_message and m.finished_at for m in failed)
    assert twilio_server.messages == {}, "nothing went, so nothing can go twice when an officer resends"


# --- the mail server down ----------------------------------------------------------------------------


def test_the_mail_server_down_for_a_while_retries_visibly_then_sends_each_email_once(outage_app, make_proxy,
                                                                                      smtp_server, mailbox):
    proxy = make_proxy(smtp_server.port, smtp_server.hostname)
    outage_app(SMTP_PORT=proxy.port)
    addresses = [f"member{index}@example.org" for index in range(10)]
    proxy.stop()  # the mail server goes down
    for address in addresses:
        outbox.queue_email(address, "Your council survey is open", "Have your say.", purpose="alert")
    db.session.commit()

    first = outbox.deliver_due()

    assert first.retrying == 10
    waiting = db.session.scalars(select(Message)).all()
    assert {(m.state, m.attempts) for m in waiting} == {(MessageState.QUEUED, 1)}
    assert all(m.error_message.startswith("The mail server could not take it") for m in waiting), \
        "each e-mail says why it is waiting"

    proxy.start()  # back
    sweep_until_settled(OUTAGE_SECONDS * 10)

    assert states() == {MessageState.SENT: 10}
    per_recipient = Counter(message["To"] for message in mailbox)
    assert sorted(per_recipient) == sorted(addresses), "nothing lost"
    assert set(per_recipient.values()) == {1}, "nothing sent twice"
