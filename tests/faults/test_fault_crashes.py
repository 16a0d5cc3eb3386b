"""SIGKILL of real processes: the node mid-burst while pushing, its log writer process alone
mid-burst, central mid-ingest, a roster import, a backup. (SIGKILL of a node without central:
tests/node/test_crash_durability.py.)"""

from __future__ import annotations

import pytest

from scripts.faultlib import crashes
from tests.faults.conftest import assert_rows_ok

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def test_node_sigkill_while_pushing_loses_and_duplicates_nothing(tmp_path, rng):
    row = crashes.node_kill_while_pushing(tmp_path, 2, rng)
    assert_rows_ok([row])
    assert row.acknowledged > 50


def test_log_writer_sigkill_mid_burst_loses_and_duplicates_nothing(tmp_path, rng):
    row = crashes.writer_kill_during_burst(tmp_path, 3, rng)
    assert_rows_ok([row])
    assert row.notes["writers_killed"] == 3
    assert row.acknowledged > 50 and row.notes["acked_after_last_kill"] > 0


def test_central_sigkill_during_ingest_is_exactly_once(tmp_path, rng):
    row = crashes.central_kill_during_ingest(tmp_path, 2, rng, backlog=2000)
    assert_rows_ok([row])
    assert row.acknowledged > 2000


def test_sigkill_during_roster_import_leaves_old_or_new_roster(tmp_path, rng):
    row = crashes.roster_install_kill(tmp_path, 2, rng, employees=120)
    assert_rows_ok([row])


def test_sigkill_during_backup_leaves_no_partial_file(tmp_path, rng):
    row = crashes.backup_kill(tmp_path, 2, rng, records=5000)
    assert_rows_ok([row])
