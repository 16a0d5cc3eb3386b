"""Alerts for officials: paged and filtered lists, open counts per kind, acknowledgement.
No Flask here.

An alert stays open until an admin acknowledges it with a reason; acknowledging is an
audited action (written with its audit entry in one transaction), so ten noisy alerts can no
longer push an earlier one out of sight. Lists always say how many matched in total.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sync.timefmt import WITA

from .accounts import Principal
from .audit import audit_entry
from .errors import ApiError, Forbidden, NotFound
from .store.protocol import CentralStore
from .store.rows import AlertRow

STATES = ("open", "acknowledged", "all")
KIND_RE = re.compile(r"^[a-z0-9-]{1,60}\Z")
NODE_RE = re.compile(r"^[a-z0-9-]{3,40}\Z")
PER_PAGE_MAX = 200

# What each alert kind means, in the words of the rest of the dashboard.
KIND_ID = {
    "fork": "log bercabang (node dikarantina)",
    "invalid-signature": "tanda tangan tidak sah",
    "invalid-record": "catatan tidak sah",
    "bad-hash": "hash tidak cocok",
    "broken-chain": "rantai terputus",
    "bad-anchor": "jangkar tidak sah",
    "new-epoch": "log baru dimulai",
    "enrolled": "node terdaftar",
    "revoked": "node dicabut",
    "time-out-of-bounds": "waktu di luar selang",
    # trust (central/trust.py, central/events.py, central/acceptance.py)
    "foreign-node": "pegawai bukan pegawai node ini",
    "invalid-body": "isi presensi tidak sah",
    "anchor-missing": "tanpa jangkar dari node yang tersambung",
    "fallback-volume": "banyak presensi lewat rekan atau manual",
    "event": "acara diumumkan",
    "accepted": "presensi yang disisihkan diterima pejabat",
    "zeroconf": "masalah zeroconf di LAN kantor",
}


def kind_label(kind: str) -> str:
    return KIND_ID.get(kind, kind)


def _wita(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, WITA).isoformat(timespec="seconds")


def alert_json(alert: AlertRow) -> dict[str, Any]:
    return {
        "id": alert.id,
        "node": alert.node,
        "kind": alert.kind,
        "message": alert.message,
        "ts": _wita(alert.ts),
        "repeats": alert.repeats,
        "open": alert.acknowledged_at is None,
        "acknowledged_at": _wita(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by,
        "reason": alert.ack_reason,
    }


def parse_filters(args: Any, default_per_page: int) -> dict[str, Any]:
    """Validate ``node``, ``kind``, ``state``, ``page`` and ``per_page`` query arguments
    (400 with a code for anything else)."""
    node = args.get("node") or None
    if node is not None and not NODE_RE.match(node):
        raise ApiError("node must be a node id such as kec-alalak", code="bad-node")
    kind = args.get("kind") or None
    if kind is not None and not KIND_RE.match(kind):
        raise ApiError("kind must be an alert kind such as fork", code="bad-kind")
    state = args.get("state") or "open"
    if state not in STATES:
        raise ApiError("state must be open, acknowledged or all", code="bad-state")
    page = _positive(args.get("page"), 1, "page", 10**6)
    per_page = _positive(args.get("per_page"), default_per_page, "per_page", PER_PAGE_MAX)
    return {"node": node, "kind": kind, "state": state, "page": page, "per_page": per_page}


def _positive(text: str | None, default: int, name: str, top: int) -> int:
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 7 or not 1 <= int(text) <= top:
        raise ApiError(f"{name} must be a whole number from 1 to {top}", code=f"bad-{name}")
    return int(text)


def list_alerts(
    store: CentralStore, *, node: str | None, kind: str | None, state: str, page: int, per_page: int
) -> dict[str, Any]:
    """One page of alerts, newest first, with the total and the open count per kind."""
    rows, total = store.alert_page(
        node=node, kind=kind, state=state, offset=(page - 1) * per_page, limit=per_page
    )
    return {
        "alerts": [alert_json(a) for a in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
        "has_more": page * per_page < total,
        "filters": {"node": node, "kind": kind, "state": state},
        "open_by_kind": store.open_alert_counts(),
    }


def acknowledge(
    store: CentralStore, who: Principal, alert_id: int, reason: object, now: float
) -> None:
    """An admin acknowledges an open alert, with a reason; audited in the same write."""
    if not who.can("admin"):
        raise Forbidden("acknowledging an alert needs an admin", code="forbidden-role")
    entry = audit_entry(who.account, "alert-ack", f"alert {alert_id}", reason, now)
    # Beyond SQLite's integers no alert can exist (and sqlite3 would raise OverflowError).
    outcome = store.acknowledge_alert(alert_id, entry) if alert_id < 2**63 else "unknown"
    if outcome == "unknown":
        raise NotFound(f"there is no alert {alert_id}", code="unknown-alert")
    if outcome == "already":
        raise ApiError(
            f"alert {alert_id} was already acknowledged", code="already-acknowledged", status=409
        )
