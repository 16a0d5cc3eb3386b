"""``scripts/bench --quick`` runs end to end: every scenario reports its figures, nothing is
lost and the chain verifies. Speed is not checked here (the machine is shared and noisy);
docs/performance.md holds the figures of a full run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Scenario key -> the table rows it must report (figures, not speed targets).
EXPECTED = {
    "rush": [
        "check-ins per second",
        "ratio check-ins / no-op",
        "ratio in each round",
        "latency p99",
        "lost (acknowledged, not in log)",
        "chain verifies",
    ],
    "signin": ["sign-ins per second", "latency p99"],
    "memory": ["peak RSS, all node processes"],
    "ingest": [
        "--workers 1: records verified+stored per s",
        "--workers 1: one core's raw Ed25519 verify",
        "--workers 1: ratio ingest / one core",
        "--workers 2: records verified+stored per s",
        "--workers 2: ratio ingest / one core",
        "--workers 2: ratio in each round",
        "--workers 2: central CPU per record",
        "--workers 2: load generator CPU per record",
        "--workers 1: central holds",
        "--workers 2: central holds",
    ],
    "wan": ["bytes per check-in (check-in traffic)", "check-ins acknowledged (201)"],
    "drain": ["seconds until central holds all"],
    "freshness": ["201 -> at central p95", "not at central after 60 s"],
    "recap": [
        "floor: read the month's rows",
        "month as JSON",
        "month JSON / floor",
        "year: discipline count",
    ],
}


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_bench_quick_runs_and_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [str(REPO / "scripts" / "bench"), "--quick", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads(out.read_text())
    assert report["ok"] is True and report["failures"] == []
    scenarios = report["scenarios"]
    assert set(EXPECTED) <= set(scenarios), sorted(scenarios)
    for key, metrics in EXPECTED.items():
        rows = {row["metric"]: row["value"] for row in scenarios[key]["rows"]}
        assert scenarios[key]["failures"] == [], (key, scenarios[key]["failures"])
        for metric in metrics:
            assert metric in rows, (key, metric, sorted(rows))
            assert rows[metric] not in ("", None), (key, metric)

    rush = scenarios["rush"]["data"]
    assert len(rush["rounds"]) == report["options"]["rounds"] >= 2
    for round_ in rush["rounds"]:
        assert round_["checkins"]["ok_2xx"] == round_["log_checkin_records"] > 0
        assert round_["noop"]["ok_2xx"] == round_["checkins"]["ok_2xx"]
        assert 0 < round_["fsync_ms"]["p50"] <= round_["fsync_ms"]["p99"]
    rush_rows = {row["metric"]: row["value"] for row in scenarios["rush"]["rows"]}
    assert rush_rows["chain verifies"] == "yes"
    assert rush_rows["lost (acknowledged, not in log)"] == 0

    ingest = scenarios["ingest"]["data"]
    for run in ingest["runs"].values():
        assert len(run["rounds"]) == report["options"]["rounds"]
        for push in run["rounds"]:
            assert push["records_held"] == ingest["records"]
            assert push["push"]["errors"] == [] and push["problems"] == []
            assert push["rate_per_s"] > 0 and push["raw_verify_per_s"] > 0
            # Central's verify alone costs tens of us per record: a zero means a wrong group.
            assert push["central_cpu_us_per_record"] > 10

    wan = scenarios["wan"]["data"]
    assert wan["checkins"] == 2 * wan["staff"] and wan["bytes_per_checkin"] > 0

    drain = scenarios["drain"]["data"]
    assert drain["central_records"] >= drain["sent"] > 0 and drain["seconds_to_central"] > 0

    fresh = scenarios["freshness"]["data"]
    assert fresh["missing"] == 0 and fresh["non_201"] == 0
    assert fresh["acked"] == int(fresh["rate"] * fresh["seconds"])
