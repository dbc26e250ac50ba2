"""`make bench` writes its figures as a dated table into docs/performance.md, newest first."""

from datetime import UTC, datetime

from tests.bench.conftest import RESULTS_HEADING, results_table, write_results

FIGURE = {"benchmark": "bench_api", "what": "partner submissions", "database": "sqlite", "value": 120.0, "unit": "/s",
          "reference": 600.0, "reference_unit": "/s (bare reference)", "goal": ">= 500/s", "met": False, "load": 1.5}


def test_a_run_becomes_a_dated_table_with_its_reference_ratio_and_goal():
    table = results_table([FIGURE], datetime(2026, 11, 26, 7, 30, tzinfo=UTC), {"CPUs": 2, "code": "abc123"})

    assert table.startswith("### 2026-11-26 07:30 UTC\n\nCPUs: 2; code: abc123\n")
    assert ("| bench_api | partner submissions | sqlite | 120 /s | 600 /s (bare reference) | 0.20 | "
            ">= 500/s (**not met**) | 1.5 |") in table


def test_newer_runs_go_first_and_the_rest_of_the_file_is_kept(tmp_path):
    path = tmp_path / "performance.md"
    path.write_text("# Performance\n\nHow each benchmark works.\n")
    first = results_table([FIGURE], datetime(2026, 11, 26, 7, 0, tzinfo=UTC), {"CPUs": 2})
    second = results_table([{**FIGURE, "value": 130.0}], datetime(2026, 11, 27, 7, 0, tzinfo=UTC), {"CPUs": 2})

    write_results(path, first)
    write_results(path, second)

    text = path.read_text()
    assert text.startswith("# Performance\n\nHow each benchmark works.\n")
    assert text.count(RESULTS_HEADING) == 1
    assert text.index("2026-11-27 07:00") < text.index("2026-11-26 07:00")
