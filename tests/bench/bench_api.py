"""Benchmark: partner-channel submissions of the 20-question survey through the JSON API, under gunicorn, on SQLite.

Run with `make bench` (pytest -s). It:

1. makes a fresh SQLite database, migrates it, builds the same 20-question survey as bench_answering.py
   (8 single choice, 4 multiple choice, 6 agreement scales, 2 long text), opens it and gives an officer a
   read-write API token;
2. starts gunicorn with bench_answering's WSGI module and settings (EPANEL_ENV=production, rate limits off),
   which also serves the reference endpoint: a minimal Flask view that parses a form and inserts one row, on
   a bare Flask app (/bare/reference) and inside the ePanel app (/bench/reference);
3. drives CONCURRENCY clients, each on its own keep-alive connection, POSTing complete responses (JSON, a new
   submission id each) to /api/v1/consultations/<slug>/responses for RUN_SECONDS after a warm-up, then POSTs
   to each reference from the same driver for REFERENCE_SECONDS.

Only that every submission got 201 and was stored once is asserted; speeds and the ratio to the reference
are printed. Figures and conditions are recorded in docs/performance.md ("JSON API: partner submissions").
"""

import http.client
import json
import os
import random
import threading
import time
import uuid

import sqlalchemy as sa
from flask_migrate import upgrade

from epanel import create_app
from epanel.api import tokens
from epanel.api.models import TokenScope
from epanel.extensions import db
from epanel.respond.models import Response, ResponseChannel
from tests.bench.bench_answering import (
    CONCURRENCY,
    REFERENCE_TABLE,
    TEXTS,
    CpuMeter,
    Server,
    build_survey,
    machine_description,
    percentile,
    run_reference,
)
from tests.factories import create_user

WARMUP_SECONDS = 3.0
RUN_SECONDS = float(os.environ.get("EPANEL_BENCH_SECONDS", "20"))
REFERENCE_SECONDS = 10.0
GOAL = 500  # submissions a second


def question_plan(consultation, pages) -> list[tuple[str, str, list[str], int]]:
    """(kind, question code, option codes, most) for every question, from bench_answering's page plans."""
    codes = {question.id: question.code for question in consultation.questions}
    return [(kind, codes[question_id], options, most) for plan in pages for kind, question_id, options, most in plan]


def body_for(plan, rng: random.Random) -> bytes:
    answers = []
    for kind, code, options, most in plan:
        if kind == "multiple":
            value = rng.sample(options, rng.randint(1, most))
        elif kind == "long_text":
            value = rng.choice(TEXTS)
        else:
            value = rng.choice(options)
        answers.append({"question": code, "value": value})
    return json.dumps({"submission_id": f"bench-{uuid.uuid4().hex}", "answers": answers,
                       "respondent": {"age_band": rng.choice(["18-24", "25-34", "45-54"])}}).encode()


def run_partners(port, slug, secret, plan, seconds: float, seed: int) -> dict:
    """CONCURRENCY partner clients submitting complete responses for `seconds`."""
    timings, failures, created = [], [], []
    started = time.perf_counter()
    window_end = started + seconds
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}

    def client(number):
        rng = random.Random(seed * 1000 + number)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while time.perf_counter() < window_end:
                body = body_for(plan, rng)
                begun = time.perf_counter()
                connection.request("POST", f"/api/v1/consultations/{slug}/responses", body=body, headers=headers)
                response = connection.getresponse()
                text = response.read()
                finished = time.perf_counter()
                if response.status != 201:
                    failures.append(f"{response.status} {text[:200]!r}")
                else:
                    created.append(finished)
                timings.append(("submit", finished - begun, finished))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"started": started, "finished": time.perf_counter(), "timings": timings, "failures": failures,
            "created": created}


def rate(run: dict, seconds: float) -> float:
    return len(run["timings"]) / seconds


def test_partner_submissions_of_a_20_question_survey_through_the_api(fresh_database, tmp_path, record_figure):
    database_url = fresh_database("sqlite")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        REFERENCE_TABLE.create(db.engine)
        consultation, pages = build_survey(4)
        slug = consultation.slug
        plan = question_plan(consultation, pages)
        officer = create_user(email="bench-officer@example.org", roles=("officer",), totp=False)
        _, secret = tokens.create_token(officer, "Benchmark kiosk", TokenScope.READ_WRITE)
        db.session.remove()
        db.engine.dispose()
    machine = machine_description("sqlite", database_url)

    with Server(tmp_path, database_url) as server:
        warmup = run_partners(server.port, slug, secret, plan, WARMUP_SECONDS, seed=1)
        run_reference(server.port, "/bare/reference", 1.0)
        meter, cpu, references = CpuMeter(server, "sqlite"), {}, {}
        meter.start()
        submitting = run_partners(server.port, slug, secret, plan, RUN_SECONDS, seed=2)
        cpu["submissions"] = meter.stop()
        for label, path in (("reference (bare)", "/bare/reference"), ("reference (in app)", "/bench/reference")):
            meter.start()
            references[label] = run_reference(server.port, path, REFERENCE_SECONDS)
            cpu[label] = meter.stop()
        errors = server.errors_logged()

    failures = warmup["failures"] + submitting["failures"]
    for line in errors[:5]:
        print("  server log:", line)
    assert not failures, failures[:5]
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Response)
                                   .where(Response.channel == ResponseChannel.PARTNER))
        db.engine.dispose()
    assert stored == len(warmup["created"]) + len(submitting["created"]), "every 201 stored exactly one response"

    print("\n== JSON API: partner submissions of a 20-question survey, SQLite ==")
    for name, value in machine:
        print(f"  {name}: {value}")
    seconds = submitting["finished"] - submitting["started"]
    per_second = len(submitting["created"]) / seconds
    latencies = [timing[1] for timing in submitting["timings"]]
    print(f"  submissions: {len(submitting['created'])} in {seconds:.1f} s = {per_second:.0f}/s "
          f"(goal {GOAL}/s: {'met' if per_second >= GOAL else 'NOT met'}); concurrency {CONCURRENCY}")
    print(f"  latency ms: p50 {percentile(latencies, 50) * 1000:.1f}  p95 {percentile(latencies, 95) * 1000:.1f}  "
          f"p99 {percentile(latencies, 99) * 1000:.1f}")
    print(f"  gunicorn CPU per submission: {cpu['submissions']['gunicorn'] / max(len(submitting['created']), 1) * 1000:.2f} ms")
    for label, run in references.items():
        reference_rate = rate(run, REFERENCE_SECONDS)
        print(f"  {label}: {reference_rate:.0f}/s; submissions are {per_second / reference_rate:.2f} x this "
              f"(CPU per request {cpu[label]['gunicorn'] / max(len(run['timings']), 1) * 1000:.2f} ms)")
    bare = rate(references["reference (bare)"], REFERENCE_SECONDS)
    record_figure("partner submissions through the API", "sqlite", per_second, "/s", reference=bare,
                  reference_unit="/s (bare reference)", goal=f">= {GOAL}/s", met=per_second >= GOAL)
    record_figure("partner submissions, p95", "sqlite", percentile(latencies, 95) * 1000, "ms")
    if os.environ.get("EPANEL_BENCH_REQUIRE_GOAL") == "1":
        assert per_second >= GOAL
