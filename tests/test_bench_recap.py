"""The recap benchmark scenario runs on a small roster and reports every figure (speed is not
judged here; docs/performance.md holds a full run)."""

from __future__ import annotations

from pathlib import Path

from scripts.benchlib import recap_scenario
from scripts.benchlib.context import Context, Options


def test_recap_scenario_small(tmp_path: Path) -> None:
    ctx = Context(Options(quick=True, staff=60, signins=10), tmp_path)
    (result,) = recap_scenario.run(ctx)
    assert result.failures == []
    rows = {row.metric: row.value for row in result.rows}
    for metric in (
        "floor: read the month's rows",
        "month as JSON",
        "month JSON / floor",
        "month as XLSX",
        "year: discipline count",
    ):
        value = rows[metric]
        assert isinstance(value, int | float) and value > 0, metric
    data = result.data
    assert data["rows"] == data["build"]["records"] > 60 * 20
    assert data["month_employees"] == data["year_employees"] == 60
