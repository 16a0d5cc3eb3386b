"""Whether the staff page links to the employee's own month at central (``/saya``).

The link is shown only when it would open: central's address is configured and the last
push reached central recently (``sync_state.last_ok``, no error after it). An office with
no link that day sees no dead link. No Flask here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.timefmt import parse_ts

from . import sync_state
from .store import Store


def central_page_url(config: dict[str, Any], store: Store, now: datetime) -> str | None:
    """Central's ``/saya`` address, or None while central is not known to be reachable."""
    base = config.get("CENTRAL_URL")
    if not base:
        return None
    state = sync_state.load(store)
    last_ok = state.get("last_ok")
    if not last_ok:
        return None
    ok_at = parse_ts(last_ok)
    error = state.get("last_error", "")
    error_ts = error.split(" ", 1)[0] if error else ""
    if error_ts and error_ts > last_ok:  # same RFC 3339 UTC format: text order is time
        return None
    if (now - ok_at).total_seconds() > float(config["CENTRAL_LINK_FRESH_MIN"]) * 60:
        return None
    return str(base).rstrip("/") + "/saya"
