"""Benchmark fixtures: a brand-new database of either kind, dropped afterwards.

`fresh_database("sqlite")` is a file in the test's temporary folder; `fresh_database("postgres")` is a new
database on the server named by EPANEL_TEST_DATABASE_URL (or the local one), dropped when the test ends.
"""

import os
import uuid

import pytest
import sqlalchemy as sa

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_url(url: str) -> sa.engine.URL:
    url = sa.make_url(url)
    return url.set(drivername="postgresql+psycopg") if url.drivername in ("postgres", "postgresql") else url


@pytest.fixture
def fresh_database(tmp_path):
    drops = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'bench-{uuid.uuid4().hex[:8]}.sqlite'}"
        base = _postgres_url(os.environ.get("EPANEL_TEST_DATABASE_URL") or LOCAL_POSTGRES)
        name = f"epanel_bench_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.OperationalError as error:
            admin.dispose()
            if os.environ.get("EPANEL_REQUIRE_SERVICES") == "1":
                pytest.fail(f"PostgreSQL is not reachable: {error.orig}", pytrace=False)
            pytest.skip(f"PostgreSQL is not reachable: {error.orig}")

        def drop():
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        drops.append(drop)
        return base.set(database=name).render_as_string(hide_password=False)

    yield make
    for drop in drops:
        drop()


# --- the dated results table -------------------------------------------------------------------------
#
# Each benchmark records its headline figures with `record_figure`; at the end of the run they are
# written, newest first, as a dated table into docs/performance.md (EPANEL_BENCH_WRITE_DOCS=0 keeps the
# file as it is), with the machine, the databases and the git commit measured.

RESULTS_HEADING = "## Results of `make bench`, newest first"
_figures: list[dict] = []


@pytest.fixture
def record_figure(request):
    """record_figure(what, database, value, unit, *, reference=None, reference_unit="", goal="", met=None)."""
    def record(what, database, value, unit, *, reference=None, reference_unit="", goal="", met=None):
        _figures.append({"benchmark": request.node.module.__name__.rsplit(".", 1)[-1], "what": what,
                         "database": database, "value": value, "unit": unit, "reference": reference,
                         "reference_unit": reference_unit, "goal": goal, "met": met,
                         "load": os.getloadavg()[0]})
    return record


def _number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value < 10:
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def results_table(figures: list[dict], when, machine: dict) -> str:
    """A dated markdown table of a run's figures, with the conditions they were measured in."""
    lines = [f"### {when:%Y-%m-%d %H:%M} UTC", "",
             "; ".join(f"{name}: {value}" for name, value in machine.items()), "",
             "| benchmark | figure | database | result | reference (same run) | ratio | goal | load |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for figure in figures:
        ratio = (f"{figure['value'] / figure['reference']:.2f}" if figure["reference"] and figure["value"] is not None
                 else "–")
        reference = (f"{_number(figure['reference'])} {figure['reference_unit']}".strip()
                     if figure["reference"] is not None else "–")
        goal = figure["goal"] + ("" if figure["met"] is None else (" (met)" if figure["met"] else " (**not met**)"))
        lines.append(f"| {figure['benchmark']} | {figure['what']} | {figure['database']} | "
                     f"{_number(figure['value'])} {figure['unit']} | {reference} | {ratio} | {goal or '–'} | "
                     f"{figure['load']:.1f} |")
    return "\n".join(lines) + "\n"


def write_results(path, table: str) -> None:
    """Put the table first under RESULTS_HEADING (added at the end of the file the first time)."""
    text = path.read_text() if path.exists() else ""
    if RESULTS_HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{RESULTS_HEADING}\n\nWritten by `make bench` at the end of each run; " \
            "the sections above explain each benchmark and its reference.\n"
    head, _, rest = text.partition(RESULTS_HEADING)
    intro, _, older = rest.partition("\n### ")
    older = f"\n### {older}" if older else ""
    path.write_text(f"{head}{RESULTS_HEADING}{intro.rstrip()}\n\n{table}{older}")


def _machine() -> dict:
    import platform
    import subprocess
    from pathlib import Path

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    return {"CPUs": os.cpu_count(), "CPU": cpu, "Python": platform.python_version(), "code": commit or "unknown"}


def pytest_sessionfinish(session, exitstatus):
    if not _figures or os.environ.get("EPANEL_BENCH_WRITE_DOCS") == "0":
        return
    from datetime import UTC, datetime
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "docs" / "performance.md"
    write_results(path, results_table(_figures, datetime.now(UTC), _machine()))
    print(f"\nbenchmark figures written to {path}")
