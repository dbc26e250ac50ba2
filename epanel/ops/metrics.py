"""Prometheus metrics, served at /metrics.

Two kinds:

- per request, counted as they happen: latency by endpoint (the URL rule, so
  `/respond/i/<token>` is one series, not one per link) and method, and requests by status;
- from the database and Redis at scrape time: responses stored, messages by state, the age
  of the oldest message due to be sent, and the RQ queue depth. One GROUP BY each, so every
  gunicorn worker answers the same and nothing has to be kept in step.

Under gunicorn with several workers, the request metrics live in each worker's memory;
gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR so that prometheus-client writes them to
files there and any worker's /metrics adds them all up. Without that variable (flask run, a
single process) they are this process's own.
"""

import logging
import os
import time

import sqlalchemy as sa
from flask import Flask, g, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from epanel.common.time import utcnow
from epanel.extensions import db

log = logging.getLogger(__name__)

# Up to 10 s, with a boundary at the 300 ms a vote must beat at the 95th percentile.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "<unmatched>"

disable_created_metrics()  # the *_created series double the output and nothing here reads them

REQUEST_LATENCY = Histogram(
    "epanel_http_request_duration_seconds", "Time to answer a request, by URL rule and method.",
    ["endpoint", "method"], buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter("epanel_http_requests", "Requests answered, by URL rule, method and status.",
                   ["endpoint", "method", "status"])


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def init_metrics(app: Flask) -> None:
    app.before_request(_start_clock)
    app.after_request(_observe)


def _start_clock() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.get("metrics_started")
    if started is not None:
        endpoint = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        REQUEST_LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    return response


def render_metrics(app: Flask) -> bytes:
    """The exposition text: this process's (or every worker's) request metrics, then the live gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_LiveGauges(app))
    return generate_latest(registry)


class _ThisProcess:
    """The default registry: our request metrics plus the process and Python collectors."""

    def collect(self):
        yield from REGISTRY.collect()


class _LiveGauges:
    """Gauges read from the database (and Redis) each time Prometheus scrapes."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        database_up = GaugeMetricFamily("epanel_metrics_database_up",
                                        "1 if the database answered the metrics queries in this scrape.")
        try:
            yield from _database_gauges()
            database_up.add_metric([], 1)
        except sa.exc.SQLAlchemyError:
            log.exception("metrics: the database did not answer")
            db.session.rollback()
            database_up.add_metric([], 0)
        yield database_up
        if self.app.config.get("REDIS_URL"):
            yield from _rq_gauges(self.app.config["REDIS_URL"], self.app.config["OUTBOX_QUEUE"])


def _database_gauges():
    from epanel.messaging.models import Message, MessageChannel, MessageState
    from epanel.respond.models import Response, ResponseChannel, ResponseStatus

    responses = GaugeMetricFamily("epanel_responses_stored", "Responses in the database, by status and channel.",
                                  labels=["status", "channel"])
    counts = dict(((status, channel), number) for status, channel, number in db.session.execute(
        sa.select(Response.status, Response.channel, sa.func.count()).group_by(Response.status, Response.channel)))
    for status in ResponseStatus:
        for channel in ResponseChannel:
            responses.add_metric([status.value, channel.value], counts.get((status, channel), 0))
    yield responses

    messages = GaugeMetricFamily("epanel_messages", "Outgoing messages in the outbox, by state and channel.",
                                 labels=["state", "channel"])
    counts = dict(((state, channel), number) for state, channel, number in db.session.execute(
        sa.select(Message.state, Message.channel, sa.func.count()).group_by(Message.state, Message.channel)))
    for state in MessageState:
        for channel in MessageChannel:
            messages.add_metric([state.value, channel.value], counts.get((state, channel), 0))
    yield messages

    # Waiting since it became due: a message held for quiet hours or a retry's back-off is
    # not late until its time comes, so it does not set off an alert before then.
    now = utcnow()
    due_since = sa.func.coalesce(Message.next_attempt_at, Message.queued_at)
    oldest = db.session.execute(
        sa.select(sa.func.min(due_since)).where(
            Message.state == MessageState.QUEUED,
            sa.or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        )
    ).scalar()
    age = GaugeMetricFamily("epanel_outbox_oldest_due_age_seconds",
                            "Seconds the oldest queued message has been due to be sent (0: none waiting).")
    age.add_metric([], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
    yield age
    db.session.rollback()  # end the read transaction; the scrape must not hold one open


def _rq_gauges(redis_url: str, name: str):
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    up = GaugeMetricFamily("epanel_redis_up", "1 if Redis answered in this scrape.")
    try:
        connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        queue = Queue(name, connection=connection)
        depth = GaugeMetricFamily("epanel_rq_queue_jobs", "Jobs waiting in the RQ queue.", labels=["queue"])
        depth.add_metric([name], queue.count)
        failed = GaugeMetricFamily("epanel_rq_failed_jobs", "Jobs in the RQ queue's failed registry.", labels=["queue"])
        failed.add_metric([name], queue.failed_job_registry.count)
        up.add_metric([], 1)
        yield depth
        yield failed
    except RedisError:
        log.warning("metrics: Redis did not answer at scrape time")
        up.add_metric([], 0)
    yield up
