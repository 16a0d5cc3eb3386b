"""``CentralStore`` on SQLite: one ``central.db``, the default backend.

``SqliteStore`` keeps one connection per thread, WAL mode, ``synchronous=FULL``. Every write
that must be consistent with what it read (ingest, token use, nonces) runs in one
``BEGIN IMMEDIATE`` transaction, which serialises writers across the server's worker
processes as well as its threads. Schema changes are migrations run with sqlite-utils.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlite_utils

from certs.filemodes import touch_private

from ..errors import SetupError
from .portable import PortableIngestTx, PortableStore, _add_alert, _insert_audit, _set_password
from .rows import (
    _ACCOUNT_COLUMNS,
    _EMPLOYEE_COLUMNS,
    _NODE_COLUMNS,
    _TOKEN_COLUMNS,
    RECORD_COLUMNS,
    Acceptance,
    Account,
    AlertRow,
    ApiToken,
    AuditEntry,
    Employee,
    EventRow,
    NodeRow,
    RosterVersion,
    StoredRecord,
    _account,
    _node,
    _stored,
)
from .sqlite_schema import MIGRATIONS

# Rows per INSERT into ``records``: 16 columns each, well under SQLite's 32,766 parameters.
_ROWS_PER_INSERT = 250


@lru_cache(maxsize=8)
def _records_insert_sql(rows: int) -> str:
    return f"INSERT INTO records ({RECORD_COLUMNS}) VALUES " + ",".join(
        ["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * rows
    )


class SqliteIngestTx(PortableIngestTx):
    """``IngestTx`` over one connection inside ``BEGIN IMMEDIATE``."""

    conn: sqlite3.Connection

    def node(self, name: str) -> NodeRow | None:
        return _node(
            self.conn.execute(
                f"SELECT {_NODE_COLUMNS} FROM nodes WHERE name = ?", (name,)
            ).fetchone()
        )

    def insert_records(self, rows: list[StoredRecord]) -> None:
        # Multi-row INSERTs, not executemany: sqlite3 drops and retakes the GIL around every
        # statement step, and each retake waits behind the worker's other request threads
        # while this transaction holds the write lock (as in local_node/writer.py).
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            self.conn.execute(
                _records_insert_sql(len(chunk)),
                [
                    value
                    for r in chunk
                    for value in (
                        r.node,
                        r.epoch,
                        r.seq,
                        r.type,
                        r.ts,
                        r.hash,
                        r.nip,
                        r.day,
                        r.kind,
                        r.record,
                        r.lower_ts,
                        r.upper_ts,
                        int(r.out_of_bounds),
                        r.problem,
                        int(r.foreign),
                        r.method,
                    )
                ],
            )

    # --- trust (central/trust.py) ------------------------------------------------------

    def employees_by_nip(self, nips: list[str]) -> dict[str, Employee]:
        return _employees_by_nip(self.conn, nips)


def _employees_by_nip(conn: sqlite3.Connection, nips: list[str]) -> dict[str, Employee]:
    found: dict[str, Employee] = {}
    unique = sorted(set(nips))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        rows = conn.execute(
            f"SELECT {_EMPLOYEE_COLUMNS} FROM employees WHERE nip IN"
            f" ({','.join('?' * len(chunk))})",
            chunk,
        )
        found.update((r[0], Employee(*r)) for r in rows)
    return found


# Every connection of central and node gets exactly these (local_node/store.py holds the same
# list; a test compares them). foreign_keys=ON makes the schema's REFERENCES hold.
CONNECTION_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=FULL",
    "foreign_keys=ON",
    "busy_timeout=30000",
    "temp_store=MEMORY",
)


class SqliteStore(PortableStore):
    """``CentralStore`` over one ``central.db``: one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._history_pruned: dict[str, int] = {}

    # --- connections -------------------------------------------------------------------

    def connect(self) -> sqlite3.Connection:
        """A new connection in autocommit mode; transactions are opened explicitly."""
        try:
            touch_private(self.path)  # 0600 whatever the umask; -wal and -shm follow it
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            for pragma in CONNECTION_PRAGMAS:
                conn.execute(f"PRAGMA {pragma}")
        except sqlite3.Error as exc:
            raise SetupError(f"cannot open {self.path}: {exc}") from exc
        except OSError as exc:
            raise SetupError(f"cannot create {self.path}: {exc.strerror}") from exc
        return conn

    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.connect()
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        yield self.conn()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def migrate(self) -> list[str]:
        """Apply pending migrations, each in one transaction; safe from several processes."""
        conn = self.connect()
        try:
            db = sqlite_utils.Database(conn)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL)"
            )
            conn.execute("COMMIT")
            applied = []
            for name, step in MIGRATIONS:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Checked inside the lock: another worker may have just applied it.
                    if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                        conn.execute("COMMIT")
                        continue
                    step(db)
                    conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, time.time()))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                applied.append(name)
            return applied
        finally:
            conn.close()

    # --- nodes (enrollment: portable.py) -----------------------------------------------

    def nodes(self) -> list[NodeRow]:
        rows = self.conn().execute(f"SELECT {_NODE_COLUMNS} FROM nodes ORDER BY name")
        return [n for n in map(_node, rows) if n is not None]

    # --- API tokens and nonces ---------------------------------------------------------

    def remember_nonce(
        self, node: str, nonce: str, created: float, now: float, keep_s: float
    ) -> bool:
        """Record a request nonce; False when it was seen before (a replay)."""
        with self._write() as conn:
            conn.execute("DELETE FROM nonces WHERE created < ?", (now - keep_s,))
            try:
                conn.execute("INSERT INTO nonces VALUES (?, ?, ?)", (node, nonce, created))
            except sqlite3.IntegrityError:
                return False
        return True

    # --- ingest ------------------------------------------------------------------------

    @contextmanager
    def ingest_transaction(self) -> Iterator[SqliteIngestTx]:
        """One ``BEGIN IMMEDIATE`` transaction: commits when the block ends normally."""
        with self._write() as conn:
            yield SqliteIngestTx(conn, self._history_pruned)

    # --- roster ------------------------------------------------------------------------

    def employees(self) -> list[Employee]:
        rows = self.conn().execute(
            f"SELECT {_EMPLOYEE_COLUMNS} FROM employees ORDER BY unit, name, nip"
        )
        return [Employee(*r) for r in rows]

    def install_roster(
        self, version: int, issued_ts: str, doc: str, employees: list[Employee], now: float
    ) -> None:
        """Replace the employees and store the signed document, in one transaction."""
        with self._write() as conn:
            conn.execute("DELETE FROM employees")
            conn.executemany(
                f"INSERT INTO employees ({_EMPLOYEE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                [(e.nip, e.name, e.unit, e.role, e.pin_hash, e.node) for e in employees],
            )
            conn.execute(
                "INSERT INTO roster_versions VALUES (?, ?, ?, ?, ?)",
                (version, issued_ts, len(employees), doc, now),
            )

    # --- reports -----------------------------------------------------------------------

    def checkins_on(self, day: str) -> list[StoredRecord]:
        rows = self.conn().execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE day = ? AND type = 'checkin'"
            " ORDER BY ts, node, seq",
            (day,),
        )
        return [_stored(r) for r in rows]

    def records_of(self, node: str, epoch: str | None = None) -> list[StoredRecord]:
        """Every stored record of a node (tests and audits; not for hot paths)."""
        sql = f"SELECT {RECORD_COLUMNS} FROM records WHERE node = ?"
        args: list[str] = [node]
        if epoch is not None:
            sql += " AND epoch = ?"
            args.append(epoch)
        rows = self.conn().execute(sql + " ORDER BY epoch, seq", args)
        return [_stored(r) for r in rows]

    # --- trust: node rosters, events, acceptances (central/trust.py, noderoster.py) -------

    def employees_for_node(self, node: str, units: list[str]) -> list[Employee]:
        """The employees ``node`` serves, plus every employee of ``units`` (events)."""
        sql = f"SELECT {_EMPLOYEE_COLUMNS} FROM employees WHERE node = ?"
        if units:
            sql += f" OR unit IN ({','.join('?' * len(units))})"
        return [Employee(*r) for r in self.conn().execute(sql + " ORDER BY nip", [node, *units])]

    def max_roster_version(self) -> int:
        """The highest version issued, regency-wide or to one node (they share one count)."""
        row = (
            self.conn()
            .execute(
                "SELECT max(v) FROM (SELECT max(version) AS v FROM roster_versions"
                " UNION ALL SELECT max(version) FROM node_rosters)"
            )
            .fetchone()
        )
        return int(row[0] or 0)

    def issue_node_roster(
        self, node: str, key: str, build: Callable[[int], tuple[str, str, int]], now: float
    ) -> RosterVersion:
        """The node's roster document for ``key``: the one issued already, or a new one
        with the next shared version number; ``build(version)`` gives (issued_ts, doc,
        count). One transaction, so two workers never issue two versions for one key."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT version, issued_ts, count, doc, key FROM node_rosters WHERE node = ?"
                " ORDER BY version DESC LIMIT 1",
                (node,),
            ).fetchone()
            if row is not None and row[4] == key:
                return RosterVersion(row[0], row[1], row[2], row[3])
            top = conn.execute(
                "SELECT max(v) FROM (SELECT max(version) AS v FROM roster_versions"
                " UNION ALL SELECT max(version) FROM node_rosters)"
            ).fetchone()
            version = int(top[0] or 0) + 1
            issued_ts, doc, count = build(version)
            conn.execute(
                "INSERT INTO node_rosters VALUES (?, ?, ?, ?, ?, ?, ?)",
                (version, node, key, issued_ts, count, doc, now),
            )
            return RosterVersion(version, issued_ts, count, doc)

    def add_event(self, event: EventRow) -> int:
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO events (node, day, roster_from, start_ts, end_ts, units, reason,"
                " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.node,
                    event.day,
                    event.roster_from,
                    event.start_ts,
                    event.end_ts,
                    json.dumps(list(event.units), ensure_ascii=False),
                    event.reason,
                    event.created_by,
                    event.created_at,
                ),
            )
            return int(cur.lastrowid or 0)

    def add_acceptance(self, acceptance: Acceptance) -> bool:
        """Store an official's acceptance; False when the record was accepted before."""
        a = acceptance
        with self._write() as conn:
            try:
                conn.execute(
                    "INSERT INTO record_acceptances VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        a.node,
                        a.epoch,
                        a.seq,
                        a.status,
                        a.accepted_by,
                        a.via,
                        a.reason,
                        a.accepted_at,
                    ),
                )
            except sqlite3.IntegrityError:
                return False
            _add_alert(
                conn,
                a.node,
                "accepted",
                f"{a.node}/{a.epoch}/{a.seq} ({a.status}) accepted by {a.accepted_by}",
                a.accepted_at,
            )
        return True

    def acceptances(self, limit: int = 100) -> list[Acceptance]:
        rows = self.conn().execute(
            "SELECT node, epoch, seq, status, accepted_by, via, reason, accepted_at"
            " FROM record_acceptances ORDER BY accepted_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [Acceptance(*r) for r in rows]

    # --- operations (healthz, metrics) -------------------------------------------------

    def known_migrations(self) -> list[str]:
        """The migrations this code has (``/healthz`` compares them with the database's)."""
        return [name for name, _ in MIGRATIONS]

    def applied_migrations(self) -> list[str]:
        """The migrations the database has, read over a new connection (so a database that
        went away is noticed, not hidden by an open one). SetupError when unreachable."""
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=5)
        except sqlite3.Error as exc:
            raise SetupError(f"cannot open {self.path}: {exc}") from exc
        try:
            return [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]
        except sqlite3.Error as exc:
            raise SetupError(f"cannot read {self.path}: {exc}") from exc
        finally:
            conn.close()

    # --- recap: rule versions, overlays, day and month closes (central/recap.py) -------

    def add_rule_version(
        self, rule_id: str, effective_from: str, source: str, sha256: str, by: str, now: float
    ) -> int | None:
        """Store a new rule version; None when a version with this id exists."""
        with self._write() as conn:
            try:
                cur = conn.execute(
                    "INSERT INTO recap_rules (id, effective_from, source, sha256, imported_by,"
                    " imported_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (rule_id, effective_from, source, sha256, by, now),
                )
            except sqlite3.IntegrityError:
                return None
            return int(cur.lastrowid or 0)

    def add_exception(
        self,
        nip: str,
        kind: str,
        day_from: str,
        day_to: str,
        part: str,
        reason: str,
        by: str,
        now: float,
        doc_no: str | None = None,
    ) -> int:
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO recap_exceptions (nip, kind, day_from, day_to, part, reason,"
                " created_by, created_at, doc_no) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (nip, kind, day_from, day_to, part, reason, by, now, doc_no),
            )
            new_id = int(cur.lastrowid or 0)
            conn.execute(
                "INSERT INTO recap_overlay_events (target, target_id, action, by, at)"
                " VALUES ('exception', ?, 'add', ?, ?)",
                (new_id, by, now),
            )
        return new_id

    def add_incident(
        self,
        ts_from: str,
        ts_to: str,
        unit: str | None,
        node: str | None,
        reason: str,
        by: str,
        now: float,
    ) -> int:
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO recap_incidents (ts_from, ts_to, unit, node, reason, created_by,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ts_from, ts_to, unit, node, reason, by, now),
            )
            new_id = int(cur.lastrowid or 0)
            conn.execute(
                "INSERT INTO recap_overlay_events (target, target_id, action, by, at)"
                " VALUES ('incident', ?, 'add', ?, ?)",
                (new_id, by, now),
            )
        return new_id

    def overlay_events(
        self,
        target: str,
        ids: list[int] | None = None,
    ) -> list[dict[str, Any]]:
        cur = self.conn().execute(
            "SELECT id, target, target_id, action, by, reason, at FROM recap_overlay_events"
            " WHERE target = ? ORDER BY id",
            (target,),
        )
        keys = [c[0] for c in cur.description]
        wanted = None if ids is None else set(ids)
        return [dict(zip(keys, r, strict=True)) for r in cur if wanted is None or r[2] in wanted]

    def add_day_close(self, day: str, unit: str | None, reason: str, by: str, now: float) -> int:
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO recap_day_closes (day, unit, reason, closed_by, closed_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (day, unit, reason, by, now),
            )
            return int(cur.lastrowid or 0)

    def month_actions(self, month: str) -> list[dict[str, Any]]:
        cur = self.conn().execute(
            "SELECT id, month, action, by, reason, at, record_cutoff, event_cutoff,"
            " rule_cutoff, day_close_cutoff, inputs_sha256 FROM recap_month_closes"
            " WHERE month = ? ORDER BY id",
            (month,),
        )
        keys = [c[0] for c in cur.description]
        return [dict(zip(keys, r, strict=True)) for r in cur]

    def add_month_action(
        self,
        month: str,
        action: str,
        by: str,
        reason: str | None,
        now: float,
        check: Callable[[list[dict[str, Any]]], None],
        seal: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        """Close or reopen a month after ``check(history)``; a close stores what ``seal()``
        returns (cutoffs and the inputs' hash), computed inside the same transaction so no
        record can slip in between the hash and the cutoff."""
        with self._write() as conn:
            check(self.month_actions(month))
            sealed = seal() if seal else {}
            conn.execute(
                "INSERT INTO recap_month_closes (month, action, by, reason, at, record_cutoff,"
                " event_cutoff, rule_cutoff, day_close_cutoff, inputs_sha256)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    month,
                    action,
                    by,
                    reason,
                    now,
                    sealed.get("record_cutoff"),
                    sealed.get("event_cutoff"),
                    sealed.get("rule_cutoff"),
                    sealed.get("day_close_cutoff"),
                    sealed.get("inputs_sha256"),
                ),
            )

    def cutoffs(self) -> dict[str, int]:
        """The newest id of each input of the recap: what a month close freezes."""
        conn = self.conn()

        def one(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0] or 0)

        return {
            "record_cutoff": one("SELECT max(id) FROM records"),
            "event_cutoff": one("SELECT max(id) FROM recap_overlay_events"),
            "rule_cutoff": one("SELECT max(version) FROM recap_rules"),
            "day_close_cutoff": one("SELECT max(id) FROM recap_day_closes"),
        }

    # --- accounts, sessions, API tokens, alerts and the audit log (002_accounts_) -------

    def accounts(self) -> list[Account]:
        rows = self.conn().execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY name")
        return [_account(r) for r in rows]

    def add_account(self, account: Account, entry: AuditEntry) -> bool:
        """Create ``account`` and audit it, atomically; False when the name is taken."""
        with self._write() as conn:
            try:
                conn.execute(
                    "INSERT INTO accounts (name, role, units, machine, created_at)"
                    " VALUES (?, ?, ?, 0, ?)",
                    (
                        account.name,
                        account.role,
                        json.dumps(list(account.units)),
                        account.created_at,
                    ),
                )
            except sqlite3.IntegrityError:
                return False
            _insert_audit(conn, entry)
        return True

    def add_password_link(
        self,
        account: str,
        link_hash: str,
        expires_at: float,
        now: float,
        *,
        reset: bool,
        entry: AuditEntry | None = None,
    ) -> None:
        """A one-time link to set the password. ``reset`` also clears the current password
        and ends every session, so the old password stops working at once; ``entry`` is
        audited in the same transaction."""
        with self._write() as conn:
            # Only the newest link works: an older one (maybe forwarded by mail) is spent.
            conn.execute(
                "UPDATE password_links SET used_at = ? WHERE account = ? AND used_at IS NULL",
                (now, account),
            )
            conn.execute(
                "INSERT INTO password_links VALUES (?, ?, ?, ?, NULL)",
                (link_hash, account, now, expires_at),
            )
            if reset:
                conn.execute("UPDATE accounts SET password_hash = NULL WHERE name = ?", (account,))
                conn.execute("DELETE FROM account_sessions WHERE account = ?", (account,))
            if entry is not None:
                _insert_audit(conn, entry)

    def use_password_link(self, link_hash: str, password_hash: str, now: float) -> str | None:
        """Spend the link and set the password, atomically; the account, or None when the
        link is unknown, used or expired (two tabs racing: only one wins)."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT l.account FROM password_links l JOIN accounts a ON a.name = l.account"
                " WHERE l.link_hash = ? AND l.used_at IS NULL AND l.expires_at > ?"
                " AND a.disabled = 0",
                (link_hash, now),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE password_links SET used_at = ? WHERE link_hash = ?", (now, link_hash)
            )
            _set_password(conn, row[0], password_hash, now)
            return str(row[0])

    def reserve_login_attempt(
        self, limits: dict[str, int], now: float, window_s: float, lock_s: float
    ) -> float | None:
        """Reserve one sign-in attempt on every key of ``limits`` (key -> attempts allowed
        per window) before the slow hash runs, in one ``BEGIN IMMEDIATE`` transaction.

        Returns None when reserved, else the seconds until the first locked key opens.
        Reserving first means concurrent guesses cannot all slip past the check; a lock is
        only ever set here, so no later failure can clear it.
        """
        with self._write() as conn:
            conn.execute(
                "DELETE FROM login_attempts WHERE window_start < ? AND locked_until < ?",
                (now - window_s, now),
            )
            rows = {}
            for key in limits:
                row = conn.execute(
                    "SELECT count, window_start, locked_until FROM login_attempts WHERE key = ?",
                    (key,),
                ).fetchone()
                if row and row[2] > now:
                    return float(row[2] - now)
                rows[key] = row
            for key, limit in limits.items():
                row = rows[key]
                count, start = (row[0], row[1]) if row and now - row[1] < window_s else (0, now)
                count += 1
                locked = now + lock_s if count >= limit else 0.0
                conn.execute(
                    "INSERT OR REPLACE INTO login_attempts VALUES (?, ?, ?, ?)",
                    (key, count, start, locked),
                )
        return None

    def api_tokens(self) -> list[ApiToken]:
        rows = self.conn().execute(
            f"SELECT {_TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, token_hash"
        )
        return [ApiToken(*r) for r in rows]

    def revoke_tokens(self, prefix: str, now: float) -> list[str]:
        """Revoke the live tokens whose hash starts with ``prefix``; their hashes."""
        with self._write() as conn:
            hashes = [
                r[0]
                for r in conn.execute(
                    "SELECT token_hash FROM api_tokens WHERE substr(token_hash, 1, ?) = ?"
                    " AND revoked_at IS NULL",
                    (len(prefix), prefix),
                )
            ]
            conn.executemany(
                "UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ?",
                [(now, h) for h in hashes],
            )
        return hashes

    def alert_page(
        self, *, node: str | None, kind: str | None, state: str, offset: int, limit: int
    ) -> tuple[list[AlertRow], int]:
        """Alerts newest first, filtered; ``state`` is ``open``, ``acknowledged`` or ``all``.
        Returns the page and the total matching, so a cut list can say so."""
        where, args = ["1 = 1"], []
        if node is not None:
            where.append("node = ?")
            args.append(node)
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if state == "open":
            where.append("acknowledged_at IS NULL")
        elif state == "acknowledged":
            where.append("acknowledged_at IS NOT NULL")
        clause = " AND ".join(where)
        conn = self.conn()
        total = conn.execute(f"SELECT count(*) FROM alerts WHERE {clause}", args).fetchone()[0]
        rows = conn.execute(
            "SELECT id, node, kind, message, ts, repeats, acknowledged_at, acknowledged_by,"
            f" ack_reason FROM alerts WHERE {clause} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [AlertRow(*r) for r in rows], int(total)

    def open_alert_counts(self) -> dict[str, int]:
        rows = self.conn().execute(
            "SELECT kind, count(*) FROM alerts WHERE acknowledged_at"
            " IS NULL GROUP BY kind ORDER BY kind"
        )
        return {k: int(n) for k, n in rows}

    def acknowledge_alert(self, alert_id: int, entry: AuditEntry) -> str:
        """Acknowledge an open alert and audit it in one transaction: ``ok``, ``unknown``
        or ``already`` (acknowledged before; nothing written)."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT acknowledged_at FROM alerts WHERE id = ?", (alert_id,)
            ).fetchone()
            if row is None:
                return "unknown"
            if row[0] is not None:
                return "already"
            conn.execute(
                "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ?,"
                " ack_reason = ? WHERE id = ?",
                (entry.ts, entry.actor, entry.reason, alert_id),
            )
            _insert_audit(conn, entry)
        return "ok"
