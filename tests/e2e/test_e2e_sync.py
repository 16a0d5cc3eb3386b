"""Real central and node processes on loopback: check-ins reach central, and how fast.

Measured numbers are printed (run with ``-s`` to see them, or read the ``e2e:`` lines in the
captured output of a failure): time from a check-in's 201 to its appearance in central's
attendance report, and the rate at which central ingests a big backlog.
"""

from __future__ import annotations

import time

import pytest

from local_node.datadir import NodePaths
from sync.timefmt import wita_day
from testkit.factories import CentralSetup, NodeProcess
from testkit.faultproxy import FaultProxy
from tests.e2e.conftest import (
    NODE,
    CentralView,
    assert_converged,
    backlog,
    check_in,
    checkin_refs,
    node_log,
    report,
    sign_in_all,
)

pytestmark = pytest.mark.slow


def test_checkins_appear_at_central(
    node: NodeProcess,
    node_paths: NodePaths,
    view: CentralView,
    central_setup: CentralSetup,
    capsys: pytest.CaptureFixture[str],
) -> None:
    staff = sign_in_all(node.url, central_setup.people[:5])
    latencies: list[float] = []
    recs = []
    for person in staff:
        rec, took = check_in(node.url, person)
        answered = time.monotonic()
        assert took < 1.0
        ref = f"{NODE}/{rec['epoch']}/{rec['seq']}"
        day = wita_day(rec["ts"])
        deadline = answered + 30
        while ref not in view.refs({day}):
            assert time.monotonic() < deadline, f"{ref} did not reach central in 30 s"
            time.sleep(0.02)
        latencies.append(time.monotonic() - answered)
        recs.append(rec)
    report(
        capsys,
        "check-in 201 -> listed in central attendance: "
        + ", ".join(f"{s:.2f}" for s in latencies)
        + " s "
        f"(max {max(latencies):.2f} s)",
    )
    assert max(latencies) < 30
    checkin_refs(view, recs)
    rows = {
        row["nip"]: row for day in {wita_day(r["ts"]) for r in recs} for row in view.attendance(day)
    }
    for person in staff:
        assert rows[person.nip]["first_in_node"] == NODE
        assert rows[person.nip]["first_in"] is not None
    assert_converged(view, node_paths)


def test_backlog_drains_once_and_fast(
    node_paths: NodePaths,
    view: CentralView,
    proxy: FaultProxy,
    central_setup: CentralSetup,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """30,000 check-ins waiting on the node (an office offline for days) reach central once."""
    count = 30_000
    started = time.monotonic()
    backlog(node_paths, count, [p["nip"] for p in central_setup.people])
    made = time.monotonic() - started
    expected = len(node_log(node_paths))
    initial = view.count()
    up_before = proxy.stats()["bytes_up"]
    node = NodeProcess(node_paths, scheduler=True).start()
    try:
        node_up = time.monotonic()
        first_byte = None
        deadline = node_up + 120
        while True:
            if first_byte is None and proxy.stats()["bytes_up"] > up_before:
                first_byte = time.monotonic()
            if view.count() >= expected:
                break
            assert time.monotonic() < deadline, f"central holds {view.count()} of {expected}"
            time.sleep(0.02)
        done = time.monotonic()
        assert first_byte is not None
        drained = expected - initial
        rate = drained / (done - first_byte)
        report(
            capsys,
            f"backlog of {count} check-ins: made in {made:.1f} s on the node; "
            f"{drained} records reached central {done - first_byte:.1f} s after "
            f"the node's first request ({done - node_up:.1f} s after it came up): "
            f"{rate:.0f} records/s ingested",
        )
        assert_converged(view, node_paths)
    finally:
        node.kill()
