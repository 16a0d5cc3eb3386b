"""The fault suite in CI: each scenario of ``scripts/faultlib`` with a few rounds.

``scripts/faults`` runs the same functions with more rounds and prints the table
(docs/faults.md). A scenario returns ``FaultRow``s; a row is ok when nothing acknowledged was
lost or duplicated, every tampering was detected and no invariant check failed.
"""

from __future__ import annotations

import random

import pytest

from scripts.faultlib.report import FaultRow, table


@pytest.fixture
def rng() -> random.Random:
    return random.Random(2026)


def assert_rows_ok(rows: list[FaultRow]) -> None:
    """Fail with the whole table when any row is not ok."""
    assert rows and all(row.ok for row in rows), "\n" + table(rows)
