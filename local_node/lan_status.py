"""What zeroconf did on the LAN, kept for ``presensi-node status`` and reported to central.

The serving process records its zeroconf state in ``sync_state`` (key ``zeroconf``). A state
central should hear about (the name was taken, or zeroconf failed) rides in the ``status``
field of the next batch until a batch carrying it is acknowledged (``zeroconf_reported``), so
central raises one alert per change, not one per push. No zeroconf import here: the pusher
loads this module.
"""

from __future__ import annotations

import json
import time
from typing import Any

from .store import Store

STATE_KEY = "zeroconf"
REPORTED_KEY = "zeroconf_reported"
# States central is told about; "announced" is the normal case.
REPORTABLE = ("renamed", "failed")


def _put(store: Store, key: str, value: str) -> None:
    store.conn().execute(
        "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)", (key, value)
    )


def _get(store: Store, key: str) -> str | None:
    row = store.conn().execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def record_state(store: Store, state: dict[str, Any]) -> None:
    """Keep what zeroconf did at this start."""
    state = {**state, "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    _put(store, STATE_KEY, json.dumps(state, ensure_ascii=False, sort_keys=True))


def unreported(store: Store) -> dict[str, Any] | None:
    """The batch ``status`` to send, or None when there is nothing new for central."""
    text = _get(store, STATE_KEY)
    if text is None or text == _get(store, REPORTED_KEY):
        return None
    state = json.loads(text)
    if state.get("state") not in REPORTABLE:
        return None
    return {"zeroconf": state}


def mark_reported(store: Store, status: dict[str, Any]) -> None:
    """Central acknowledged a batch carrying ``status``."""
    _put(store, REPORTED_KEY, json.dumps(status["zeroconf"], ensure_ascii=False, sort_keys=True))
