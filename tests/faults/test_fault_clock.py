"""The node's wall clock set back, forward and slewed under libfaketime (a real process)."""

from __future__ import annotations

import pytest

from scripts.faultlib import clock
from tests.faults.conftest import assert_rows_ok

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def test_clock_faults_are_recorded_flagged_and_do_not_stall_sync(tmp_path, rng):
    assert clock.FAKETIME_LIB.exists(), "libfaketime missing: scripts/test installs it"
    rows = clock.clock_faults(tmp_path, 1, rng, fault_s=6.0, clear_s=2.0)
    assert_rows_ok(rows)
    for row in rows:
        assert row.detected == row.attempts == 1
        assert row.notes["clock_records"] >= 1
