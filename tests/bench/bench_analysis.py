"""Benchmark: results, crosstabs, weighting and every export of a consultation with 100,000 responses.

Run with `.venv/bin/pytest tests/bench/bench_analysis.py -o python_files='bench_*.py' -s`. For SQLite and
for PostgreSQL, in turn, it:

1. makes a fresh database, migrates it, and generates the benchmark consultation (20 questions: 8 single
   choice, 4 multiple choice, 4 agreement scales, 2 ratings, a number and a long text) with RESPONSES
   complete responses through `epanel.analysis.benchdata` (what `flask epanel bench-data` runs);
2. times, through the Flask test client as a signed-in officer (server time in-process), the results
   page, a crosstab, the weighted results page (raking to age band x gender x ward targets) and
   each export, reading every streamed byte; for exports also the peak memory growth of the process
   (Linux VmHWM, reset before each export);
3. times, in the same run, references straight from the database: the same GROUP BY of all answers
   the results need, written as raw SQL, and a dump of the same answers to CSV (sqlite3 cursor + csv
   module on SQLite, COPY ... TO STDOUT on PostgreSQL), and prints each figure's ratio to them.

Only correctness is asserted (row counts); times are printed and recorded in docs/performance.md.
"""

import csv
import io
import os
import platform
import statistics
import time

import pytest
from flask_migrate import upgrade

from epanel import create_app
from epanel.analysis.benchdata import add_bench_targets, create_bench_consultation, generate_responses
from epanel.analysis.filters import ResponseFilter
from epanel.analysis.weighting import compute_weighting
from epanel.extensions import db
from tests.conftest import FreshContextClient
from tests.factories import PASSWORD, create_user
from tests.pages import sign_in

RESPONSES = int(os.environ.get("EPANEL_BENCH_ANALYSIS_RESPONSES", "100000"))
REPEATS = 3
EXPORTS = ["csv", "csv-long", "xlsx", "sav", "json"]


def _vm(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM, the peak resident size
    except OSError:
        pass


def _timed(action, repeats=REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _reference_group_by(consultation) -> float:
    sql = ("SELECT a.question_id, a.option_id, a.row_id, a.number, count(*) FROM answers a "
           "JOIN responses r ON r.id = a.response_id WHERE r.consultation_id = :c AND r.status = 'complete' "
           "GROUP BY a.question_id, a.option_id, a.row_id, a.number")
    return _timed(lambda: db.session.execute(db.text(sql), {"c": consultation.id}).all())


def _reference_dump(consultation) -> tuple[float, int]:
    """The same answers straight from the database to CSV, as `sqlite3 -csv` or `psql \\copy` would."""
    sql = ("SELECT a.response_id, a.question_id, a.option_id, a.row_id, a.number, a.text FROM answers a "
           "JOIN responses r ON r.id = a.response_id WHERE r.consultation_id = {} ORDER BY a.response_id, a.id")
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    size = 0
    started = time.perf_counter()
    cursor = raw.cursor()
    if connection.dialect.name == "postgresql":
        with cursor.copy(f"COPY ({sql.format(consultation.id)}) TO STDOUT WITH CSV") as copy:
            for chunk in copy:
                size += len(chunk)
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in cursor.execute(sql.format(consultation.id)):
            writer.writerow(row)
            if buffer.tell() > 65536:
                size += len(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
        size += len(buffer.getvalue().encode())
    cursor.close()
    return time.perf_counter() - started, size


def _get(client, url) -> tuple[float, int, int]:
    """Seconds, bytes and peak memory growth for one streamed GET, reading every byte."""
    _reset_peak()
    before = _vm("VmRSS")
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200, (url, response.status_code)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    return time.perf_counter() - started, size, max(_vm("VmHWM") - before, 0)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_analysis_of_100000_responses(fresh_database, backend, record_figure):
    url = fresh_database(backend)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        consultation = create_bench_consultation()
        answers = generate_responses(consultation, RESPONSES)
        add_bench_targets()
        generated = time.perf_counter() - started
        if backend == "postgres":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        slug, question_id, second_id = consultation.slug, consultation.questions[0].id, consultation.questions[12].id
        officer = create_user("bench-officer@example.org", roles=["officer"])
        reference_group = _reference_group_by(consultation)
        reference_dump, dump_size = _reference_dump(consultation)
        started = time.perf_counter()
        weighting = compute_weighting(consultation, ResponseFilter())
        weighting_seconds = time.perf_counter() - started
        started = time.perf_counter()
        trimmed = compute_weighting(consultation, ResponseFilter(), trim=(0.3, 3.0))
        trimmed_seconds = time.perf_counter() - started
        db.session.remove()

    app.test_client_class = FreshContextClient
    client = app.test_client()
    with app.app_context():
        signed_in = sign_in(client, officer.email, PASSWORD)
    assert signed_in.status == 302 and "/sign-in" not in signed_in.location, signed_in.location
    base = f"/officer/consultations/{slug}"
    pages = {
        "results page": f"{base}/results",
        "results page, one ward": f"{base}/results?ward=Ward+A",
        "crosstab by ward": f"{base}/crosstab?question={question_id}&by=ward",
        "crosstab by question": f"{base}/crosstab?question={question_id}&by=q{second_id}",
        "weighted results page": f"{base}/results?weight=on",
    }
    page_times = {name: _timed(lambda path=path: _get(client, path)) for name, path in pages.items()}
    exports = {}
    for key in EXPORTS:
        exports[key] = _get(client, f"{base}/exports/{key}")
    weighted_csv = _get(client, f"{base}/exports/csv?weight=on")

    with app.app_context():
        db.engine.dispose()

    print(f"\n=== Analysis and exports: {backend}, {RESPONSES:,} responses, {answers:,} answers "
          f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}) ===")
    print(f"generate (bulk insert)              {generated:8.2f} s")
    print(f"reference: raw SQL GROUP BY         {reference_group:8.3f} s")
    print(f"reference: raw CSV dump of answers  {reference_dump:8.2f} s  ({dump_size / 1e6:.0f} MB)")
    for name, seconds in page_times.items():
        print(f"{name:<36}{seconds:8.3f} s  ({seconds / reference_group:5.1f} x GROUP BY)")
    print(f"weighting (rake, {len(weighting.counts)} cells)        {weighting_seconds:8.3f} s  "
          f"deff {weighting.design_effect:.3f}, {weighting.iterations} rounds; trimmed {trimmed_seconds:.3f} s, "
          f"deff {trimmed.design_effect:.3f}")
    for key, (seconds, size, memory) in [*exports.items(), ("csv weighted", weighted_csv)]:
        print(f"export {key:<29}{seconds:8.2f} s  ({seconds / reference_dump:5.1f} x dump)  "
              f"{size / 1e6:6.1f} MB, peak memory +{memory / 1e6:.0f} MB")
    for name, seconds in page_times.items():
        limit = 2.0 if "weighted" in name else 0.5  # the goals: pages 500 ms, weighting 2 s
        record_figure(f"{name}, {RESPONSES:,} responses", backend, seconds, "s", reference=reference_group,
                      reference_unit="s (raw GROUP BY)", goal=f"< {limit:g} s", met=seconds < limit)
    record_figure("weighting (rake)", backend, weighting_seconds, "s", goal="< 2 s", met=weighting_seconds < 2)
    for key, (seconds, _size, memory) in exports.items():
        record_figure(f"export {key}", backend, seconds, "s", reference=reference_dump, reference_unit="s (raw dump)",
                      goal="< 10 s, < 100 MB" if key == "csv" else "",
                      met=(seconds < 10 and memory < 100e6) if key == "csv" else None)
    assert exports["csv"][1] > 0 and weighting.converged
