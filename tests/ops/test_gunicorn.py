"""gunicorn.conf.py really serves ePanel: several workers, metrics added up across them, JSON
logs, and in thread mode an outbox thread per worker that sends what is due exactly once."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging.models import Message, MessageChannel, MessageState
from tests.conftest import free_port
from tests.ops.test_metrics import parse

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def serve(app, database_url, tmp_path):
    """Start gunicorn from the repository root with gunicorn.conf.py; yields (base URL, log path)."""
    started = []

    def start(**env):
        port = free_port()
        log_path = tmp_path / f"gunicorn-{port}.log"
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("EPANEL_", "PROMETHEUS_"))},
            "EPANEL_ENV": "production", "EPANEL_SECRET_KEY": "gunicorn-test-only",
            "EPANEL_DATABASE_URL": database_url, "EPANEL_WEB_BIND": f"127.0.0.1:{port}",
            "EPANEL_WEB_WORKERS": "2", "EPANEL_WEB_THREADS": "2", "EPANEL_LOG_FORMAT": "json",
            "EPANEL_OUTBOX_MODE": "manual", "EPANEL_WEB_GRACEFUL_TIMEOUT": "2",
            "RUNTIME_DIRECTORY": str(tmp_path / "run"), **env,
        }
        with log_path.open("w") as log:
            process = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app"], cwd=ROOT, env=environment,
                                       stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                return base, log_path
            except OSError:
                assert process.poll() is None, log_path.read_text()
                time.sleep(0.2)
        raise AssertionError("gunicorn did not start:\n" + log_path.read_text())

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def get(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
        return response.status, response.read().decode()


def test_requests_to_every_worker_are_added_up_in_metrics_and_logged_as_json(serve):
    base, log_path = serve()

    for number in range(20):
        get(base + "/privacy", headers={"X-Request-ID": f"gunicorn-drill-{number}"})
    _, text = get(base + "/metrics")

    samples = parse(text)
    assert samples['epanel_http_requests_total{endpoint="/privacy",method="GET",status="200"}'] == 20
    assert get(base + "/readyz")[0] == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "gunicorn-drill-19" not in log_path.read_text():
        time.sleep(0.1)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own lines are JSON too
    requests = [line for line in lines if line.get("request_id", "").startswith("gunicorn-drill-")]
    assert len(requests) == 20
    assert {line["path"] for line in requests} == {"/privacy"}
    assert len({line["request_id"] for line in requests}) == 20


def test_in_thread_mode_each_worker_s_outbox_thread_sends_what_is_due_once(app, serve):
    message = Message(channel=MessageChannel.EMAIL, purpose="account", to_address="someone@example.org",
                      subject="Hello", body="Hello", next_attempt_at=utcnow() - timedelta(minutes=1))
    db.session.add(message)
    db.session.commit()

    # No request sends anything: only the workers' own threads, started by post_worker_init, can.
    serve(EPANEL_OUTBOX_MODE="thread", EPANEL_OUTBOX_POLL_SECONDS="0.5", EPANEL_MAIL_BACKEND="console")

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(Message, message.id).state not in (MessageState.QUEUED, MessageState.SENDING):
            break
        time.sleep(0.2)
    db.session.expire_all()
    sent = db.session.get(Message, message.id)
    assert sent.state in (MessageState.SENT, MessageState.DELIVERED)
    assert sent.attempts == 1
