"""What the local admin's page does and shows, as plain functions over a ``NodeService``.

- ``health``: disk, database, clock, sync, roster, zeroconf and the writer process, in one dict.
- ``checkins_by_unit``: today's check-ins of each unit, with how each was made.
- ``reset_pin`` and ``sign_out_devices``: each one ``admin`` record in the log (who, what,
  why) through the node's one log writer, in the same transaction as the change it records.

PIN resets are office-local overrides (docs/security.md, "PIN reset on the node"): the new
hash is kept in ``pin_overrides`` with the roster hash it replaced (``base_hash``).
Installing a roster re-applies (``Store.ROSTER_PIN_OVERRIDES``) every override whose employee
still has that same roster hash, so the next roster pull from central does not undo the reset; once
central (or a local CSV import) issues a different PIN for the employee, that newer PIN wins
and the override is dropped.

No Flask here.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sync.pins import generate_pin, hash_pin

from . import roster
from .checkins import parse_reason
from .errors import ApiError, NotFound
from .log_commit import Sql
from .store import Store

if TYPE_CHECKING:
    from .service import NodeService


@dataclass(frozen=True)
class PinReset:
    nip: str
    name: str
    pin: str  # shown once to the admin, never stored in clear
    sessions_ended: int
    seq: int


def _employee(svc: NodeService, nip: Any) -> roster.Employee:
    if not isinstance(nip, str) or not nip.strip().isdigit() or len(nip.strip()) != 18:
        raise ApiError("NIP must be 18 digits", code="nip-invalid")
    employee = roster.find(svc.store, nip.strip())
    if employee is None:
        raise NotFound("no employee with this NIP on the roster", code="employee-unknown")
    return employee


def _session_count(svc: NodeService, nip: str) -> int:
    row = svc.store.conn().execute("SELECT count(*) FROM sessions WHERE nip = ?", (nip,)).fetchone()
    return int(row[0])


def _base_hash(svc: NodeService, employee: roster.Employee) -> str:
    """The roster's own hash for the employee (an earlier override keeps the original base)."""
    row = (
        svc.store.conn()
        .execute("SELECT base_hash FROM pin_overrides WHERE nip = ?", (employee.nip,))
        .fetchone()
    )
    return str(row[0]) if row else employee.pin_hash


def reset_pin(svc: NodeService, nip: Any, reason: Any, *, by: str) -> PinReset:
    """Give the employee a new random PIN and end their sessions; one ``admin`` record."""
    employee = _employee(svc, nip)
    why = parse_reason(reason)
    pin = generate_pin()
    stored = hash_pin(pin)
    ended = _session_count(svc, employee.nip)
    apply = (
        Sql("UPDATE employees SET pin_hash = ? WHERE nip = ?", (stored, employee.nip)),
        Sql(
            "INSERT OR REPLACE INTO pin_overrides (nip, pin_hash, base_hash, created_at)"
            " VALUES (?, ?, ?, ?)",
            (employee.nip, stored, _base_hash(svc, employee), time.time()),
        ),
        *_end_sessions(employee.nip),
        Sql("DELETE FROM pin_failures WHERE key = ?", (f"nip:{employee.nip}",)),
    )
    body = {
        "action": "pin-reset",
        "nip": employee.nip,
        "reason": why,
        "by": by,
        "sessions_ended": ended,
    }
    record, _, _ = svc.append("admin", body, apply=apply)
    _sessions_ended(svc)
    return PinReset(employee.nip, employee.name, pin, ended, record["seq"])


def _end_sessions(nip: str) -> tuple[Sql, ...]:
    """Statements that end ``nip``'s sessions in the admin record's own transaction, and bump
    the session generation so caches in every process drop them (local_node/sessions.py)."""
    delete, bump = Store.END_SESSIONS_OF_NIP
    return Sql(delete, (nip,)), Sql(bump)


def _sessions_ended(svc: NodeService) -> None:
    """After the commit: ring the bell for other processes, forget this one's copies."""
    svc.store.ring_sessions_bell()
    svc.sessions.forget_cache()


def sign_out_devices(svc: NodeService, nip: Any, reason: Any, *, by: str) -> tuple[int, int]:
    """End every session of the employee (a lost or shared phone); one ``admin`` record.
    Returns (sessions ended, record seq)."""
    employee = _employee(svc, nip)
    why = parse_reason(reason)
    rows = (
        svc.store.conn()
        .execute("SELECT DISTINCT device FROM sessions WHERE nip = ?", (employee.nip,))
        .fetchall()
    )
    ended = _session_count(svc, employee.nip)
    body = {
        "action": "device-sign-out",
        "nip": employee.nip,
        "reason": why,
        "by": by,
        "devices": sorted(r[0] for r in rows),
        "sessions_ended": ended,
    }
    record, _, _ = svc.append("admin", body, apply=_end_sessions(employee.nip))
    _sessions_ended(svc)
    return ended, int(record["seq"])


def _db_bytes(svc: NodeService) -> int:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        try:
            total += os.path.getsize(str(svc.paths.db) + suffix)
        except OSError:
            continue
    return total


def writer_state(svc: NodeService) -> dict[str, Any]:
    """Which log writer the node runs, and whether its process is alive."""
    from .writer_process import LogWriterProcess

    if not isinstance(svc.writer, LogWriterProcess):
        return {"kind": "in-process", "alive": True, "pid": os.getpid()}
    pid, alive = svc.writer.child_state()  # (None, None): starts on the next record
    return {"kind": "process", "alive": alive, "pid": pid}


def health(svc: NodeService, *, zeroconf: str) -> dict[str, Any]:
    """Everything the admin page's health panel shows, in one read."""
    conn = svc.store.conn()
    state = dict(conn.execute("SELECT key, value FROM sync_state").fetchall())
    pushed = int(state.get("central_seq", "-1"))
    unsynced = conn.execute(
        "SELECT count(*) FROM log WHERE seq > ? AND type != 'anchor'", (pushed,)
    ).fetchone()[0]
    receipt = json.loads(state["last_receipt"]) if state.get("last_receipt") else None
    head = svc.store.head()
    return {
        "disk_free_bytes": shutil.disk_usage(svc.paths.root).free,
        "db_bytes": _db_bytes(svc),
        "clock_offset_ms": int(state["clock_offset_ms"]) if state.get("clock_offset_ms") else None,
        "central_url": svc.config.get("CENTRAL_URL"),
        "last_ok": state.get("last_ok"),
        "last_error": state.get("last_error"),
        "unsynced": int(unsynced),
        "last_receipt": receipt,
        "roster_version": roster.current_version(svc.store),
        "employees": conn.execute("SELECT count(*) FROM employees").fetchone()[0],
        "zeroconf": zeroconf,
        "writer": writer_state(svc),
        "head_seq": head[0] if head else None,
    }


def checkins_by_unit(svc: NodeService, day: str) -> list[dict[str, Any]]:
    """Each unit with its employee count and today's check-ins (time, name, kind, method)."""
    conn = svc.store.conn()
    units: dict[str, dict[str, Any]] = {}
    for unit, count in conn.execute("SELECT unit, count(*) FROM employees GROUP BY unit"):
        units[unit] = {"unit": unit, "employees": count, "present": 0, "methods": {}, "rows": []}
    rows = conn.execute(
        "SELECT l.record, e.name, e.unit FROM log l JOIN employees e ON e.nip = l.nip"
        " WHERE l.day = ? AND l.type = 'checkin' ORDER BY l.seq",
        (day,),
    )
    seen: dict[str, set[str]] = {}
    for text, name, unit in rows:
        rec = json.loads(text)
        body = rec["body"]
        entry = units[unit]
        method = str(body.get("method"))
        entry["methods"][method] = entry["methods"].get(method, 0) + 1
        entry["rows"].append(
            {
                "ts": rec["ts"],
                "name": name,
                "nip": body.get("nip"),
                "kind": body.get("kind"),
                "method": method,
            }
        )
        seen.setdefault(unit, set()).add(str(body.get("nip")))
    for unit, nips in seen.items():
        units[unit]["present"] = len(nips)
    return sorted(units.values(), key=lambda u: str(u["unit"]))
