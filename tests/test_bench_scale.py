"""The scale benchmark scenario runs end to end on a few nodes for a few seconds: three
centrals (SQLite, PostgreSQL, two servers on one PostgreSQL) each report their figures,
every acknowledged record is held exactly once, and the CPU is attributed to the right
processes (speed is not judged here; docs/performance.md holds a full run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.benchlib.scale import ScaleOptions, run_scale

pytestmark = pytest.mark.slow


def test_scale_scenario_small(tmp_path: Path) -> None:
    opts = ScaleOptions(nodes=12, seconds=3.0, batch=5, think=0.3, rounds=1, loadgens=2)
    result = run_scale(tmp_path / "scale", opts)
    assert result.failures == []
    rows = {row.metric: row.value for row in result.rows}
    for label in ("1 central, SQLite", "1 central, PostgreSQL", "2 centrals, one PostgreSQL"):
        for metric in (
            "records per s",
            "batch latency p50",
            "batch latency p99",
            "central CPU per record",
            "load generator CPU per record",
        ):
            value = rows[f"{label}: {metric}"]
            assert isinstance(value, int | float) and value > 0, (label, metric)
    for label in ("1 central, PostgreSQL", "2 centrals, one PostgreSQL"):
        value = rows[f"{label}: database CPU per record"]
        assert isinstance(value, int | float) and value > 0, label
    runs = result.data["runs"]
    for key in ("sqlite", "pg1", "pg2"):
        (run,) = runs[key]
        # Every node pushed (its genesis and more) and central answered every batch.
        assert run["records"] >= 12 * 5 and run["batches"] >= 12 and run["errors"] == []
        # Central verifies a signature per record: CPU attributed to it cannot be near zero.
        assert run["central_cpu_us_per_record"] > 20
    # SQLite's database work is inside central; PostgreSQL's is in its own processes.
    assert runs["sqlite"][0]["db_cpu_s"] == 0
    assert runs["pg1"][0]["db_cpu_s"] > 0 and runs["pg2"][0]["db_cpu_s"] > 0
    assert set(result.data["two_vs_one"]) and set(result.data["pg_vs_sqlite"])
