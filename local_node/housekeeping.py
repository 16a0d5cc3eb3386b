"""Housekeeping, an hourly job of the serving process (``local_node/jobs.py``)."""

from __future__ import annotations

import time

from .store import Store


def housekeeping(store: Store) -> None:
    """Drop expired sessions and old lockout and witness windows; checkpoint the WAL."""
    store.drop_expired_auth(time.time())
    store.checkpoint()
