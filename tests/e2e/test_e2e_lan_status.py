"""A node whose name was taken on the LAN (or whose zeroconf failed) tells central in the
``status`` of its next batch, and central raises one ``zeroconf`` alert per change, not one
per push (issue 13 item 14)."""

from __future__ import annotations

import sqlite3

import pytest

from local_node import lan_status
from local_node.config import load_config
from local_node.datadir import NodePaths
from local_node.identity import load_identity
from local_node.service import NodeService
from testkit.factories import run_cli
from tests.e2e.conftest import NODE, CentralView

pytestmark = pytest.mark.slow


def _checkin_and_sync(paths: NodePaths, state: dict[str, str | None] | None = None) -> None:
    svc = NodeService(load_config(paths.root), paths, load_identity(paths, NODE))
    try:
        if state is not None:
            lan_status.record_state(svc.store, state)
        svc.append(
            "checkin",
            {
                "nip": "198501012010011001",
                "kind": "in",
                "method": "app",
                "device": "lan-status-01",
                "client_ts": None,
            },
            nip="198501012010011001",
        )
    finally:
        svc.close()
    run_cli("local_node", "sync", "--data", str(paths.root))


def _alerts(view: CentralView) -> list[tuple[str, str, int]]:
    """(kind, message, repeats): central counts a repeated alert in ``repeats``."""
    conn = sqlite3.connect(f"file:{view.db}?mode=ro", uri=True)
    try:
        return [
            (k, m, r)
            for k, m, r in conn.execute(
                "SELECT kind, message, repeats FROM alerts WHERE node = ? AND kind = 'zeroconf'",
                (NODE,),
            )
        ]
    finally:
        conn.close()


def test_a_taken_name_reaches_central_once(node_paths: NodePaths, view: CentralView) -> None:
    _checkin_and_sync(node_paths, {"state": "announced", "requested": NODE, "name": NODE})
    assert _alerts(view) == []
    _checkin_and_sync(node_paths, {"state": "renamed", "requested": NODE, "name": f"{NODE}-2"})
    alerts = _alerts(view)
    assert len(alerts) == 1 and f"{NODE}-2" in alerts[0][1] and alerts[0][2] == 1, alerts
    _checkin_and_sync(node_paths)  # the same state: already reported, not sent again
    assert _alerts(view) == alerts
    _checkin_and_sync(
        node_paths, {"state": "failed", "requested": NODE, "name": None, "error": "OSError(99)"}
    )
    assert len(_alerts(view)) == 2 and "without announcing" in _alerts(view)[1][1]
