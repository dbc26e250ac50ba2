"""Benchmarks for the outbox and the inbound webhook.

Run with `make bench`. Prints figures beside references measured in the same run:

- Dispatch: 10,000 queued texts delivered by one worker through the real twilio library to
  the local Twilio-compatible server, uncapped (goal: 300 a second or more) and capped (goal:
  within 5 % of the cap). Reference: the same gateway sending the same number of texts with
  no database at all.
- Inbound: signed incoming texts posted to /sms/inbound under gunicorn (goal: 300 requests a
  second or more, signature checks on). Reference: the same load generator against a
  gunicorn serving a one-line WSGI app.
"""

import http.client
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

import sms
from epanel import create_app
from epanel.extensions import db
from epanel.messaging import outbox
from tests.conftest import free_port
from tests.messaging.conftest import ACCOUNT_SID, AUTH_TOKEN, twilio_settings
from tests.sms.twilio_server import TwilioServer

ROOT = Path(__file__).resolve().parents[2]
TEXTS = 10_000
CAP = 200.0
CAPPED_TEXTS = 2_000
INBOUND_REQUESTS = 6_000
LOAD_PROCESSES = 4


@pytest.fixture
def twilio_server():
    server = TwilioServer(ACCOUNT_SID, AUTH_TOKEN)
    server.start()
    yield server
    server.stop()


def migrated_app(database_url: str, **settings):
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, **settings})
    with app.app_context():
        upgrade()
    return app


def queue_texts(count: int) -> list[int]:
    messages = [outbox.queue_sms(f"+4479{index:08d}", f"Hello, your survey link is https://x.test/i/{index:012d}",
                                 purpose="alert") for index in range(count)]
    db.session.commit()
    return [message.id for message in messages]


def reference_sends(server: TwilioServer, count: int) -> float:
    gateway = sms.TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, from_number="+447700900001", api_url=server.url)
    started = time.perf_counter()
    for index in range(count):
        gateway.send(f"+4479{index:08d}", "Reference text", reference=f"r{index}")
    return time.perf_counter() - started


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_dispatch_10000_texts_with_one_worker(fresh_database, twilio_server, backend, record_figure):
    app = migrated_app(fresh_database(backend), **twilio_settings(twilio_server, OUTBOX_MODE="manual",
                                                                  SMS_RATE_PER_SECOND=0))
    with app.app_context():
        ids = queue_texts(TEXTS)
        started = time.perf_counter()
        report = outbox.deliver(ids)
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    received = len(twilio_server.messages)
    reference = reference_sends(twilio_server, TEXTS)

    rate = TEXTS / elapsed
    print(f"\n[{backend}] dispatch {TEXTS:,} texts, one worker, uncapped: {elapsed:.2f} s = {rate:,.0f}/s "
          f"(goal >= 300/s); reference: gateway alone {reference:.2f} s = {TEXTS / reference:,.0f}/s; "
          f"ratio {elapsed / reference:.2f}")
    record_figure("texts dispatched, one worker", backend, rate, "/s", reference=TEXTS / reference,
                  reference_unit="/s (gateway alone)", goal=">= 300/s", met=rate >= 300)
    assert report.sent == TEXTS
    assert received == TEXTS


def test_dispatch_honours_the_rate_cap(fresh_database, twilio_server, record_figure):
    app = migrated_app(fresh_database("sqlite"), **twilio_settings(twilio_server, OUTBOX_MODE="manual",
                                                                   SMS_RATE_PER_SECOND=CAP))
    with app.app_context():
        ids = queue_texts(CAPPED_TEXTS)
        started = time.perf_counter()
        report = outbox.deliver(ids)
        elapsed = time.perf_counter() - started
        db.engine.dispose()

    rate = (CAPPED_TEXTS - 1) / elapsed  # n sends take n - 1 gaps
    print(f"\n[sqlite] dispatch {CAPPED_TEXTS:,} texts capped at {CAP:.0f}/s: {elapsed:.2f} s = {rate:.1f}/s, "
          f"{(rate / CAP - 1) * 100:+.2f} % from the cap (goal within 5 %)")
    record_figure("texts dispatched, capped", "sqlite", rate, "/s", reference=CAP, reference_unit="/s (the cap)",
                  goal="within 5 % of the cap", met=abs(rate / CAP - 1) <= 0.05)
    assert report.sent == CAPPED_TEXTS


# --- inbound under gunicorn -------------------------------------------------------------------------

TRIVIAL_APP = textwrap.dedent("""
    def app(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "application/xml"), ("Content-Length", "50")])
        return [b'<?xml version="1.0" encoding="UTF-8"?><Response />']
""")


def signed_requests(public_url: str, count: int, offset: int) -> list[tuple[bytes, str]]:
    """Signed inbound forms: mostly replies nobody expects (to the inbox), some HELP, from many numbers."""
    url = public_url + "/sms/inbound"
    requests = []
    for index in range(offset, offset + count):
        body = "HELP" if index % 5 == 0 else f"Is the library open on Sunday? ({index})"
        form = {"MessageSid": f"SM{index:032d}", "AccountSid": ACCOUNT_SID, "From": f"+4479{index:08d}",
                "To": "+447700900001", "Body": body, "NumMedia": "0", "NumSegments": "1"}
        requests.append((urlencode(form).encode(), sms.sign(AUTH_TOKEN, url, form)))
    return requests


def _load(port: int, path: str, requests: list[tuple[bytes, str]], results) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    statuses = {}
    for body, signature in requests:
        connection.request("POST", path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        response = connection.getresponse()
        response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port)
    results.put(statuses)


def run_load(port: int, path: str, public_url: str, first: int = 0) -> tuple[float, dict]:
    """Post INBOUND_REQUESTS signed texts from LOAD_PROCESSES clients; MessageSids start at `first`."""
    per_process = INBOUND_REQUESTS // LOAD_PROCESSES
    batches = [signed_requests(public_url, per_process, first + number * per_process)
               for number in range(LOAD_PROCESSES)]
    results = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=_load, args=(port, path, batch, results)) for batch in batches]
    started = time.perf_counter()
    for process in processes:
        process.start()
    statuses: dict[int, int] = {}
    for _ in processes:
        for status, count in results.get(timeout=300).items():
            statuses[status] = statuses.get(status, 0) + count
    for process in processes:
        process.join()
    return time.perf_counter() - started, statuses


def server_cpu_seconds(master_pid: int) -> float:
    """User + system CPU time of a gunicorn master and its workers so far (Linux /proc).

    Unlike requests per second, this hardly changes with what else the machine is doing,
    so it gives the capacity of two quiet cores: 2 / (CPU seconds per request)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry.name), int(fields[1])
        if pid == master_pid or parent == master_pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port}")


def gunicorn(target: str, port: int, env: dict, cwd: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
         "--log-level", "warning", target], cwd=cwd, env=env)
    wait_for_port(port)
    return process


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_inbound_webhook_under_gunicorn(fresh_database, tmp_path, backend, record_figure):
    database_url = fresh_database(backend)
    public_url = "http://127.0.0.1"  # what Twilio would see; the signature is made over it
    migrated_app(database_url).extensions["epanel_outbox_dispatcher"].shutdown()
    env = {**os.environ, "EPANEL_ENV": "production", "EPANEL_SECRET_KEY": "bench-only",
           "EPANEL_DATABASE_URL": database_url, "EPANEL_PUBLIC_URL": public_url, "EPANEL_SMS_BACKEND": "twilio",
           "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": "+447700900001",
           "EPANEL_TWILIO_API_URL": "http://127.0.0.1:9", "EPANEL_OUTBOX_MODE": "manual"}
    env.pop("EPANEL_REDIS_URL", None)

    port = free_port()
    server = gunicorn("wsgi:app", port, env, ROOT)
    try:
        run_load(port, "/sms/inbound", public_url, first=INBOUND_REQUESTS)  # warm up: imports, connections
        cpu_before = server_cpu_seconds(server.pid)
        elapsed, statuses = run_load(port, "/sms/inbound", public_url)
        cpu_per_request = (server_cpu_seconds(server.pid) - cpu_before) / INBOUND_REQUESTS
    finally:
        stop(server)
    (tmp_path / "trivial.py").write_text(TRIVIAL_APP)
    port = free_port()
    reference_server = gunicorn("trivial:app", port, env, tmp_path)
    try:
        reference, reference_statuses = run_load(port, "/sms/inbound", public_url)
    finally:
        stop(reference_server)

    rate = INBOUND_REQUESTS / elapsed
    print(f"\n[{backend}] inbound webhook, {INBOUND_REQUESTS:,} signed texts, gunicorn 2 workers x 4 threads, "
          f"{LOAD_PROCESSES} clients: {elapsed:.2f} s = {rate:,.0f} requests/s (goal >= 300/s); reference: trivial "
          f"WSGI app {reference:.2f} s = {INBOUND_REQUESTS / reference:,.0f}/s; ratio {elapsed / reference:.2f}; "
          f"server CPU {cpu_per_request * 1000:.2f} ms a request, so two quiet cores carry about "
          f"{2 / cpu_per_request:,.0f}/s; load average {os.getloadavg()[0]:.1f}; statuses {statuses}")
    record_figure("inbound webhook under gunicorn", backend, rate, "requests/s",
                  reference=INBOUND_REQUESTS / reference, reference_unit="/s (trivial WSGI app)", goal=">= 300/s",
                  met=rate >= 300)
    record_figure("inbound webhook, server CPU", backend, cpu_per_request * 1000, "ms a request")
    assert statuses == {200: INBOUND_REQUESTS}  # the warm-up's texts are other MessageSids
    assert reference_statuses == {200: INBOUND_REQUESTS}
