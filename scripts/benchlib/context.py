"""What every scenario shares: options, the temporary folder, and how results are reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile of ``values`` (0.0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class Row:
    """One line of the table. ``met`` is None when the figure has no target."""

    metric: str
    value: float | int | str
    unit: str = ""
    target: str = ""
    met: bool | None = None


@dataclass
class ScenarioResult:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    # Integrity failures (something lost, a chain that does not verify): these fail the run.
    failures: list[str] = field(default_factory=list)

    def row(
        self,
        metric: str,
        value: float | int | str,
        unit: str = "",
        *,
        at_least: float | None = None,
        at_most: float | None = None,
        more_than: float | None = None,
        digits: int | None = None,
    ) -> None:
        """A line of the table. The target is judged on the exact ``value``; ``digits``
        only rounds what is shown (a ratio of 0.996 must not pass "more than 1" as 1.0)."""
        target, met = "", None
        if isinstance(value, int | float):
            if at_least is not None:
                target, met = f">= {at_least:g}", value >= at_least
            elif at_most is not None:
                target, met = f"<= {at_most:g}", value <= at_most
            elif more_than is not None:
                target, met = f"> {more_than:g}", value > more_than
            if digits is not None:
                value = round(value, digits) if digits else round(value)
        self.rows.append(Row(metric, value, unit, target, met))


@dataclass
class Options:
    quick: bool
    staff: int  # roster size; every one of them checks in once in the rush
    signins: int  # first-morning sign-ins (each a real scrypt PIN check)
    connections: int = 200
    wrk_threads: int = 2
    server_threads: int = 64  # granian blocking threads, as `presensi-node serve` defaults
    keep: bool = False
    # Rounds of the two ratio scenarios (rush vs no-op, ingest vs raw verify): the table
    # shows the median, the JSON every round (the machine is shared and noisy).
    rounds: int = 3
    # central scenarios (3-6)
    ingest_nodes: int = 20
    ingest_per_node: int = 10_000  # records per node, genesis included
    wan_staff: int = 500
    wan_waves: int = 10  # check-in waves over the day (half in, half out)
    wan_gap_s: float = 8.0  # pause after each wave: longer than the push interval
    wan_idle_s: float = 30.0  # idle window measuring the checkpoint polling
    drain_records: int = 30_000
    fresh_rate: float = 10.0  # check-ins per second
    fresh_seconds: float = 60.0


@dataclass
class Context:
    options: Options
    root: Path
    shared: dict[str, Any] = field(default_factory=dict)
