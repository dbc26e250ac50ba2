"""/metrics: request latency by URL rule, live counts from the database, and who may read it."""

import re
from datetime import timedelta

import pytest

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging.models import Message, MessageChannel, MessageState
from epanel.respond.models import ResponseChannel
from tests.conftest import redis_url_for_tests
from tests.factories import create_consultation

OUTSIDER = {"REMOTE_ADDR": "203.0.113.9"}


def scrape(client, **kwargs) -> dict[str, float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def add_message(state, *, channel=MessageChannel.SMS, due=None):
    message = Message(channel=channel, purpose="alert", to_address="+447700900123", body="Hello", state=state,
                      next_attempt_at=due)
    db.session.add(message)
    db.session.commit()
    return message


def test_messages_are_counted_by_state_and_channel(app, client):
    now = utcnow()
    add_message(MessageState.QUEUED, due=now - timedelta(minutes=5))  # due five minutes ago, still waiting
    add_message(MessageState.QUEUED, due=now + timedelta(hours=3))  # held for quiet hours: not late yet
    add_message(MessageState.DELIVERED)
    add_message(MessageState.DELIVERED)
    add_message(MessageState.FAILED, channel=MessageChannel.EMAIL)

    samples = scrape(client)

    assert samples['epanel_messages{channel="sms",state="queued"}'] == 2
    assert samples['epanel_messages{channel="sms",state="delivered"}'] == 2
    assert samples['epanel_messages{channel="email",state="failed"}'] == 1
    assert samples['epanel_messages{channel="sms",state="cancelled"}'] == 0  # every state shows, even at 0
    assert 300 <= samples["epanel_outbox_oldest_due_age_seconds"] < 400
    assert samples["epanel_metrics_database_up"] == 1


def test_outbox_age_is_zero_when_nothing_is_waiting(app, client):
    add_message(MessageState.SENT)

    assert scrape(client)["epanel_outbox_oldest_due_age_seconds"] == 0


def test_responses_stored_are_counted_by_status_and_channel(app, client):
    from epanel.respond.operations import record_complete_response

    consultation = create_consultation()
    for _ in range(3):
        record_complete_response(consultation, {}, channel=ResponseChannel.PAPER)
    db.session.commit()

    samples = scrape(client)

    assert samples['epanel_responses_stored{channel="paper",status="complete"}'] == 3
    assert samples['epanel_responses_stored{channel="web",status="complete"}'] == 0


def test_request_latency_is_labelled_by_url_rule_not_by_path(app, client):
    client.get("/healthz")
    client.get("/respond/i/a-private-token-that-must-not-become-a-label")

    response = client.get("/metrics")
    text = response.get_data(as_text=True)

    assert re.search(r'epanel_http_request_duration_seconds_bucket\{endpoint="/healthz",le="0.3",method="GET"\}', text)
    assert 'epanel_http_requests_total{endpoint="/respond/i/<token>",method="GET",status="404"}' in text
    assert "a-private-token" not in text


def test_queue_depth_is_reported_when_redis_is_configured(make_app):
    app = make_app(REDIS_URL=redis_url_for_tests())

    samples = scrape(app.test_client())

    assert 'epanel_rq_queue_jobs{queue="epanel"}' in samples
    assert samples["epanel_redis_up"] == 1


def test_an_unreachable_redis_is_reported_not_fatal(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")

    samples = scrape(app.test_client())

    assert samples["epanel_redis_up"] == 0
    assert "epanel_messages{channel=\"sms\",state=\"queued\"}" in samples


def test_metrics_are_readable_from_this_machine_without_a_token(client):
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic c2VjcmV0"}])
def test_metrics_are_refused_to_anyone_else_without_the_token(make_app, headers):
    client = make_app(METRICS_TOKEN="s3cret-metrics-token").test_client()

    response = client.get("/metrics", headers=headers, environ_base=OUTSIDER)

    assert response.status_code == 403
    assert "epanel_messages" not in response.get_data(as_text=True)


def test_metrics_are_readable_from_anywhere_with_the_token(make_app):
    client = make_app(METRICS_TOKEN="s3cret-metrics-token").test_client()

    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics-token"}, environ_base=OUTSIDER)

    assert response.status_code == 200


def test_a_request_relayed_by_a_local_proxy_needs_the_token(make_app):
    # nginx on the same host connects from 127.0.0.1: that must not open /metrics to the world.
    client = make_app().test_client()

    response = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})

    assert response.status_code == 403


def test_without_a_token_set_no_outsider_gets_in(make_app):
    client = make_app(METRICS_TOKEN=None).test_client()

    assert client.get("/metrics", headers={"Authorization": "Bearer "}, environ_base=OUTSIDER).status_code == 403
