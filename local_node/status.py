"""What ``presensi-node status`` shows: the log and, once central exists, the sync state."""

from __future__ import annotations

import json
from typing import Any

from . import roster, sync_state
from .config import load_config
from .datadir import NodePaths
from .errors import NodeError
from .store import Store


def status_report(paths: NodePaths) -> dict[str, Any]:
    if not paths.db.exists():
        raise NodeError(f"{paths.db} does not exist; run presensi-node init")
    store = Store(paths.db)
    try:
        head = store.head()
        state = sync_state.load(store)
        pushed = int(state.get("central_seq", "-1"))
        head_seq = head[0] if head else -1
        # Receipts' anchors travel with the next real batch, so they do not count as unsynced.
        unsynced = (
            store.conn()
            .execute("SELECT count(*) FROM log WHERE seq > ? AND type != 'anchor'", (pushed,))
            .fetchone()[0]
        )
        config = load_config(paths.root)
        receipt = state.get("last_receipt")
        return {
            "node": store.meta("node"),
            "epoch": store.meta("epoch"),
            "head_seq": head_seq,
            "head_hash": head[1] if head else None,
            "records": store.count_by_type(),
            "roster_version": roster.current_version(store),
            "certificate_installed": paths.cert.exists(),
            "central_url": config.get("CENTRAL_URL"),
            "central_seq": pushed,
            "unsynced_records": unsynced,
            "last_sync_ok": state.get("last_ok"),
            "last_sync_error": state.get("last_error"),
            "last_receipt": json.loads(receipt) if receipt else None,
            "clock_offset_ms": state.get("clock_offset_ms"),
            "central_roster_version": state.get("roster_version"),
            # What zeroconf did when the node last started serving (local_node/discovery.py).
            "zeroconf": json.loads(state["zeroconf"]) if state.get("zeroconf") else None,
        }
    finally:
        store.close()
