"""The rows central stores, as both backends return them, and the columns they are read from.

A row type is a frozen dataclass; ``_stored``, ``_node``, ``_event`` and ``_account`` build one
from the tuple a ``SELECT`` of the matching ``*_COLUMNS`` returns (the same on SQLite and
PostgreSQL). The constants are the values the schema's columns may hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

NODE_STATUSES = ("pending", "active", "revoked", "quarantined")
API_ROLES = ("viewer", "admin")

# The built-in account that API tokens made without ``--user`` belong to (an admin: the
# token's own role is the cap). ``user add`` refuses this name.
MACHINE_ACCOUNT = "mesin-api"
ACCOUNT_ROLES = ("viewer", "approver", "admin")
# Tokens made before accounts existed had no expiry: they get this many days from the upgrade.
LEGACY_TOKEN_DAYS = 90

# Upper bounds (seconds) of the batch latency histogram's buckets; "+Inf" is added after.
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def latency_bucket(seconds: float) -> str:
    """The ``le`` label of the first bucket that holds ``seconds``."""
    for bound in LATENCY_BUCKETS_S:
        if seconds <= bound:
            return f"{bound:g}"
    return "+Inf"


@dataclass(frozen=True)
class NodeRow:
    name: str
    status: str
    cert_pem: str | None
    enrolled_at: float | None
    epoch: str | None
    head_seq: int | None
    head_hash: str | None
    anchor_ts: str | None
    records_count: int
    last_sync: float | None
    clock_offset_ms: int | None
    new_epoch_allowed: bool


@dataclass(frozen=True)
class StoredRecord:
    """One verified record as central keeps it, with the time interval it can prove."""

    node: str
    epoch: str
    seq: int
    type: str
    ts: str
    hash: str
    nip: str | None
    day: str | None
    kind: str | None
    record: str
    lower_ts: str | None
    upper_ts: str
    out_of_bounds: bool
    # Judged at ingest (central/trust.py): why a check-in body is not valid (None: valid),
    # whether the employee was on the pushing node's roster, and the body's method.
    problem: str | None = None
    foreign: bool = False
    method: str | None = None


@dataclass(frozen=True)
class Alert:
    node: str | None
    kind: str
    message: str
    ts: float


@dataclass(frozen=True)
class AlertRow:
    """An alert with its id and acknowledgement (open while ``acknowledged_at`` is None)."""

    id: int
    node: str | None
    kind: str
    message: str
    ts: float
    repeats: int
    acknowledged_at: float | None
    acknowledged_by: str | None
    ack_reason: str | None


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    units: tuple[str, ...]  # empty: every unit
    password_hash: str | None
    machine: bool
    disabled: bool
    created_at: float
    password_set_at: float | None


@dataclass(frozen=True)
class ApiToken:
    token_hash: str
    role: str
    account: str
    created_at: float
    expires_at: float
    revoked_at: float | None


@dataclass(frozen=True)
class AuditEntry:
    """One official's change: who, when, what (action and target), why."""

    ts: float
    actor: str
    action: str
    target: str
    reason: str
    detail: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Employee:
    nip: str
    name: str
    unit: str
    role: str
    pin_hash: str
    node: str | None = None  # the node serving them; None: every node (five-column roster)


@dataclass(frozen=True)
class RuleVersionRow:
    version: int
    id: str
    effective_from: str
    source: str
    sha256: str
    imported_by: str
    imported_at: float


@dataclass(frozen=True)
class RosterVersion:
    version: int
    issued_ts: str
    count: int
    doc: str


_EMPLOYEE_COLUMNS = "nip, name, unit, role, pin_hash, node"
_EVENT_COLUMNS = (
    "id, node, day, roster_from, start_ts, end_ts, units, reason, created_by, created_at"
)


@dataclass(frozen=True)
class EventRow:
    """An official gathering (central/events.py): for its window ``node`` also serves
    ``units``; timestamps are record timestamps (UTC), ``day`` the WITA date."""

    id: int
    node: str
    day: str
    roster_from: str
    start_ts: str
    end_ts: str
    units: tuple[str, ...]
    reason: str
    created_by: str
    created_at: float


@dataclass(frozen=True)
class Acceptance:
    """An official's decision to count a check-in central had set aside (foreign-node...)."""

    node: str
    epoch: str
    seq: int
    status: str
    accepted_by: str
    via: str
    reason: str
    accepted_at: float


def _event(r: tuple[Any, ...]) -> EventRow:
    return EventRow(r[0], r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6])), r[7], r[8], r[9])


# Every read of ``records`` into a ``StoredRecord`` selects these, in this order (``_stored``).
RECORD_COLUMNS = (
    "node, epoch, seq, type, ts, hash, nip, day, kind, record, lower_ts,"
    " upper_ts, out_of_bounds, problem, foreign_node, method"
)

_NODE_COLUMNS = (
    "name, status, cert_pem, enrolled_at, epoch, head_seq, head_hash, anchor_ts, "
    "records_count, last_sync, clock_offset_ms, new_epoch_allowed"
)


def _stored(r: tuple[Any, ...]) -> StoredRecord:
    return StoredRecord(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        r[11],
        bool(r[12]),
        r[13],
        bool(r[14]),
        r[15],
    )


def _node(row: tuple[Any, ...] | None) -> NodeRow | None:
    if row is None:
        return None
    return NodeRow(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        bool(row[11]),
    )


_ACCOUNT_COLUMNS = (
    "name, role, units, password_hash, machine, disabled, created_at, password_set_at"
)
_TOKEN_COLUMNS = "token_hash, role, account, created_at, expires_at, revoked_at"


def _account(r: tuple[Any, ...]) -> Account:
    return Account(r[0], r[1], tuple(json.loads(r[2])), r[3], bool(r[4]), bool(r[5]), r[6], r[7])


@dataclass(frozen=True)
class PlainRows:
    """Which check-in rows the recap may aggregate in SQL: those ``reports.record_status``
    counts without looking past the row (``central.recap.plain_rows`` builds this from the
    trust facts). A row is plain when it has no body problem, is in bounds, comes from a
    node serving the employee, has ``id <= max_id``, is not from a log with a fork, and
    either has an anchor before it (``lower_ts``) or ``anchorless_count`` holds and its log
    never had a receipt (so it cannot be ``anchor-missing``). Every other row is read whole
    and judged by ``record_status`` (``recap_other_checkins``)."""

    max_id: int
    forked_logs: tuple[tuple[str, str], ...] = ()
    linked_logs: tuple[tuple[str, str], ...] = ()
    anchorless_count: bool = True
