"""A dishonest local admin with root: every tampering is detected at central, kept as
evidence, alerted, and not counted. (The after-push delete, insert and reorder run in
scripts/faults; they take the same path at central as the after-push edit here.)"""

from __future__ import annotations

import pytest

from scripts.faultlib import tamper
from tests.faults.conftest import assert_rows_ok

pytestmark = [pytest.mark.faults, pytest.mark.slow]

CI_CASES = (
    "edit after push",
    "edit before push",
    "delete before push",
    "reorder before push",
    "backdate a check-in before push (re-signed)",
    "restore old backup",
    "two nodes, one key",
    "replay another node's batch",
    "re-init a fresh log",
)


def test_admin_tampering_is_detected_at_central(tmp_path, rng):
    rows = tamper.tampering(tmp_path, 1, rng, cases=CI_CASES)
    assert_rows_ok(rows)
    assert sum(r.detected for r in rows) == len(CI_CASES)
