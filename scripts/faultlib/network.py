"""Network faults between node and central through ``testkit.faultproxy.FaultProxy``.

The node's ``CENTRAL_URL`` points at the proxy. Staff keep checking in throughout; each round
switches the proxy into the fault for a few seconds, then back to ``pass``. Afterwards
central must hold exactly the node's log (exactly-once), and staff must have been answered
at normal speed during the fault (the push runs in its own thread, never in a request).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .crashes import record_outcome
from .report import FaultRow
from .staff import Ack, StaffLoad
from .stage import Stage
from .workspace import wait_until

# name -> (proxy mode, a function of the round's rng giving its parameters)
FAULTS: dict[str, tuple[str, Callable[[random.Random], dict[str, Any]]]] = {
    "latency": ("latency", lambda rng: {"delay": rng.uniform(0.5, 2.0)}),
    "reset": ("reset", lambda rng: {"after_bytes": rng.randint(50, 4000)}),
    "drop_response": ("drop_response", lambda rng: {}),
    "blackhole": ("blackhole", lambda rng: {}),
    "slow_body": ("slow_body", lambda rng: {"rate": rng.choice([100, 300, 1000])}),
    "refuse": ("refuse", lambda rng: {}),
}


def _clear_pool(stage: Stage) -> None:
    """Reset the node's pooled keep-alive connection, so that "refuse" (which acts on new
    connections) meets the next push."""
    assert stage.proxy is not None
    before = stage.proxy.stats()["events"].get("reset", 0)
    stage.proxy.set_mode("reset", after_bytes=0)
    wait_until(
        lambda: stage.proxy is not None and stage.proxy.stats()["events"].get("reset", 0) > before,
        timeout=15,
        step=0.05,
    )


def network_faults(
    workdir: Path,
    rounds: int,
    rng: random.Random,
    *,
    kinds: tuple[str, ...] = tuple(FAULTS),
    fault_s: float = 6.0,
    clear_s: float = 2.0,
) -> list[FaultRow]:
    """One row per fault kind, all on one central and node: ``rounds`` times (fault for
    ``fault_s``, clear for ``clear_s``), then wait for central to hold exactly the log."""
    stage = Stage.build(workdir, proxy=True, batch_size=200)
    assert stage.proxy is not None
    rows = []
    try:
        base = StaffLoad(stage.node.url, stage.people[:8], pause=0.05).start()
        time.sleep(clear_s)
        baseline = base.stop()
        for kind in kinds:
            started = time.monotonic()
            row = _one_fault(stage, kind, rounds, rng, fault_s, clear_s)
            row.notes["baseline_p95_ms"] = baseline.p95_ms()
            row.seconds = time.monotonic() - started
            rows.append(row)
    finally:
        stage.close()
    return rows


def _one_fault(
    stage: Stage, kind: str, rounds: int, rng: random.Random, fault_s: float, clear_s: float
) -> FaultRow:
    assert stage.proxy is not None
    mode, params_of = FAULTS[kind]
    row = FaultRow(f"network: {kind}", rounds)
    acked: list[Ack] = []
    latencies: list[float] = []
    events_before = sum(stage.proxy.stats()["events"].values())
    for _ in range(rounds):
        staff = StaffLoad(stage.node.url, stage.people[:8], pause=0.05).start()
        if mode == "refuse":
            _clear_pool(stage)
        stage.proxy.set_mode(mode, **params_of(rng))
        # "refuse" meets only new connections, and the first failure backs the pusher off
        # for about 5 s: hold it long enough for the next attempt to be refused.
        time.sleep(fault_s + 6 if mode == "refuse" else fault_s)
        stage.proxy.set_mode("pass")
        stats = staff.stop()
        acked += stats.acked
        latencies += stats.latencies
        if stats.refused:
            row.problems.append(f"{stats.refused} check-ins refused during {kind}")
        time.sleep(clear_s)
    record_outcome(row, stage, acked)
    ordered = sorted(latencies) or [0.0]
    row.notes["staff_p95_ms"] = round(ordered[int(len(ordered) * 0.95)] * 1000, 1)
    row.notes["staff_max_ms"] = round(ordered[-1] * 1000, 1)
    row.notes["proxy_events"] = sum(stage.proxy.stats()["events"].values()) - events_before
    if row.notes["proxy_events"] == 0:
        row.problems.append(f"the proxy never injected {kind}")
    if ordered[-1] > 2.0:
        row.problems.append(f"a check-in took {ordered[-1]:.1f} s during {kind}")
    return row
