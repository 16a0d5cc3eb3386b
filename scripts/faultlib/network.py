"""Network faults between node and central through ``tests.faultproxy.FaultProxy``.

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

from .crashes import _record
from .report import FaultRow
from .stage import Stage
from .staff import Ack, StaffLoad

# name -> (proxy mode, a function of the round's rng giving its parameters)
FAULTS: dict[str, tuple[str, Callable[[random.Random], dict[str, Any]]]] = {
    "latency": ("latency", lambda rng: {"delay": rng.uniform(0.5, 2.0)}),
    "reset": ("reset", lambda rng: {"after_bytes": rng.randint(50, 4000)}),
    "drop_response": ("drop_response", lambda rng: {}),
    "blackhole": ("blackhole", lambda rng: {}),
    "slow_body": ("slow_body", lambda rng: {"rate": rng.choice([100, 300, 1000])}),
    "refuse": ("refuse", lambda rng: {}),
}


def network_fault(kind: str, workdir: Path, rounds: int, rng: random.Random, *,
                  fault_s: float = 6.0, clear_s: float = 2.0) -> FaultRow:
    mode, params_of = FAULTS[kind]
    row = FaultRow(f"network: {kind}", rounds)
    stage = Stage.build(workdir, proxy=True, batch_size=200)
    assert stage.proxy is not None
    acked: list[Ack] = []
    latencies: list[float] = []
    try:
        base = StaffLoad(stage.node.url, stage.people[:8], pause=0.05).start()
        time.sleep(clear_s)
        baseline = base.stop()
        acked += baseline.acked
        for _ in range(rounds):
            staff = StaffLoad(stage.node.url, stage.people[:8], pause=0.05).start()
            stage.proxy.set_mode(mode, **params_of(rng))
            time.sleep(fault_s)
            stage.proxy.set_mode("pass")
            stats = staff.stop()
            acked += stats.acked
            latencies += stats.latencies
            if stats.refused:
                row.problems.append(f"{stats.refused} check-ins refused during {kind}")
            time.sleep(clear_s)
        _record(row, stage, acked)
        ordered = sorted(latencies)
        row.notes["staff_p95_ms"] = round(ordered[int(len(ordered) * 0.95)] * 1000, 1)
        row.notes["staff_max_ms"] = round(ordered[-1] * 1000, 1)
        row.notes["baseline_p95_ms"] = baseline.p95_ms()
        row.notes["proxy_events"] = sum(stage.proxy.stats()["events"].values())
        if ordered[-1] > 2.0:
            row.problems.append(f"a check-in took {ordered[-1]:.1f} s during {kind}")
    finally:
        stage.close()
    return row


def latency(workdir: Path, rounds: int, rng: random.Random) -> FaultRow:
    return network_fault("latency", workdir, rounds, rng)


def reset(workdir: Path, rounds: int, rng: random.Random) -> FaultRow:
    return network_fault("reset", workdir, rounds, rng)


def drop_response(workdir: Path, rounds: int, rng: random.Random) -> FaultRow:
    return network_fault("drop_response", workdir, rounds, rng)


def blackhole(workdir: Path, rounds: int, rng: random.Random) -> FaultRow:
    return network_fault("blackhole", workdir, rounds, rng)


def slow_body(workdir: Path, rounds: int, rng: random.Random) -> FaultRow:
    return network_fault("slow_body", workdir, rounds, rng)


def refuse(workdir: Path, rounds: int, rng: random.Random) -> FaultRow:
    return network_fault("refuse", workdir, rounds, rng)
