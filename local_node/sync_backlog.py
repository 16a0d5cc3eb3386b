"""How far behind central the node is, for ``/metrics``: unsynced records and the age of the
last successful push. Read from ``sync_state`` (written by ``syncing.NodeSyncer``), so the
figures hold whichever process pushed (the server's scheduler or ``presensi-node sync``)."""

from __future__ import annotations

from dataclasses import dataclass

from sync.timefmt import parse_ts

from .store import Store


@dataclass(frozen=True)
class Backlog:
    unsynced: int  # records after central's seq, anchors aside (they ride along)
    last_push_age_s: float | None  # None: never pushed successfully


def backlog(store: Store, now: float) -> Backlog:
    conn = store.conn()
    state = dict(
        conn.execute(
            "SELECT key, value FROM sync_state WHERE key IN ('central_seq', 'last_ok')"
        ).fetchall()
    )
    pushed = int(state.get("central_seq", "-1"))
    unsynced = conn.execute(
        "SELECT count(*) FROM log WHERE seq > ? AND type != 'anchor'", (pushed,)
    ).fetchone()[0]
    last_ok = state.get("last_ok")
    age = max(0.0, now - parse_ts(last_ok).timestamp()) if last_ok else None
    return Backlog(int(unsynced), age)
