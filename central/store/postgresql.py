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

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import SetupError
from . import pg_schema as pgschema
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

_RECORD_COLUMNS = RECORD_COLUMNS

# Advisory lock keys (transaction-scoped) for read-then-write steps that SQLite serialises
# with BEGIN IMMEDIATE and that have no single row to lock here.
_ROSTER_VERSION_LOCK = 0x72737472  # the version count node and regency rosters share
_MONTH_CLOSE_LOCK = 0x6D6F6E74  # month close/reopen: the history check, then the insert
_LOGIN_LOCK = 0x6C6F6769  # sign-in attempts: reserve on every key, then the hash

# Old nonces are deleted at most this often per process (every request did it on SQLite; here
# several servers deleting the same rows at once would only wait on each other).
_NONCE_SWEEP_S = 60.0


def _day_range(day: str) -> tuple[str, str]:
    """The UTC ``ts`` interval of one WITA day: lets PostgreSQL skip the other partitions."""
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC) - timedelta(hours=8)
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    return start.strftime(fmt), (start + timedelta(days=1)).strftime(fmt)


class PgIngestTx(PortableIngestTx):
    """``IngestTx`` on one connection inside one transaction holding the node's row lock."""

    conn: psycopg.Connection

    def node(self, name: str) -> NodeRow | None:
        # The lock that makes ingest exactly-once across servers: held until commit.
        return _node(
            self.conn.execute(
                f"SELECT {_NODE_COLUMNS} FROM nodes WHERE name = %s FOR UPDATE", (name,)
            ).fetchone()
        )

    def insert_records(self, rows: list[StoredRecord]) -> None:
        # COPY: one round trip for the whole batch, the fastest way in.
        with self.conn.cursor().copy(f"COPY records ({_RECORD_COLUMNS}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(
                    (
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
                        r.out_of_bounds,
                        r.problem,
                        r.foreign,
                        r.method,
                    )
                )

    # --- trust (central/trust.py) ------------------------------------------------------

    def employees_by_nip(self, nips: list[str]) -> dict[str, Employee]:
        rows = self.conn.execute(
            f"SELECT {_EMPLOYEE_COLUMNS} FROM employees WHERE nip = ANY(%s)", (sorted(set(nips)),)
        ).fetchall()
        return {r[0]: Employee(*r) for r in rows}


class PostgresStore(PortableStore):
    """``CentralStore`` over a PostgreSQL database given by a libpq URL."""

    TEXT_ORDER = ' COLLATE "C"'
    LOCK_ROW = " FOR UPDATE"

    def __init__(
        self,
        url: str,
        *,
        password: str | None = None,
        pool_size: int = 16,
        read_only: bool = False,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.clock = clock
        self._password = password
        # The connection of the write transaction this thread is in: reads made inside it
        # (a month close's seal) see and hold what the transaction does, as on SQLite.
        self._local = threading.local()
        self._history_pruned: dict[str, int] = {}
        kwargs: dict[str, Any] = {"autocommit": True}
        if password is not None:
            kwargs["password"] = password
        if read_only:  # a replica for reports: a write here is a bug, refused by PostgreSQL
            kwargs["options"] = "-c default_transaction_read_only=on"
        # check: a connection the database dropped (a restart, a failover) is replaced when
        # taken from the pool, instead of failing the request that got it.
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, pool_size),
            kwargs=kwargs,
            open=True,
            name="presensi-central",
            check=ConnectionPool.check_connection,
            timeout=timeout,
        )
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
        current: psycopg.Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection]:
        current: psycopg.Connection | None = getattr(self._local, "conn", None)
        if current is not None:  # nested: a savepoint in the same transaction
            with current.transaction():
                yield current
            return
        with self._pool.connection() as conn, conn.transaction():
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

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

    # --- nodes (enrollment: portable.py) -----------------------------------------------

    def nodes(self) -> list[NodeRow]:
        with self._read() as conn:
            rows = conn.execute(
                f'SELECT {_NODE_COLUMNS} FROM nodes ORDER BY name COLLATE "C"'
            ).fetchall()
        return [n for n in map(_node, rows) if n is not None]

    # --- API tokens and nonces ---------------------------------------------------------

    def remember_nonce(
        self, node: str, nonce: str, created: float, now: float, keep_s: float
    ) -> bool:
        """Record a request nonce; False when it was seen before (a replay)."""
        with self._read() as conn:
            if now - self._nonce_swept > _NONCE_SWEEP_S:
                self._nonce_swept = now
                conn.execute("DELETE FROM nonces WHERE created < %s", (now - keep_s,))
            cur = conn.execute(
                "INSERT INTO nonces VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (node, nonce, created),
            )
            return cur.rowcount == 1

    # --- ingest ------------------------------------------------------------------------

    @contextmanager
    def ingest_transaction(self) -> Iterator[PgIngestTx]:
        """One transaction; ``tx.node()`` locks the node's row. Commits when the block ends."""
        self._ensure_partitions()
        with self._write() as conn:
            yield PgIngestTx(conn, self._history_pruned)

    def _ensure_partitions(self) -> None:
        """Once a month per process, outside any ingest (see ``pgschema.ensure_partitions``)."""
        month = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m")
        if month == self._partitions_month:
            return
        with self._lock, self._read() as conn:
            if month != self._partitions_month:
                pgschema.ensure_partitions(conn, self.clock())
                self._partitions_month = month

    # --- roster ------------------------------------------------------------------------

    def employees(self) -> list[Employee]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_EMPLOYEE_COLUMNS} FROM employees"
                ' ORDER BY unit COLLATE "C", name COLLATE "C", nip COLLATE "C"'
            ).fetchall()
        return [Employee(*r) for r in rows]

    def install_roster(
        self, version: int, issued_ts: str, doc: str, employees: list[Employee], now: float
    ) -> None:
        """Replace the employees and store the signed document, in one transaction."""
        with self._write() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ROSTER_VERSION_LOCK,))
            conn.execute("DELETE FROM employees")
            with conn.cursor().copy(f"COPY employees ({_EMPLOYEE_COLUMNS}) FROM STDIN") as copy:
                for e in employees:
                    copy.write_row((e.nip, e.name, e.unit, e.role, e.pin_hash, e.node))
            conn.execute(
                "INSERT INTO roster_versions VALUES (%s, %s, %s, %s, %s)",
                (version, issued_ts, len(employees), doc, now),
            )

    # --- reports -----------------------------------------------------------------------

    def checkins_on(self, day: str) -> list[StoredRecord]:
        start, stop = _day_range(day)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_RECORD_COLUMNS} FROM records WHERE day = %s AND type = 'checkin'"
                ' AND ts >= %s AND ts < %s ORDER BY ts, node COLLATE "C", seq',
                (day, start, stop),
            ).fetchall()
        return [_stored(r) for r in rows]

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

    # --- operations (healthz, metrics) -------------------------------------------------

    def known_migrations(self) -> list[str]:
        return [name for name, _ in pgschema.MIGRATIONS]

    def applied_migrations(self) -> list[str]:
        """The migrations the database has, read over a new connection (so a database that
        went away is noticed, not hidden by the pool). SetupError when unreachable."""
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": 5}
        if self._password is not None:
            kwargs["password"] = self._password
        try:
            with psycopg.connect(self.url, **kwargs) as conn:
                rows = conn.execute(
                    'SELECT name FROM _migrations ORDER BY name COLLATE "C"'
                ).fetchall()
        except psycopg.Error as exc:
            raise SetupError(f"cannot read the PostgreSQL database {self.url}: {exc}") from exc
        return [r[0] for r in rows]

    # --- trust: node rosters, events, acceptances (central/trust.py, noderoster.py) -------

    def employees_for_node(self, node: str, units: list[str]) -> list[Employee]:
        """The employees ``node`` serves, plus every employee of ``units`` (events)."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_EMPLOYEE_COLUMNS} FROM employees WHERE node = %s"
                ' OR unit = ANY(%s) ORDER BY nip COLLATE "C"',
                (node, list(units)),
            ).fetchall()
        return [Employee(*r) for r in rows]

    def max_roster_version(self) -> int:
        with self._read() as conn:
            return _max_roster_version(conn)

    def issue_node_roster(
        self, node: str, key: str, build: Callable[[int], tuple[str, str, int]], now: float
    ) -> RosterVersion:
        """The node's roster document for ``key``: the one issued already, or a new one with
        the next shared version. The roster-version advisory lock makes the read-then-write
        one step across servers (SQLite: BEGIN IMMEDIATE)."""
        with self._write() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ROSTER_VERSION_LOCK,))
            row = conn.execute(
                "SELECT version, issued_ts, count, doc, key FROM node_rosters WHERE node = %s"
                " ORDER BY version DESC LIMIT 1",
                (node,),
            ).fetchone()
            if row is not None and row[4] == key:
                return RosterVersion(row[0], row[1], row[2], row[3])
            version = _max_roster_version(conn) + 1
            issued_ts, doc, count = build(version)
            conn.execute(
                "INSERT INTO node_rosters VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (version, node, key, issued_ts, count, doc, now),
            )
            return RosterVersion(version, issued_ts, count, doc)

    def add_event(self, event: EventRow) -> int:
        with self._write() as conn:
            row = conn.execute(
                "INSERT INTO events (node, day, roster_from, start_ts, end_ts, units, reason,"
                " created_by, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " RETURNING id",
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
            ).fetchone()
        return int(row[0]) if row else 0

    def add_acceptance(self, acceptance: Acceptance) -> bool:
        """Store an official's acceptance; False when the record was accepted before."""
        a = acceptance
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO record_acceptances (node, epoch, seq, status, accepted_by, via,"
                " reason, accepted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (a.node, a.epoch, a.seq, a.status, a.accepted_by, a.via, a.reason, a.accepted_at),
            )
            if cur.rowcount != 1:
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
        with self._read() as conn:
            rows = conn.execute(
                "SELECT node, epoch, seq, status, accepted_by, via, reason, accepted_at"
                " FROM record_acceptances ORDER BY accepted_at DESC, n DESC LIMIT %s",
                (limit,),
            ).fetchall()
        return [Acceptance(*r) for r in rows]

    # --- recap: rule versions, overlays, day and month closes (central/recap.py) -------

    def add_rule_version(
        self, rule_id: str, effective_from: str, source: str, sha256: str, by: str, now: float
    ) -> int | None:
        """Store a new rule version; None when a version with this id exists."""
        with self._write() as conn:
            row = conn.execute(
                "INSERT INTO recap_rules (id, effective_from, source, sha256, imported_by,"
                " imported_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING"
                " RETURNING version",
                (rule_id, effective_from, source, sha256, by, now),
            ).fetchone()
        return int(row[0]) if row else None

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
            row = conn.execute(
                "INSERT INTO recap_exceptions (nip, kind, day_from, day_to, part, reason,"
                " created_by, created_at, doc_no) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " RETURNING id",
                (nip, kind, day_from, day_to, part, reason, by, now, doc_no),
            ).fetchone()
            new_id = int(row[0]) if row else 0
            conn.execute(
                'INSERT INTO recap_overlay_events (target, target_id, action, "by", at)'
                " VALUES ('exception', %s, 'add', %s, %s)",
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
            row = conn.execute(
                "INSERT INTO recap_incidents (ts_from, ts_to, unit, node, reason, created_by,"
                " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (ts_from, ts_to, unit, node, reason, by, now),
            ).fetchone()
            new_id = int(row[0]) if row else 0
            conn.execute(
                'INSERT INTO recap_overlay_events (target, target_id, action, "by", at)'
                " VALUES ('incident', %s, 'add', %s, %s)",
                (new_id, by, now),
            )
        return new_id

    def overlay_events(
        self,
        target: str,
        ids: list[int] | None = None,
    ) -> list[dict[str, Any]]:
        rows = self._dicts(
            'SELECT id, target, target_id, action, "by", reason, at FROM recap_overlay_events'
            " WHERE target = ? ORDER BY id",
            (target,),
        )
        wanted = None if ids is None else set(ids)
        return [r for r in rows if wanted is None or r["target_id"] in wanted]

    def add_day_close(self, day: str, unit: str | None, reason: str, by: str, now: float) -> int:
        with self._write() as conn:
            row = conn.execute(
                "INSERT INTO recap_day_closes (day, unit, reason, closed_by, closed_at)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (day, unit, reason, by, now),
            ).fetchone()
        return int(row[0]) if row else 0

    def month_actions(self, month: str) -> list[dict[str, Any]]:
        return self._dicts(
            'SELECT id, month, action, "by", reason, at, record_cutoff, event_cutoff,'
            " rule_cutoff, day_close_cutoff, inputs_sha256 FROM recap_month_closes"
            " WHERE month = ? ORDER BY id",
            (month,),
        )

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
        returns, computed inside this transaction. The month-close advisory lock orders two
        officials; SHARE locks on the recap's inputs wait for writers in flight and keep new
        ones out until commit, so no row can slip in between the hash and the cutoff (ids
        come from sequences, which are not in commit order)."""
        with self._write() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MONTH_CLOSE_LOCK,))
            if seal is not None:
                conn.execute(
                    "LOCK TABLE records, recap_overlay_events, recap_rules,"
                    " recap_day_closes IN SHARE MODE"
                )
            check(self.month_actions(month))
            sealed = seal() if seal else {}
            conn.execute(
                'INSERT INTO recap_month_closes (month, action, "by", reason, at, record_cutoff,'
                " event_cutoff, rule_cutoff, day_close_cutoff, inputs_sha256)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
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
        with self._read() as conn:

            def one(sql: str) -> int:
                row = conn.execute(sql).fetchone()
                return int(row[0] or 0) if row else 0

            return {
                "record_cutoff": one("SELECT max(id) FROM records"),
                "event_cutoff": one("SELECT max(id) FROM recap_overlay_events"),
                "rule_cutoff": one("SELECT max(version) FROM recap_rules"),
                "day_close_cutoff": one("SELECT max(id) FROM recap_day_closes"),
            }

    # --- accounts, sessions, API tokens, alerts and the audit log (002_accounts_) -------

    def accounts(self) -> list[Account]:
        with self._read() as conn:
            rows = conn.execute(
                f'SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY name COLLATE "C"'
            ).fetchall()
        return [_account(r) for r in rows]

    def add_account(self, account: Account, entry: AuditEntry) -> bool:
        """Create ``account`` and audit it, atomically; False when the name is taken."""
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO accounts (name, role, units, machine, created_at)"
                " VALUES (%s, %s, %s, false, %s) ON CONFLICT (name) DO NOTHING",
                (account.name, account.role, json.dumps(list(account.units)), account.created_at),
            )
            if cur.rowcount != 1:
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
        """A one-time link to set the password (see ``SqliteStore.add_password_link``)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE password_links SET used_at = %s WHERE account = %s AND used_at IS NULL",
                (now, account),
            )
            conn.execute(
                "INSERT INTO password_links VALUES (%s, %s, %s, %s, NULL)",
                (link_hash, account, now, expires_at),
            )
            if reset:
                conn.execute("UPDATE accounts SET password_hash = NULL WHERE name = %s", (account,))
                conn.execute("DELETE FROM account_sessions WHERE account = %s", (account,))
            if entry is not None:
                _insert_audit(conn, entry)

    def use_password_link(self, link_hash: str, password_hash: str, now: float) -> str | None:
        """Spend the link and set the password, atomically. The link's row is locked: of two
        tabs racing, the second waits and then finds it used."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT l.account FROM password_links l JOIN accounts a ON a.name = l.account"
                " WHERE l.link_hash = %s AND l.used_at IS NULL AND l.expires_at > %s"
                " AND NOT a.disabled FOR UPDATE OF l",
                (link_hash, now),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE password_links SET used_at = %s WHERE link_hash = %s", (now, link_hash)
            )
            _set_password(conn, row[0], password_hash, now)
            return str(row[0])

    def reserve_login_attempt(
        self, limits: dict[str, int], now: float, window_s: float, lock_s: float
    ) -> float | None:
        """Reserve one sign-in attempt on every key of ``limits`` before the slow hash runs
        (see ``SqliteStore.reserve_login_attempt``). One advisory lock orders the reservations
        of every server, as BEGIN IMMEDIATE does on SQLite: concurrent guesses cannot all
        slip past the check."""
        with self._write() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOGIN_LOCK,))
            conn.execute(
                "DELETE FROM login_attempts WHERE window_start < %s AND locked_until < %s",
                (now - window_s, now),
            )
            rows = {}
            for key in limits:
                row = conn.execute(
                    "SELECT count, window_start, locked_until FROM login_attempts WHERE key = %s",
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
                    "INSERT INTO login_attempts VALUES (%s, %s, %s, %s) ON CONFLICT (key)"
                    " DO UPDATE SET count = excluded.count,"
                    " window_start = excluded.window_start,"
                    " locked_until = excluded.locked_until",
                    (key, count, start, locked),
                )
        return None

    def api_tokens(self) -> list[ApiToken]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM api_tokens"
                ' ORDER BY created_at, token_hash COLLATE "C"'
            ).fetchall()
        return [ApiToken(*r) for r in rows]

    def revoke_tokens(self, prefix: str, now: float) -> list[str]:
        """Revoke the live tokens whose hash starts with ``prefix``; their hashes."""
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE api_tokens SET revoked_at = %s WHERE left(token_hash, %s) = %s"
                " AND revoked_at IS NULL RETURNING token_hash",
                (now, len(prefix), prefix),
            ).fetchall()
        return sorted(r[0] for r in rows)

    def alert_page(
        self, *, node: str | None, kind: str | None, state: str, offset: int, limit: int
    ) -> tuple[list[AlertRow], int]:
        """Alerts newest first, filtered; ``state`` is ``open``, ``acknowledged`` or ``all``.
        Returns the page and the total matching."""
        where, args = ["true"], []
        if node is not None:
            where.append("node = %s")
            args.append(node)
        if kind is not None:
            where.append("kind = %s")
            args.append(kind)
        if state == "open":
            where.append("acknowledged_at IS NULL")
        elif state == "acknowledged":
            where.append("acknowledged_at IS NOT NULL")
        clause = " AND ".join(where)
        with self._read() as conn:
            row = conn.execute(f"SELECT count(*) FROM alerts WHERE {clause}", args).fetchone()
            rows = conn.execute(
                "SELECT id, node, kind, message, ts, repeats, acknowledged_at,"
                f" acknowledged_by, ack_reason FROM alerts WHERE {clause}"
                " ORDER BY id DESC LIMIT %s OFFSET %s",
                [*args, limit, offset],
            ).fetchall()
        return [AlertRow(*r) for r in rows], int(row[0]) if row else 0

    def open_alert_counts(self) -> dict[str, int]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT kind, count(*) FROM alerts WHERE acknowledged_at"
                ' IS NULL GROUP BY kind ORDER BY kind COLLATE "C"'
            ).fetchall()
        return {k: int(n) for k, n in rows}

    def acknowledge_alert(self, alert_id: int, entry: AuditEntry) -> str:
        """Acknowledge an open alert and audit it in one transaction: ``ok``, ``unknown``
        or ``already``. The alert's row is locked, so two officials acknowledge it once."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT acknowledged_at FROM alerts WHERE id = %s FOR UPDATE", (alert_id,)
            ).fetchone()
            if row is None:
                return "unknown"
            if row[0] is not None:
                return "already"
            conn.execute(
                "UPDATE alerts SET acknowledged_at = %s, acknowledged_by = %s,"
                " ack_reason = %s WHERE id = %s",
                (entry.ts, entry.actor, entry.reason, alert_id),
            )
            _insert_audit(conn, entry)
        return "ok"


def _max_roster_version(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT max(v) FROM (SELECT max(version) AS v FROM roster_versions"
        " UNION ALL SELECT max(version) FROM node_rosters) AS both_rosters"
    ).fetchone()
    return int(row[0] or 0) if row else 0
