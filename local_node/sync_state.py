"""The ``sync_state`` table: what the node last learned from central.

Written by the push (``central_seq``, ``last_ok``, ``last_receipt``, ``clock_offset_ms``,
``last_error``) and the roster pull (``roster_version``); read by ``presensi-node status``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime
from typing import Any

from sync.timefmt import format_ts

from .store import Store

log = logging.getLogger(__name__)


def now_ts() -> str:
    return format_ts(datetime.now(UTC))


def save(store: Store, **values: Any) -> None:
    """Set ``values`` (strings as they are, anything else as JSON)."""
    store.conn().executemany(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in values.items()],
    )


def save_error(store: Store, exc: Exception) -> None:
    """Keep a failed sync's error; a database that cannot take it is logged, not raised, so
    that the caller still sees the sync's own error."""
    try:
        save(store, last_error=f"{now_ts()} {exc}")
    except sqlite3.Error as db_exc:
        log.error("event=sync-state-write-failed error=%r", db_exc)


def load(store: Store) -> dict[str, str]:
    return dict(store.conn().execute("SELECT key, value FROM sync_state").fetchall())
