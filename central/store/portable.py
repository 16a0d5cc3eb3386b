"""The SQL both backends run the same way, written once.

``SqliteStore`` and ``PostgresStore`` (and their ingest transactions) inherit these methods;
each backend keeps only what differs: how connections and transactions are held, locks
(``BEGIN IMMEDIATE`` against row and advisory locks), upserts, bulk inserts, collations.

Statements here are written with SQLite's ``?`` placeholders and run through ``execute``,
which turns them into psycopg's ``%s`` on a PostgreSQL connection. One statement text with
a one-character translation is the smallest thing that lets both backends share a method;
the rule it needs is that a shared statement holds no ``%`` and no literal ``?``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import Any, Protocol

from .. import node_history, objection_sql
from ..node_history import NodeHour
from ..objection_sql import NewObjection, Objection
from .rows import (
    _ACCOUNT_COLUMNS,
    _EMPLOYEE_COLUMNS,
    _EVENT_COLUMNS,
    _NODE_COLUMNS,
    _TOKEN_COLUMNS,
    API_ROLES,
    LEGACY_TOKEN_DAYS,
    MACHINE_ACCOUNT,
    NODE_STATUSES,
    RECORD_COLUMNS,
    Account,
    Alert,
    ApiToken,
    AuditEntry,
    Employee,
    EventRow,
    NodeRow,
    PlainRows,
    RosterVersion,
    RuleVersionRow,
    StoredRecord,
    _account,
    _event,
    _node,
    _stored,
    latency_bucket,
)


class Connection(Protocol):
    """What the shared code needs of a ``sqlite3.Connection`` or ``psycopg.Connection``."""

    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...


@lru_cache(maxsize=256)
def _pyformat(sql: str) -> str:
    if "%" in sql:
        raise ValueError(f"a shared statement may not hold '%': {sql!r}")
    return sql.replace("?", "%s")


def execute(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """Run ``sql`` (written with ``?``) on either backend's connection; the cursor."""
    if isinstance(conn, sqlite3.Connection):
        return conn.execute(sql, params)
    return conn.execute(_pyformat(sql), params)


def _style(conn: Connection) -> str:
    """The placeholder of this connection, for modules that build their statements with it
    (``central/objection_sql.py``, ``central/node_history.py``)."""
    return "?" if isinstance(conn, sqlite3.Connection) else "%s"


def recap_plain_sql(plain: PlainRows) -> tuple[str, list[Any]]:
    """The SQL condition (a shared statement: ``?`` placeholders) of a plain row, and its
    parameters. ``node || ' ' || epoch`` names a log: node ids never hold a space."""

    def logs(pairs: tuple[tuple[str, str], ...]) -> tuple[str, list[Any]]:
        keys = [f"{node} {epoch}" for node, epoch in pairs] or [""]
        return ", ".join("?" * len(keys)), list(keys)

    forked, forked_keys = logs(plain.forked_logs)
    linked, linked_keys = logs(plain.linked_logs)
    sql = (
        "problem IS NULL AND NOT out_of_bounds AND NOT foreign_node AND id <= ?"
        f" AND node || ' ' || epoch NOT IN ({forked})"
        f" AND (lower_ts IS NOT NULL OR (? AND node || ' ' || epoch NOT IN ({linked})))"
    )
    return sql, [plain.max_id, *forked_keys, plain.anchorless_count, *linked_keys]


# The recap's two reads (``recap_first_last``, ``recap_other_checkins``): first ``in`` and
# last ``out`` per employee, WITA day and node of the plain rows, aggregated in the
# database; the other rows whole, without their signed JSON.
RECAP_FIRST_LAST_SQL = (
    "SELECT nip, day, node, min(CASE WHEN kind = 'in' THEN ts END),"
    " max(CASE WHEN kind = 'out' THEN ts END) FROM records"
    " WHERE type = 'checkin' AND day BETWEEN ? AND ? AND {plain} GROUP BY day, nip, node"
)
RECAP_OTHER_SQL = (
    "SELECT id, node, epoch, seq, type, ts, hash, nip, day, kind, '', lower_ts, upper_ts,"
    " out_of_bounds, problem, foreign_node, method FROM records"
    " WHERE type = 'checkin' AND day BETWEEN ? AND ? AND NOT ({plain})"
)


def _add_alert(conn: Connection, node: str | None, kind: str, message: str, now: float) -> None:
    """Add an alert; the same alert repeated (a node retrying) bumps a counter instead."""
    last = execute(
        conn,
        "SELECT id, kind, message, acknowledged_at FROM alerts"
        " WHERE node IS NOT DISTINCT FROM ? ORDER BY id DESC LIMIT 1",
        (node,),
    ).fetchone()
    # A repeat of an acknowledged alert is a new open alert, not a silent counter bump.
    if last and last[1] == kind and last[2] == message and last[3] is None:
        execute(
            conn, "UPDATE alerts SET repeats = repeats + 1, ts = ? WHERE id = ?", (now, last[0])
        )
    else:
        execute(
            conn,
            "INSERT INTO alerts (node, kind, message, ts) VALUES (?, ?, ?, ?)",
            (node, kind, message, now),
        )


def _set_password(conn: Connection, account: str, password_hash: str, now: float) -> None:
    execute(
        conn,
        "UPDATE accounts SET password_hash = ?, password_set_at = ? WHERE name = ?",
        (password_hash, now, account),
    )
    execute(conn, "DELETE FROM account_sessions WHERE account = ?", (account,))


def _insert_audit(conn: Connection, entry: AuditEntry) -> None:
    execute(
        conn,
        "INSERT INTO audit_log (ts, actor, action, target, reason, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (entry.ts, entry.actor, entry.action, entry.target, entry.reason, entry.detail),
    )


def _token_state(conn: Connection, node: str, token_hash: str, now: float, lock: str = "") -> str:
    row = execute(
        conn,
        f"SELECT expires_at, used_at FROM enroll_tokens WHERE token_hash = ? AND node = ?{lock}",
        (token_hash, node),
    ).fetchone()
    if row is None:
        return "unknown"
    if row[1] is not None:
        return "used"
    return "expired" if row[0] <= now else "ok"


class PortableIngestTx:
    """The ``IngestTx`` methods both backends share, over the transaction's connection."""

    def __init__(self, conn: Any, pruned: dict[str, int]) -> None:
        self.conn = conn
        self.pruned = pruned  # the store's node_history prune memo (central/node_history.py)

    def stored(self, node: str, epoch: str, seq: int) -> tuple[str, str] | None:
        row = execute(
            self.conn,
            "SELECT hash, record FROM records WHERE node = ? AND epoch = ? AND seq = ?",
            (node, epoch, seq),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def latest_receipt(self, node: str, epoch: str) -> str | None:
        row = execute(
            self.conn,
            "SELECT receipt FROM receipts WHERE node = ? AND epoch = ? ORDER BY id DESC LIMIT 1",
            (node, epoch),
        ).fetchone()
        return row[0] if row else None

    def insert_receipt(
        self, node: str, epoch: str, seq: int, head: str, server_ts: str, receipt: str
    ) -> None:
        execute(
            self.conn,
            "INSERT INTO receipts (node, epoch, seq, head, server_ts, receipt)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (node, epoch, seq, head, server_ts, receipt),
        )

    def set_head(
        self,
        node: str,
        *,
        epoch: str,
        seq: int,
        head: str,
        anchor_ts: str | None,
        added: int,
        last_sync: float,
    ) -> None:
        execute(
            self.conn,
            "UPDATE nodes SET epoch = ?, head_seq = ?, head_hash = ?, anchor_ts = ?,"
            " records_count = records_count + ?, last_sync = ?, new_epoch_allowed = false"
            " WHERE name = ?",
            (epoch, seq, head, anchor_ts, added, last_sync, node),
        )

    def set_status(self, node: str, status: str) -> None:
        execute(self.conn, "UPDATE nodes SET status = ? WHERE name = ?", (status, node))

    def add_evidence(
        self, node: str, epoch: str, seq: int, kind: str, stored: str | None, other: str, now: float
    ) -> None:
        execute(
            self.conn,
            "INSERT INTO evidence (node, epoch, seq, kind, stored_record, other_record,"
            " detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (node, epoch, seq, kind, stored, other, now),
        )

    def has_evidence(self, node: str, epoch: str, kind: str) -> bool:
        return (
            execute(
                self.conn,
                "SELECT 1 FROM evidence WHERE node = ? AND epoch = ? AND kind = ? LIMIT 1",
                (node, epoch, kind),
            ).fetchone()
            is not None
        )

    def add_alert(self, node: str | None, kind: str, message: str, now: float) -> None:
        _add_alert(self.conn, node, kind, message, now)

    def add_clock_sample(
        self,
        node: str,
        server_ts: float,
        wall_ts: str | None,
        mono_us: int | None,
        offset_ms: int | None,
    ) -> None:
        execute(
            self.conn,
            "INSERT INTO clock_samples (node, server_ts, wall_ts, mono_us, offset_ms)"
            " VALUES (?, ?, ?, ?, ?)",
            (node, server_ts, wall_ts, mono_us, offset_ms),
        )
        if offset_ms is not None:
            execute(
                self.conn, "UPDATE nodes SET clock_offset_ms = ? WHERE name = ?", (offset_ms, node)
            )

    # --- trust (central/trust.py) ------------------------------------------------------

    def has_roster(self) -> bool:
        return execute(self.conn, "SELECT 1 FROM employees LIMIT 1").fetchone() is not None

    def first_receipt_ts(self, node: str, epoch: str) -> str | None:
        row = execute(
            self.conn,
            "SELECT min(server_ts) FROM receipts WHERE node = ? AND epoch = ?",
            (node, epoch),
        ).fetchone()
        return row[0] if row else None

    def events_at(self, node: str, ts_from: str, ts_to: str) -> list[EventRow]:
        rows = execute(
            self.conn,
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE node = ? AND end_ts >= ?"
            " AND start_ts <= ? ORDER BY id",
            (node, ts_from, ts_to),
        ).fetchall()
        return [_event(r) for r in rows]

    def fallback_count(self, node: str, day: str) -> int:
        row = execute(
            self.conn,
            "SELECT count(*) FROM records WHERE day = ? AND node = ?"
            " AND method IN ('witness', 'manual')",
            (day, node),
        ).fetchone()
        return int(row[0]) if row else 0

    def alert_exists(self, node: str, kind: str, message: str) -> bool:
        return (
            execute(
                self.conn,
                "SELECT 1 FROM alerts WHERE node IS NOT DISTINCT FROM ? AND kind = ?"
                " AND message = ? LIMIT 1",
                (node, kind, message),
            ).fetchone()
            is not None
        )

    # --- node history (003_node_history) -----------------------------------------------

    def note_node_hour(
        self, node: str, now: float, backlog: int | None, offset_ms: int | None
    ) -> None:
        node_history.note_hour(
            self.conn, _style(self.conn), node, now, backlog, offset_ms, self.pruned
        )

    def observe_batch(self, seconds: float) -> None:
        """Count an accepted batch and its latency in the histogram (``/metrics``)."""
        execute(
            self.conn,
            "INSERT INTO batch_latency (le, batches, seconds) VALUES (?, 1, ?)"
            " ON CONFLICT (le) DO UPDATE SET batches = batch_latency.batches + 1,"
            " seconds = batch_latency.seconds + excluded.seconds",
            (latency_bucket(seconds), seconds),
        )


class PortableStore:
    """The ``CentralStore`` methods both backends share. A backend gives ``_read`` (a
    connection for reads; inside a write transaction, that transaction's) and ``_write``
    (one transaction: commits when the block ends, rolls back on an exception)."""

    # What a backend appends to a text ORDER BY so both sort bytewise (PostgreSQL's default
    # collation follows the locale), and to a SELECT that must lock the row it reads
    # (SQLite's BEGIN IMMEDIATE already holds the whole database).
    TEXT_ORDER = ""
    LOCK_ROW = ""

    def _read(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def open_alert_counts(self) -> dict[str, int]:
        raise NotImplementedError

    # --- enrollment ----------------------------------------------------------------------

    def enroll_token_state(self, node: str, token_hash: str, now: float) -> str:
        """``ok``, ``unknown``, ``used`` or ``expired``."""
        with self._read() as conn:
            return _token_state(conn, node, token_hash, now)

    def complete_enrollment(
        self, node: str, token_hash: str, now: float, issue: Callable[[], str]
    ) -> str:
        """Use the token and install the certificate ``issue()`` returns, atomically.

        Returns ``ok`` or the token state that prevented it; the token is spent only when the
        certificate is installed. A node that had a log may start a new epoch afterwards. The
        token's row is read with ``LOCK_ROW``: a second server racing with the same token
        waits, then reads it as used.
        """
        with self._write() as conn:
            state = _token_state(conn, node, token_hash, now, self.LOCK_ROW)
            if state != "ok":
                return state
            cert_pem = issue()
            execute(
                conn, "UPDATE enroll_tokens SET used_at = ? WHERE token_hash = ?", (now, token_hash)
            )
            execute(
                conn,
                "UPDATE nodes SET status = 'active', cert_pem = ?, enrolled_at = ?,"
                " new_epoch_allowed = ? WHERE name = ?",
                (cert_pem, now, True, node),
            )
            _add_alert(conn, node, "enrolled", "node enrolled with a new certificate", now)
        return "ok"

    # --- meta --------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._read() as conn:
            row = execute(conn, "SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            execute(
                conn,
                "INSERT INTO meta VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # --- nodes and enrollment ----------------------------------------------------------

    def node(self, name: str) -> NodeRow | None:
        with self._read() as conn:
            return _node(
                execute(
                    conn, f"SELECT {_NODE_COLUMNS} FROM nodes WHERE name = ?", (name,)
                ).fetchone()
            )

    def add_enroll_token(self, node: str, token_hash: str, expires_at: float, now: float) -> None:
        """Create the node (pending) if new, and store a one-time token for it."""
        with self._write() as conn:
            execute(
                conn,
                "INSERT INTO nodes (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                (node, now),
            )
            execute(
                conn,
                "INSERT INTO enroll_tokens (token_hash, node, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_hash, node, now, expires_at),
            )

    def install_cert(self, node: str, cert_pem: str, now: float) -> None:
        """Record a certificate issued on the offline path (``presensi-ca issue``)."""
        with self._write() as conn:
            execute(
                conn,
                "INSERT INTO nodes (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                (node, now),
            )
            execute(
                conn,
                "UPDATE nodes SET cert_pem = ?, enrolled_at = ?, new_epoch_allowed = true,"
                " status = CASE status WHEN 'pending' THEN 'active' ELSE status END"
                " WHERE name = ?",
                (cert_pem, now, node),
            )
            _add_alert(
                conn, node, "enrolled", "certificate issued offline by the CA installed", now
            )

    def set_status(self, node: str, status: str) -> None:
        if status not in NODE_STATUSES:
            raise ValueError(f"unknown node status {status!r}")
        with self._write() as conn:
            execute(conn, "UPDATE nodes SET status = ? WHERE name = ?", (status, node))

    # --- API tokens and nonces ---------------------------------------------------------

    def add_api_token(self, token_hash: str, role: str, now: float) -> None:
        """A token of the machine account, expiring after ``LEGACY_TOKEN_DAYS``."""
        self.add_token(
            ApiToken(token_hash, role, MACHINE_ACCOUNT, now, now + LEGACY_TOKEN_DAYS * 86400, None)
        )

    def api_token_role(self, token_hash: str) -> str | None:
        """The stored role of a live token (not revoked, not expired by the wall clock)."""
        token = self.api_token(token_hash)
        if token is None or token.revoked_at is not None or token.expires_at <= time.time():
            return None
        return token.role

    # --- ingest ------------------------------------------------------------------------

    def add_alert(self, node: str | None, kind: str, message: str, now: float) -> None:
        with self._write() as conn:
            _add_alert(conn, node, kind, message, now)

    def alerts(self, node: str | None = None, limit: int = 20) -> list[Alert]:
        with self._read() as conn:
            if node is None:
                rows = execute(
                    conn,
                    "SELECT node, kind, message, ts FROM alerts ORDER BY id DESC LIMIT ?",
                    (limit,),
                ).fetchall()
            else:
                rows = execute(
                    conn,
                    "SELECT node, kind, message, ts FROM alerts WHERE node = ?"
                    " ORDER BY id DESC LIMIT ?",
                    (node, limit),
                ).fetchall()
        return [Alert(*r) for r in rows]

    def head_of(self, node: str, epoch: str) -> tuple[int, str] | None:
        with self._read() as conn:
            row = execute(
                conn,
                "SELECT seq, hash FROM records WHERE node = ? AND epoch = ?"
                " ORDER BY seq DESC LIMIT 1",
                (node, epoch),
            ).fetchone()
        return (row[0], row[1]) if row else None

    # --- roster ------------------------------------------------------------------------

    def latest_roster(self) -> RosterVersion | None:
        with self._read() as conn:
            row = execute(
                conn,
                "SELECT version, issued_ts, count, doc FROM roster_versions"
                " ORDER BY version DESC LIMIT 1",
            ).fetchone()
        return RosterVersion(*row) if row else None

    def latest_roster_version(self) -> int:
        with self._read() as conn:
            row = execute(conn, "SELECT max(version) FROM roster_versions").fetchone()
        return int(row[0] or 0) if row else 0

    # --- reports (evidence and clock samples: tests and audits) ------------------------

    def evidence(self, node: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = execute(
                conn,
                "SELECT epoch, seq, kind, stored_record, other_record, detected_at FROM evidence"
                " WHERE node = ? ORDER BY id",
                (node,),
            ).fetchall()
        keys = ("epoch", "seq", "kind", "stored_record", "other_record", "detected_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def fork_points(self) -> dict[tuple[str, str], int]:
        """(node, epoch) -> the lowest seq where the node signed two different histories."""
        with self._read() as conn:
            rows = execute(
                conn,
                "SELECT node, epoch, min(seq) FROM evidence"
                " WHERE kind IN ('fork', 'broken-chain') GROUP BY node, epoch",
            ).fetchall()
        return {(n, e): s for n, e, s in rows}

    def last_clock_samples(self, node: str, limit: int = 10) -> list[tuple[float, int | None]]:
        with self._read() as conn:
            rows = execute(
                conn,
                "SELECT server_ts, offset_ms FROM clock_samples WHERE node = ?"
                " ORDER BY id DESC LIMIT ?",
                (node, limit),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    # --- trust: node rosters, events, acceptances (central/trust.py, noderoster.py) -------

    def roster_assigns_nodes(self) -> bool:
        with self._read() as conn:
            return (
                execute(conn, "SELECT 1 FROM employees WHERE node IS NOT NULL LIMIT 1").fetchone()
                is not None
            )

    def units(self) -> set[str]:
        with self._read() as conn:
            return {r[0] for r in execute(conn, "SELECT DISTINCT unit FROM employees")}

    def last_node_roster(self, node: str) -> tuple[int, str] | None:
        with self._read() as conn:
            row = execute(
                conn,
                "SELECT version, key FROM node_rosters WHERE node = ? ORDER BY version DESC"
                " LIMIT 1",
                (node,),
            ).fetchone()
        return (row[0], row[1]) if row else None

    def node_roster_doc(self, version: int) -> RosterVersion | None:
        with self._read() as conn:
            row = execute(
                conn,
                "SELECT version, issued_ts, count, doc FROM node_rosters WHERE version = ?",
                (version,),
            ).fetchone()
        return RosterVersion(*row) if row else None

    def events_covering(self, ts_from: str, ts_to: str) -> list[EventRow]:
        with self._read() as conn:
            rows = execute(
                conn,
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE end_ts >= ? AND roster_from <= ?"
                " ORDER BY id",
                (ts_from, ts_to),
            ).fetchall()
        return [_event(r) for r in rows]

    def link_starts(self) -> dict[tuple[str, str], str]:
        with self._read() as conn:
            rows = execute(
                conn, "SELECT node, epoch, min(server_ts) FROM receipts GROUP BY node, epoch"
            ).fetchall()
        return {(n, e): t for n, e, t in rows}

    def accepted_refs(self) -> set[tuple[str, str, int]]:
        with self._read() as conn:
            rows = execute(conn, "SELECT node, epoch, seq FROM record_acceptances").fetchall()
        return {(n, e, s) for n, e, s in rows}

    def employee_units(self) -> dict[str, str]:
        with self._read() as conn:
            return {r[0]: r[1] for r in execute(conn, "SELECT nip, unit FROM employees")}

    def events(self, node: str | None = None) -> list[EventRow]:
        sql = f"SELECT {_EVENT_COLUMNS} FROM events"
        args: list[str] = []
        if node is not None:
            sql += " WHERE node = ?"
            args.append(node)
        with self._read() as conn:
            rows = execute(conn, sql + " ORDER BY start_ts, id", args).fetchall()
        return [_event(r) for r in rows]

    def record(self, node: str, epoch: str, seq: int) -> StoredRecord | None:
        with self._read() as conn:
            row = execute(
                conn,
                f"SELECT {RECORD_COLUMNS} FROM records WHERE node = ? AND epoch = ? AND seq = ?",
                (node, epoch, seq),
            ).fetchone()
        return _stored(row) if row else None

    def fallback_counts(self, day: str) -> dict[str, dict[str, int]]:
        """node -> {"witness": n, "manual": m}: the check-ins someone vouched for on ``day``."""
        out: dict[str, dict[str, int]] = {}
        with self._read() as conn:
            rows = execute(
                conn,
                "SELECT node, method, count(*) FROM records WHERE day = ?"
                " AND method IN ('witness', 'manual') GROUP BY node, method",
                (day,),
            ).fetchall()
        for node, method, count in rows:
            out.setdefault(node, {"witness": 0, "manual": 0})[method] = int(count)
        return out

    # --- operations (healthz, metrics) -------------------------------------------------

    def batch_latency(self) -> dict[str, tuple[int, float]]:
        """``le`` -> (batches in that bucket alone, their seconds summed)."""
        with self._read() as conn:
            rows = execute(conn, "SELECT le, batches, seconds FROM batch_latency").fetchall()
        return {le: (int(n), float(total)) for le, n, total in rows}

    def alert_counts(self) -> dict[str, int]:
        """Open (unacknowledged) alerts by kind, for /metrics."""
        return self.open_alert_counts()

    def records_ingested(self) -> int:
        with self._read() as conn:
            row = execute(conn, "SELECT coalesce(sum(records_count), 0) FROM nodes").fetchone()
        return int(row[0]) if row else 0

    # --- recap: rule versions, overlays, day and month closes (central/recap.py) -------

    def rule_versions(self, max_version: int | None = None) -> list[RuleVersionRow]:
        with self._read() as conn:
            rows = execute(
                conn,
                "SELECT version, id, effective_from, source, sha256, imported_by, imported_at"
                " FROM recap_rules WHERE version <= ? ORDER BY version",
                (max_version if max_version is not None else 2**62,),
            ).fetchall()
        return [RuleVersionRow(*r) for r in rows]

    def _dicts(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        """The rows of ``sql`` (a shared statement: ``?`` placeholders) as dicts."""
        with self._read() as conn:
            cur = execute(conn, sql, args)
            keys = [c[0] for c in cur.description or []]
            return [dict(zip(keys, r, strict=True)) for r in cur.fetchall()]

    def exceptions_between(self, first_day: str, last_day: str) -> list[dict[str, Any]]:
        return self._dicts(
            "SELECT id, nip, kind, day_from, day_to, part, reason, created_by, created_at"
            " FROM recap_exceptions WHERE day_to >= ? AND day_from <= ? ORDER BY id",
            (first_day, last_day),
        )

    def incidents_between(self, ts_from: str, ts_to: str) -> list[dict[str, Any]]:
        return self._dicts(
            "SELECT id, ts_from, ts_to, unit, node, reason, created_by, created_at"
            " FROM recap_incidents WHERE ts_to >= ? AND ts_from <= ? ORDER BY id",
            (ts_from, ts_to),
        )

    def day_closes(self, first_day: str, last_day: str) -> list[dict[str, Any]]:
        return self._dicts(
            "SELECT id, day, unit, reason, closed_by, closed_at FROM recap_day_closes"
            " WHERE day BETWEEN ? AND ? ORDER BY id",
            (first_day, last_day),
        )

    def recap_checkins(self, first_day: str, last_day: str) -> list[tuple[Any, ...]]:
        """(record id, StoredRecord without its body) of every check-in of these WITA days."""
        with self._read() as conn:
            rows = execute(
                conn,
                "SELECT id, node, epoch, seq, type, ts, hash, nip, day, kind, '', lower_ts,"
                " upper_ts, out_of_bounds, problem, foreign_node, method FROM records"
                " WHERE day BETWEEN ? AND ? AND type = 'checkin'",
                (first_day, last_day),
            ).fetchall()
        return [(r[0], _stored(r[1:])) for r in rows]

    def record_hashes(
        self, first_day: str, last_day: str, max_id: int | None = None
    ) -> list[tuple[int, str]]:
        with self._read() as conn:
            rows = execute(
                conn,
                "SELECT id, hash FROM records WHERE day BETWEEN ? AND ?"
                " AND type = 'checkin' AND id <= ? ORDER BY id",
                (first_day, last_day, max_id if max_id is not None else 2**62),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def recap_first_last(
        self, first_day: str, last_day: str, plain: PlainRows
    ) -> list[tuple[Any, ...]]:
        """(nip, WITA day, node, first ``in`` ts or None, last ``out`` ts or None) over the
        plain check-in rows of these days (``PlainRows``), aggregated by the database."""
        where, params = recap_plain_sql(plain)
        with self._read() as conn:
            rows = execute(
                conn, RECAP_FIRST_LAST_SQL.format(plain=where), [first_day, last_day, *params]
            ).fetchall()
        return list(rows)

    def recap_other_checkins(
        self, first_day: str, last_day: str, plain: PlainRows
    ) -> list[tuple[int, StoredRecord]]:
        """(record id, StoredRecord without its body) of the check-ins of these days that
        are not plain: ``record_status`` judges each."""
        where, params = recap_plain_sql(plain)
        with self._read() as conn:
            rows = execute(
                conn, RECAP_OTHER_SQL.format(plain=where), [first_day, last_day, *params]
            ).fetchall()
        return [(r[0], _stored(r[1:])) for r in rows]

    def node_heads(self) -> dict[str, str]:
        """node -> ``ts`` of the newest record central holds from it (its current epoch)."""
        with self._read() as conn:
            rows = execute(
                conn,
                "SELECT n.name, r.ts FROM nodes n JOIN records r ON r.node = n.name"
                " AND r.epoch = n.epoch AND r.seq = n.head_seq",
            ).fetchall()
        return {name: ts for name, ts in rows}

    # --- accounts, sessions, API tokens, alerts and the audit log (002_accounts_) -------

    def account(self, name: str) -> Account | None:
        with self._read() as conn:
            row = execute(
                conn, f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE name = ?", (name,)
            ).fetchone()
        return _account(row) if row else None

    def password_link_account(self, link_hash: str, now: float) -> str | None:
        with self._read() as conn:
            row = execute(
                conn,
                "SELECT l.account FROM password_links l JOIN accounts a ON a.name = l.account"
                " WHERE l.link_hash = ? AND l.used_at IS NULL AND l.expires_at > ?"
                " AND NOT a.disabled",
                (link_hash, now),
            ).fetchone()
        return row[0] if row else None

    def set_password(self, account: str, password_hash: str, now: float) -> None:
        """A new password; every session of the account ends."""
        with self._write() as conn:
            _set_password(conn, account, password_hash, now)

    def add_session(
        self, session_hash: str, account: str, csrf: str, now: float, expires_at: float
    ) -> None:
        with self._write() as conn:
            execute(conn, "DELETE FROM account_sessions WHERE expires_at <= ?", (now,))
            execute(
                conn,
                "INSERT INTO account_sessions VALUES (?, ?, ?, ?, ?)",
                (session_hash, account, csrf, now, expires_at),
            )

    def session(self, session_hash: str, now: float) -> tuple[Account, str] | None:
        """(account, csrf) of a live session of an enabled account."""
        with self._read() as conn:
            row = execute(
                conn,
                "SELECT s.account, s.csrf FROM account_sessions s JOIN accounts a"
                " ON a.name = s.account WHERE s.session_hash = ? AND s.expires_at > ?"
                " AND NOT a.disabled",
                (session_hash, now),
            ).fetchone()
        if row is None:
            return None
        account = self.account(row[0])
        return (account, row[1]) if account else None

    def end_session(self, session_hash: str) -> None:
        with self._write() as conn:
            execute(conn, "DELETE FROM account_sessions WHERE session_hash = ?", (session_hash,))

    def end_sessions(self, account: str) -> int:
        with self._write() as conn:
            return int(
                execute(conn, "DELETE FROM account_sessions WHERE account = ?", (account,)).rowcount
            )

    def clear_login_attempts(self, key: str) -> None:
        with self._write() as conn:
            execute(conn, "DELETE FROM login_attempts WHERE key = ?", (key,))

    def add_token(self, token: ApiToken) -> None:
        if token.role not in API_ROLES:
            raise ValueError(f"unknown role {token.role!r}")
        with self._write() as conn:
            execute(
                conn,
                "INSERT INTO api_tokens (token_hash, role, created_at, account, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (token.token_hash, token.role, token.created_at, token.account, token.expires_at),
            )

    def api_token(self, token_hash: str) -> ApiToken | None:
        with self._read() as conn:
            row = execute(
                conn, f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?", (token_hash,)
            ).fetchone()
        return ApiToken(*row) if row else None

    def add_audit(self, entry: AuditEntry) -> None:
        with self._write() as conn:
            _insert_audit(conn, entry)

    def audit_page(self, offset: int, limit: int) -> tuple[list[AuditEntry], int]:
        with self._read() as conn:
            row = execute(conn, "SELECT count(*) FROM audit_log").fetchone()
            rows = execute(
                conn,
                "SELECT ts, actor, action, target, reason, detail, id FROM"
                " audit_log ORDER BY id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [AuditEntry(*r) for r in rows], int(row[0]) if row else 0

    # --- month pages: document numbers (003_exception_docno) ---------------------------

    def exception_doc_numbers(self, ids: list[int]) -> dict[int, str]:
        """The document number of each of these exceptions that has one."""
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        with self._read() as conn:
            rows = execute(
                conn,
                f"SELECT id, doc_no FROM recap_exceptions WHERE id IN ({marks})"
                " AND doc_no IS NOT NULL",
                [int(i) for i in ids],
            ).fetchall()
        return {int(r[0]): r[1] for r in rows}

    # --- employees' sessions and objections (003_objections, central/objection_sql.py) --

    def employee(self, nip: str) -> Employee | None:
        with self._read() as conn:
            row = execute(
                conn, f"SELECT {_EMPLOYEE_COLUMNS} FROM employees WHERE nip = ?", (nip,)
            ).fetchone()
        return Employee(*row) if row else None

    def add_employee_session(
        self, session_hash: str, nip: str, csrf: str, now: float, expires_at: float
    ) -> None:
        with self._write() as conn:
            objection_sql.add_employee_session(
                conn, _style(conn), session_hash, nip, csrf, now, expires_at
            )

    def employee_session(self, session_hash: str, now: float) -> tuple[str, str] | None:
        with self._read() as conn:
            return objection_sql.employee_session(conn, _style(conn), session_hash, now)

    def end_employee_session(self, session_hash: str) -> None:
        with self._write() as conn:
            objection_sql.end_employee_session(conn, _style(conn), session_hash)

    def add_objection(self, new: NewObjection) -> int:
        with self._write() as conn:
            return objection_sql.add_objection(conn, _style(conn), new)

    def objection(self, objection_id: int) -> Objection | None:
        with self._read() as conn:
            return objection_sql.objection(conn, _style(conn), objection_id)

    def objections(
        self,
        *,
        nip: str | None = None,
        first_day: str | None = None,
        last_day: str | None = None,
        state: str = "all",
    ) -> list[Objection]:
        with self._read() as conn:
            return objection_sql.objections(
                conn, _style(conn), nip=nip, first_day=first_day, last_day=last_day, state=state
            )

    def accepted_evidence(self, first_day: str, last_day: str) -> list[Objection]:
        with self._read() as conn:
            return objection_sql.accepted_evidence(conn, _style(conn), first_day, last_day)

    def employee_checkins(self, nip: str, first_day: str, last_day: str) -> list[StoredRecord]:
        """One employee's check-ins on these WITA days, in time order (``/saya``)."""
        return [rec for _, rec in self.employee_checkins_by_id(nip, first_day, last_day)]

    def employee_checkins_by_id(
        self, nip: str, first_day: str, last_day: str
    ) -> list[tuple[int, StoredRecord]]:
        """(record id, record with its body) of one employee's check-ins on these WITA
        days, in time order: the month page lists each with its method and voucher."""
        with self._read() as conn:
            rows = execute(
                conn,
                f"SELECT id, {RECORD_COLUMNS} FROM records WHERE day BETWEEN ? AND ?"
                f" AND nip = ? AND type = 'checkin' ORDER BY ts, node{self.TEXT_ORDER}, seq",
                (first_day, last_day, nip),
            ).fetchall()
        return [(int(r[0]), _stored(r[1:])) for r in rows]

    def decide_overlay(
        self,
        target: str,
        target_id: int,
        action: str,
        by: str,
        reason: str | None,
        now: float,
        check: Callable[[str | None, list[str]], None],
    ) -> None:
        """Append an approve/reject event after ``check(proposer, actions so far)`` passes,
        in one transaction. The overlay's row is read with ``LOCK_ROW``: two officials
        deciding at once, the second waits and then sees the first decision."""
        table = {"exception": "recap_exceptions", "incident": "recap_incidents"}[target]
        with self._write() as conn:
            row = execute(
                conn, f"SELECT created_by FROM {table} WHERE id = ?{self.LOCK_ROW}", (target_id,)
            ).fetchone()
            actions = [
                r[0]
                for r in execute(
                    conn,
                    "SELECT action FROM recap_overlay_events WHERE target = ? AND target_id = ?"
                    " ORDER BY id",
                    (target, target_id),
                )
            ]
            check(row[0] if row else None, actions)
            execute(
                conn,
                'INSERT INTO recap_overlay_events (target, target_id, action, "by", reason, at)'
                " VALUES (?, ?, ?, ?, ?, ?)",
                (target, target_id, action, by, reason, now),
            )

    def decide_objection(self, objection_id: int, action: str, entry: AuditEntry) -> str:
        """Decide an open objection and audit it in one transaction: ``ok``, ``unknown``
        or ``already`` (decided before; nothing written). On PostgreSQL the unique index on
        the decision decides between two servers."""
        with self._write() as conn:
            result = objection_sql.decide(
                conn, _style(conn), objection_id, action, entry.actor, entry.reason, entry.ts
            )
            if result == "ok":
                _insert_audit(conn, entry)
        return result

    # --- node history (003_node_history, central/node_history.py) -----------------------

    def node_history(self, since: float) -> list[NodeHour]:
        """Every node's hours from ``since`` (003_node_history), by node and hour."""
        with self._read() as conn:
            return node_history.read_history(conn, _style(conn), since)
