"""Housekeeping, an hourly job of the serving process (``local_node/jobs.py``)."""

from __future__ import annotations

import time

from .store import Store


def housekeeping(store: Store) -> None:
    """Drop expired sessions and old lockout windows; checkpoint the WAL."""
    conn = store.conn()
    now = time.time()
    conn.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
    conn.execute("DELETE FROM pin_failures WHERE locked_until < ? AND window_start < ?",
                 (now, now - 86400))
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
