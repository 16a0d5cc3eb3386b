"""``CentralStore`` on PostgreSQL, for several app servers on one database.

Same interface and same answers as ``SqliteStore``; the differences are how writers are kept
apart. SQLite serialises every writer with ``BEGIN IMMEDIATE``. Here transactions run at READ
COMMITTED and take row locks where a decision depends on what they read:

- ingest locks the node's row (``SELECT ... FOR UPDATE``) before it reads the head, so two
  batches of one node, arriving at two servers at once, are taken one after the other and the
  second sees what the first stored; batches of different nodes never wait for each other;
- an enrollment token is locked before it is checked and spent, so it is used once;
- a nonce is inserted with ``ON CONFLICT DO NOTHING``: the primary key decides who saw it first.

Each process keeps a ``psycopg_pool.ConnectionPool``; a connection serves one thread at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from . import pgschema
from .errors import SetupError
from .store import (
    _NODE_COLUMNS,
    API_ROLES,
    NODE_STATUSES,
    Alert,
    Employee,
    NodeRow,
    RosterVersion,
    StoredRecord,
    _node,
    _stored,
)

_RECORD_COLUMNS = ("node, epoch, seq, type, ts, hash, nip, day, kind, record, lower_ts,"
                   " upper_ts, out_of_bounds")

# Old nonces are deleted at most this often per process (every request did it on SQLite; here
# several servers deleting the same rows at once would only wait on each other).
_NONCE_SWEEP_S = 60.0


def _token_state(conn: psycopg.Connection, node: str, token_hash: str, now: float,
                 *, lock: bool = False) -> str:
    row = conn.execute(
        "SELECT expires_at, used_at FROM enroll_tokens WHERE token_hash = %s AND node = %s"
        + (" FOR UPDATE" if lock else ""), (token_hash, node)).fetchone()
    if row is None:
        return "unknown"
    if row[1] is not None:
        return "used"
    return "expired" if row[0] <= now else "ok"


def _add_alert(conn: psycopg.Connection, node: str | None, kind: str, message: str,
               now: float) -> None:
    """Add an alert; the same alert repeated (a node retrying) bumps a counter instead."""
    last = conn.execute(
        "SELECT id, kind, message FROM alerts WHERE node IS NOT DISTINCT FROM %s"
        " ORDER BY id DESC LIMIT 1", (node,)).fetchone()
    if last and last[1] == kind and last[2] == message:
        conn.execute("UPDATE alerts SET repeats = repeats + 1, ts = %s WHERE id = %s",
                     (now, last[0]))
    else:
        conn.execute("INSERT INTO alerts (node, kind, message, ts) VALUES (%s, %s, %s, %s)",
                     (node, kind, message, now))


def _day_range(day: str) -> tuple[str, str]:
    """The UTC ``ts`` interval of one WITA day: lets PostgreSQL skip the other partitions."""
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC) - timedelta(hours=8)
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    return start.strftime(fmt), (start + timedelta(days=1)).strftime(fmt)


class PgIngestTx:
    """``IngestTx`` on one connection inside one transaction holding the node's row lock."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def node(self, name: str) -> NodeRow | None:
        # The lock that makes ingest exactly-once across servers: held until commit.
        return _node(self.conn.execute(
            f"SELECT {_NODE_COLUMNS} FROM nodes WHERE name = %s FOR UPDATE", (name,)).fetchone())

    def stored(self, node: str, epoch: str, seq: int) -> tuple[str, str] | None:
        row = self.conn.execute(
            "SELECT hash, record FROM records WHERE node = %s AND epoch = %s AND seq = %s",
            (node, epoch, seq)).fetchone()
        return (row[0], row[1]) if row else None

    def latest_receipt(self, node: str, epoch: str) -> str | None:
        row = self.conn.execute(
            "SELECT receipt FROM receipts WHERE node = %s AND epoch = %s"
            " ORDER BY id DESC LIMIT 1", (node, epoch)).fetchone()
        return row[0] if row else None

    def insert_records(self, rows: list[StoredRecord]) -> None:
        # COPY: one round trip for the whole batch, the fastest way in.
        with self.conn.cursor().copy(f"COPY records ({_RECORD_COLUMNS}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r.node, r.epoch, r.seq, r.type, r.ts, r.hash, r.nip, r.day,
                                r.kind, r.record, r.lower_ts, r.upper_ts, r.out_of_bounds))

    def insert_receipt(self, node: str, epoch: str, seq: int, head: str, server_ts: str,
                       receipt: str) -> None:
        self.conn.execute(
            "INSERT INTO receipts (node, epoch, seq, head, server_ts, receipt)"
            " VALUES (%s, %s, %s, %s, %s, %s)", (node, epoch, seq, head, server_ts, receipt))

    def set_head(self, node: str, *, epoch: str, seq: int, head: str, anchor_ts: str | None,
                 added: int, last_sync: float) -> None:
        self.conn.execute(
            "UPDATE nodes SET epoch = %s, head_seq = %s, head_hash = %s, anchor_ts = %s,"
            " records_count = records_count + %s, last_sync = %s, new_epoch_allowed = false"
            " WHERE name = %s", (epoch, seq, head, anchor_ts, added, last_sync, node))

    def set_status(self, node: str, status: str) -> None:
        self.conn.execute("UPDATE nodes SET status = %s WHERE name = %s", (status, node))

    def add_evidence(self, node: str, epoch: str, seq: int, kind: str, stored: str | None,
                     other: str, now: float) -> None:
        self.conn.execute(
            "INSERT INTO evidence (node, epoch, seq, kind, stored_record, other_record,"
            " detected_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (node, epoch, seq, kind, stored, other, now))

    def has_evidence(self, node: str, epoch: str, kind: str) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM evidence WHERE node = %s AND epoch = %s AND kind = %s LIMIT 1",
            (node, epoch, kind)).fetchone() is not None

    def add_alert(self, node: str | None, kind: str, message: str, now: float) -> None:
        _add_alert(self.conn, node, kind, message, now)

    def add_clock_sample(self, node: str, server_ts: float, wall_ts: str | None,
                         mono_us: int | None, offset_ms: int | None) -> None:
        self.conn.execute(
            "INSERT INTO clock_samples (node, server_ts, wall_ts, mono_us, offset_ms)"
            " VALUES (%s, %s, %s, %s, %s)", (node, server_ts, wall_ts, mono_us, offset_ms))
        if offset_ms is not None:
            self.conn.execute("UPDATE nodes SET clock_offset_ms = %s WHERE name = %s",
                              (offset_ms, node))


class PostgresStore:
    """``CentralStore`` over a PostgreSQL database given by a libpq URL."""

    def __init__(self, url: str, *, password: str | None = None, pool_size: int = 16,
                 read_only: bool = False, timeout: float = 10.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.url = url
        self.clock = clock
        kwargs: dict[str, Any] = {"autocommit": True}
        if password is not None:
            kwargs["password"] = password
        if read_only:  # a replica for reports: a write here is a bug, refused by PostgreSQL
            kwargs["options"] = "-c default_transaction_read_only=on"
        # check: a connection the database dropped (a restart, a failover) is replaced when
        # taken from the pool, instead of failing the request that got it.
        self._pool = ConnectionPool(url, min_size=1, max_size=max(1, pool_size),
                                    kwargs=kwargs, open=True, name="presensi-central",
                                    check=ConnectionPool.check_connection, timeout=timeout)
        try:
            self._pool.wait(timeout=15)
        except PoolTimeout as exc:
            self._pool.close()
            raise SetupError(f"cannot connect to the PostgreSQL database {url}") from exc
        self._lock = threading.Lock()
        self._partitions_month = ""
        self._nonce_swept = 0.0

    # --- connections -------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection]:
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection]:
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    def close(self) -> None:
        self._pool.close()

    def migrate(self) -> list[str]:
        """Apply pending migrations and make the partitions around now; safe from many servers."""
        with self._read() as conn:
            applied = pgschema.migrate(conn)
            pgschema.ensure_partitions(conn, self.clock())
        self._partitions_month = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m")
        return applied

    def pending_migrations(self) -> list[str]:
        with self._read() as conn:
            return pgschema.pending(conn)

    # --- meta --------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT INTO meta VALUES (%s, %s)"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    # --- nodes and enrollment ----------------------------------------------------------

    def node(self, name: str) -> NodeRow | None:
        with self._read() as conn:
            return _node(conn.execute(
                f"SELECT {_NODE_COLUMNS} FROM nodes WHERE name = %s", (name,)).fetchone())

    def nodes(self) -> list[NodeRow]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_NODE_COLUMNS} FROM nodes ORDER BY name COLLATE \"C\"").fetchall()
        return [n for n in map(_node, rows) if n is not None]

    def add_enroll_token(self, node: str, token_hash: str, expires_at: float,
                         now: float) -> None:
        """Create the node (pending) if new, and store a one-time token for it."""
        with self._write() as conn:
            conn.execute("INSERT INTO nodes (name, created_at) VALUES (%s, %s)"
                         " ON CONFLICT (name) DO NOTHING", (node, now))
            conn.execute("INSERT INTO enroll_tokens (token_hash, node, created_at, expires_at)"
                         " VALUES (%s, %s, %s, %s)", (token_hash, node, now, expires_at))

    def enroll_token_state(self, node: str, token_hash: str, now: float) -> str:
        """``ok``, ``unknown``, ``used`` or ``expired``."""
        with self._read() as conn:
            return _token_state(conn, node, token_hash, now)

    def complete_enrollment(self, node: str, token_hash: str, now: float,
                            issue: Callable[[], str]) -> str:
        """Use the token and install the certificate ``issue()`` returns, atomically.

        The token's row is locked first: a second server racing with the same token waits,
        then reads it as used.
        """
        with self._write() as conn:
            state = _token_state(conn, node, token_hash, now, lock=True)
            if state != "ok":
                return state
            cert_pem = issue()
            conn.execute("UPDATE enroll_tokens SET used_at = %s WHERE token_hash = %s",
                         (now, token_hash))
            conn.execute(
                "UPDATE nodes SET status = 'active', cert_pem = %s, enrolled_at = %s,"
                " new_epoch_allowed = true WHERE name = %s", (cert_pem, now, node))
            _add_alert(conn, node, "enrolled", "node enrolled with a new certificate", now)
        return "ok"

    def install_cert(self, node: str, cert_pem: str, now: float) -> None:
        """Record a certificate issued on the offline path (``presensi-ca issue``)."""
        with self._write() as conn:
            conn.execute("INSERT INTO nodes (name, created_at) VALUES (%s, %s)"
                         " ON CONFLICT (name) DO NOTHING", (node, now))
            conn.execute(
                "UPDATE nodes SET cert_pem = %s, enrolled_at = %s, new_epoch_allowed = true,"
                " status = CASE status WHEN 'pending' THEN 'active' ELSE status END"
                " WHERE name = %s", (cert_pem, now, node))
            _add_alert(conn, node, "enrolled", "certificate issued offline by the CA installed",
                       now)

    def set_status(self, node: str, status: str) -> None:
        if status not in NODE_STATUSES:
            raise ValueError(f"unknown node status {status!r}")
        with self._write() as conn:
            conn.execute("UPDATE nodes SET status = %s WHERE name = %s", (status, node))

    # --- API tokens and nonces ---------------------------------------------------------

    def add_api_token(self, token_hash: str, role: str, now: float) -> None:
        if role not in API_ROLES:
            raise ValueError(f"unknown role {role!r}")
        with self._write() as conn:
            conn.execute("INSERT INTO api_tokens VALUES (%s, %s, %s)", (token_hash, role, now))

    def api_token_role(self, token_hash: str) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT role FROM api_tokens WHERE token_hash = %s",
                               (token_hash,)).fetchone()
        return row[0] if row else None

    def remember_nonce(self, node: str, nonce: str, created: float, now: float,
                       keep_s: float) -> bool:
        """Record a request nonce; False when it was seen before (a replay)."""
        with self._read() as conn:
            if now - self._nonce_swept > _NONCE_SWEEP_S:
                self._nonce_swept = now
                conn.execute("DELETE FROM nonces WHERE created < %s", (now - keep_s,))
            cur = conn.execute("INSERT INTO nonces VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                               (node, nonce, created))
            return cur.rowcount == 1

    # --- ingest ------------------------------------------------------------------------

    @contextmanager
    def ingest_transaction(self) -> Iterator[PgIngestTx]:
        """One transaction; ``tx.node()`` locks the node's row. Commits when the block ends."""
        self._ensure_partitions()
        with self._write() as conn:
            yield PgIngestTx(conn)

    def _ensure_partitions(self) -> None:
        """Once a month per process, outside any ingest (see ``pgschema.ensure_partitions``)."""
        month = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m")
        if month == self._partitions_month:
            return
        with self._lock, self._read() as conn:
            if month != self._partitions_month:
                pgschema.ensure_partitions(conn, self.clock())
                self._partitions_month = month

    def add_alert(self, node: str | None, kind: str, message: str, now: float) -> None:
        with self._write() as conn:
            _add_alert(conn, node, kind, message, now)

    def alerts(self, node: str | None = None, limit: int = 20) -> list[Alert]:
        with self._read() as conn:
            if node is None:
                rows = conn.execute("SELECT node, kind, message, ts FROM alerts"
                                    " ORDER BY id DESC LIMIT %s", (limit,)).fetchall()
            else:
                rows = conn.execute("SELECT node, kind, message, ts FROM alerts WHERE node = %s"
                                    " ORDER BY id DESC LIMIT %s", (node, limit)).fetchall()
        return [Alert(*r) for r in rows]

    def head_of(self, node: str, epoch: str) -> tuple[int, str] | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT seq, hash FROM records WHERE node = %s AND epoch = %s"
                " ORDER BY seq DESC LIMIT 1", (node, epoch)).fetchone()
        return (row[0], row[1]) if row else None

    # --- roster ------------------------------------------------------------------------

    def latest_roster(self) -> RosterVersion | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT version, issued_ts, count, doc FROM roster_versions"
                " ORDER BY version DESC LIMIT 1").fetchone()
        return RosterVersion(*row) if row else None

    def latest_roster_version(self) -> int:
        with self._read() as conn:
            row = conn.execute("SELECT max(version) FROM roster_versions").fetchone()
        return int(row[0] or 0) if row else 0

    def employees(self) -> list[Employee]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT nip, name, unit, role, pin_hash FROM employees"
                ' ORDER BY unit COLLATE "C", name COLLATE "C", nip COLLATE "C"').fetchall()
        return [Employee(*r) for r in rows]

    def install_roster(self, version: int, issued_ts: str, doc: str,
                       employees: list[Employee], now: float) -> None:
        """Replace the employees and store the signed document, in one transaction."""
        with self._write() as conn:
            conn.execute("DELETE FROM employees")
            with conn.cursor().copy(
                    "COPY employees (nip, name, unit, role, pin_hash) FROM STDIN") as copy:
                for e in employees:
                    copy.write_row((e.nip, e.name, e.unit, e.role, e.pin_hash))
            conn.execute("INSERT INTO roster_versions VALUES (%s, %s, %s, %s, %s)",
                         (version, issued_ts, len(employees), doc, now))

    # --- reports -----------------------------------------------------------------------

    def checkins_on(self, day: str) -> list[StoredRecord]:
        start, stop = _day_range(day)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_RECORD_COLUMNS} FROM records WHERE day = %s AND type = 'checkin'"
                " AND ts >= %s AND ts < %s ORDER BY ts, node COLLATE \"C\", seq",
                (day, start, stop)).fetchall()
        return [_stored(r) for r in rows]

    def fork_points(self) -> dict[tuple[str, str], int]:
        """(node, epoch) -> the lowest seq where the node signed two different histories."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT node, epoch, min(seq) FROM evidence"
                " WHERE kind IN ('fork', 'broken-chain') GROUP BY node, epoch").fetchall()
        return {(n, e): s for n, e, s in rows}

    def evidence(self, node: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT epoch, seq, kind, stored_record, other_record, detected_at FROM evidence"
                " WHERE node = %s ORDER BY id", (node,)).fetchall()
        keys = ("epoch", "seq", "kind", "stored_record", "other_record", "detected_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def records_of(self, node: str, epoch: str | None = None) -> list[StoredRecord]:
        """Every stored record of a node (tests and audits; not for hot paths)."""
        sql = f"SELECT {_RECORD_COLUMNS} FROM records WHERE node = %s"
        args: list[str] = [node]
        if epoch is not None:
            sql += " AND epoch = %s"
            args.append(epoch)
        with self._read() as conn:
            rows = conn.execute(sql + ' ORDER BY epoch COLLATE "C", seq', args).fetchall()
        return [_stored(r) for r in rows]

    def last_clock_samples(self, node: str, limit: int = 10) -> list[tuple[float, int | None]]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT server_ts, offset_ms FROM clock_samples WHERE node = %s"
                " ORDER BY id DESC LIMIT %s", (node, limit)).fetchall()
        return [(r[0], r[1]) for r in rows]
