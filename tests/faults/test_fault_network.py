"""Latency, resets, dropped responses, a blackhole, slow bodies and refused connections
between node and central (testkit/faultproxy.py): exactly-once at central, staff unaffected."""

from __future__ import annotations

import pytest

from scripts.faultlib import network
from tests.faults.conftest import assert_rows_ok

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def test_network_faults_are_exactly_once_and_staff_keep_their_speed(tmp_path, rng):
    rows = network.network_faults(tmp_path, 1, rng, fault_s=4.0, clear_s=1.5)
    assert_rows_ok(rows)
    assert {r.fault for r in rows} == {f"network: {k}" for k in network.FAULTS}
    for row in rows:
        assert row.notes["proxy_events"] > 0, f"{row.fault}: the fault never happened"
        assert row.notes["staff_max_ms"] < 2000
