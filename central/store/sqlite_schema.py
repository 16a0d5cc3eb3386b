"""Central's SQLite schema: the versioned migrations ``SqliteStore.migrate`` applies.

Each step runs in its own ``BEGIN IMMEDIATE`` transaction with sqlite-utils. The names match
``pg_schema.py``'s, so both backends carry the same history. A migration that has run is never
edited; a new one is appended to ``MIGRATIONS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlite_utils

from .. import node_history, objection_sql
from .rows import LEGACY_TOKEN_DAYS, MACHINE_ACCOUNT


def _m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE nodes (
            name TEXT PRIMARY KEY,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'active', 'revoked', 'quarantined')),
            cert_pem TEXT,
            enrolled_at REAL,
            epoch TEXT,
            head_seq INTEGER,
            head_hash TEXT,
            anchor_ts TEXT,
            records_count INTEGER NOT NULL DEFAULT 0,
            last_sync REAL,
            clock_offset_ms INTEGER,
            new_epoch_allowed INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        );
        CREATE TABLE enroll_tokens (
            token_hash TEXT PRIMARY KEY,
            node TEXT NOT NULL REFERENCES nodes (name),
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL
        );
        CREATE TABLE api_tokens (
            token_hash TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
            created_at REAL NOT NULL
        );
        CREATE TABLE nonces (
            node TEXT NOT NULL, nonce TEXT NOT NULL, created REAL NOT NULL,
            PRIMARY KEY (node, nonce)
        );
        CREATE INDEX nonces_created ON nonces (created);
        CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            node TEXT NOT NULL,
            epoch TEXT NOT NULL,
            seq INTEGER NOT NULL,
            type TEXT NOT NULL,
            ts TEXT NOT NULL,
            hash TEXT NOT NULL,
            nip TEXT,
            day TEXT,
            kind TEXT,
            record TEXT NOT NULL,
            lower_ts TEXT,
            upper_ts TEXT NOT NULL,
            out_of_bounds INTEGER NOT NULL DEFAULT 0,
            UNIQUE (node, epoch, seq)
        );
        CREATE INDEX records_day_nip ON records (day, nip);
        CREATE TRIGGER records_no_update BEFORE UPDATE ON records
            BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
        CREATE TRIGGER records_no_delete BEFORE DELETE ON records
            BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
        CREATE TABLE evidence (
            id INTEGER PRIMARY KEY,
            node TEXT NOT NULL, epoch TEXT NOT NULL, seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            stored_record TEXT,
            other_record TEXT NOT NULL,
            detected_at REAL NOT NULL
        );
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            node TEXT, kind TEXT NOT NULL, message TEXT NOT NULL,
            ts REAL NOT NULL, repeats INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX alerts_node ON alerts (node, id);
        CREATE TABLE receipts (
            id INTEGER PRIMARY KEY,
            node TEXT NOT NULL, epoch TEXT NOT NULL, seq INTEGER NOT NULL, head TEXT NOT NULL,
            server_ts TEXT NOT NULL, receipt TEXT NOT NULL
        );
        CREATE INDEX receipts_node ON receipts (node, epoch, id);
        CREATE TABLE clock_samples (
            id INTEGER PRIMARY KEY,
            node TEXT NOT NULL, server_ts REAL NOT NULL, wall_ts TEXT, mono_us INTEGER,
            offset_ms INTEGER
        );
        CREATE INDEX clock_samples_node ON clock_samples (node, id);
        CREATE TABLE employees (
            nip TEXT PRIMARY KEY, name TEXT NOT NULL, unit TEXT NOT NULL,
            role TEXT NOT NULL, pin_hash TEXT NOT NULL
        );
        CREATE TABLE roster_versions (
            version INTEGER PRIMARY KEY, issued_ts TEXT NOT NULL, count INTEGER NOT NULL,
            doc TEXT NOT NULL, created_at REAL NOT NULL
        );
        """
    )


def _m002_trust_nodes(db: sqlite_utils.Database) -> None:
    """Central trusts a node only for its own office (docs/security.md): which node serves
    each employee, each node's own signed roster documents, events that open a node to other
    units for a window, officials' acceptances, and the per-record verdicts of ingest."""
    db.executescript(
        """
        ALTER TABLE employees ADD COLUMN node TEXT;
        CREATE INDEX employees_node ON employees (node);
        CREATE INDEX employees_unit ON employees (unit);
        ALTER TABLE records ADD COLUMN problem TEXT;
        ALTER TABLE records ADD COLUMN foreign_node INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE records ADD COLUMN method TEXT;
        CREATE TABLE node_rosters (
            version INTEGER PRIMARY KEY, node TEXT NOT NULL, key TEXT NOT NULL,
            issued_ts TEXT NOT NULL, count INTEGER NOT NULL, doc TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX node_rosters_node ON node_rosters (node, version);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            node TEXT NOT NULL, day TEXT NOT NULL,
            roster_from TEXT NOT NULL, start_ts TEXT NOT NULL, end_ts TEXT NOT NULL,
            units TEXT NOT NULL, reason TEXT NOT NULL, created_by TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX events_node ON events (node, end_ts);
        CREATE TABLE record_acceptances (
            node TEXT NOT NULL, epoch TEXT NOT NULL, seq INTEGER NOT NULL,
            status TEXT NOT NULL, accepted_by TEXT NOT NULL, via TEXT NOT NULL,
            reason TEXT NOT NULL, accepted_at REAL NOT NULL,
            PRIMARY KEY (node, epoch, seq)
        );
        CREATE TRIGGER record_acceptances_no_update BEFORE UPDATE ON record_acceptances
            BEGIN SELECT RAISE(ABORT, 'acceptances are append-only'); END;
        CREATE TRIGGER record_acceptances_no_delete BEFORE DELETE ON record_acceptances
            BEGIN SELECT RAISE(ABORT, 'acceptances are append-only'); END;
        CREATE INDEX receipts_first ON receipts (node, epoch, server_ts);
        """
    )


def _m002_ops2_batch_latency(db: sqlite_utils.Database) -> None:
    # /metrics: one row per latency bucket (``le`` as Prometheus writes it, not cumulative),
    # bumped inside each accepted batch's own transaction, so every server worker counts in
    # one place and a batch that rolls back is not counted.
    db.executescript(
        """
        CREATE TABLE batch_latency (
            le TEXT PRIMARY KEY, batches INTEGER NOT NULL, seconds REAL NOT NULL
        );
        """
    )


def _m002_recap_rules(db: sqlite_utils.Database) -> None:
    """The monthly recap (central/recap.py): rule versions, exceptions and incidents as
    overlays with their full history, days and months closed by officials. History tables
    are append-only, like ``records``."""
    db.executescript(
        """
        CREATE TABLE recap_rules (
            version INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            effective_from TEXT NOT NULL,
            source TEXT NOT NULL, sha256 TEXT NOT NULL,
            imported_by TEXT NOT NULL, imported_at REAL NOT NULL
        );
        CREATE TABLE recap_exceptions (
            id INTEGER PRIMARY KEY,
            nip TEXT NOT NULL, kind TEXT NOT NULL,
            day_from TEXT NOT NULL, day_to TEXT NOT NULL,
            part TEXT NOT NULL CHECK (part IN ('day', 'arrival', 'departure')),
            reason TEXT NOT NULL, created_by TEXT NOT NULL, created_at REAL NOT NULL
        );
        CREATE INDEX recap_exceptions_days ON recap_exceptions (day_to, day_from);
        CREATE TABLE recap_incidents (
            id INTEGER PRIMARY KEY,
            ts_from TEXT NOT NULL, ts_to TEXT NOT NULL, unit TEXT, node TEXT,
            reason TEXT NOT NULL, created_by TEXT NOT NULL, created_at REAL NOT NULL
        );
        CREATE TABLE recap_overlay_events (
            id INTEGER PRIMARY KEY,
            target TEXT NOT NULL CHECK (target IN ('exception', 'incident')),
            target_id INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('add', 'approve', 'reject')),
            by TEXT NOT NULL, reason TEXT, at REAL NOT NULL
        );
        CREATE INDEX recap_overlay_events_target ON recap_overlay_events (target, target_id);
        CREATE TABLE recap_day_closes (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL, unit TEXT, reason TEXT NOT NULL,
            closed_by TEXT NOT NULL, closed_at REAL NOT NULL
        );
        CREATE INDEX recap_day_closes_day ON recap_day_closes (day);
        CREATE TABLE recap_month_closes (
            id INTEGER PRIMARY KEY,
            month TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('close', 'reopen')),
            by TEXT NOT NULL, reason TEXT, at REAL NOT NULL,
            record_cutoff INTEGER, event_cutoff INTEGER, rule_cutoff INTEGER,
            day_close_cutoff INTEGER, inputs_sha256 TEXT
        );
        CREATE INDEX recap_month_closes_month ON recap_month_closes (month, id);
        """
    )
    for table in (
        "recap_rules",
        "recap_exceptions",
        "recap_incidents",
        "recap_overlay_events",
        "recap_day_closes",
        "recap_month_closes",
    ):
        db.executescript(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}"
            f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
            f" CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}"
            f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
        )


def _m002_accounts_and_audit(db: sqlite_utils.Database) -> None:
    """Personal accounts, their sessions and sign-in attempts, tokens owned by accounts with
    an expiry, acknowledged alerts and the append-only audit log.

    Statement by statement (not executescript, which would commit half-way) so the whole
    migration stays in migrate()'s one transaction.
    """
    now = time.time()
    for sql in (
        """CREATE TABLE accounts (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('viewer', 'approver', 'admin')),
            units TEXT NOT NULL DEFAULT '[]',
            password_hash TEXT,
            machine INTEGER NOT NULL DEFAULT 0,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            password_set_at REAL)""",
        """CREATE TABLE password_links (
            link_hash TEXT PRIMARY KEY,
            account TEXT NOT NULL REFERENCES accounts (name),
            created_at REAL NOT NULL, expires_at REAL NOT NULL, used_at REAL)""",
        """CREATE TABLE account_sessions (
            session_hash TEXT PRIMARY KEY,
            account TEXT NOT NULL REFERENCES accounts (name),
            csrf TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL)""",
        "CREATE INDEX account_sessions_account ON account_sessions (account)",
        """CREATE TABLE login_attempts (
            key TEXT PRIMARY KEY, count INTEGER NOT NULL, window_start REAL NOT NULL,
            locked_until REAL NOT NULL DEFAULT 0)""",
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY, ts REAL NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT)""",
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        "ALTER TABLE api_tokens ADD COLUMN account TEXT REFERENCES accounts (name)",
        "ALTER TABLE api_tokens ADD COLUMN expires_at REAL",
        "ALTER TABLE api_tokens ADD COLUMN revoked_at REAL",
        "ALTER TABLE alerts ADD COLUMN acknowledged_at REAL",
        "ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT",
        "ALTER TABLE alerts ADD COLUMN ack_reason TEXT",
        "CREATE INDEX alerts_kind ON alerts (kind, id)",
    ):
        db.execute(sql)
    db.execute(
        "INSERT INTO accounts (name, role, machine, created_at) VALUES (?, 'admin', 1, ?)",
        [MACHINE_ACCOUNT, now],
    )
    db.execute(
        "UPDATE api_tokens SET account = ?, expires_at = ?",
        [MACHINE_ACCOUNT, now + LEGACY_TOKEN_DAYS * 86400],
    )


def _m003_objections(db: sqlite_utils.Database) -> None:
    """Employees' own sessions at central and their objections (keberatan) with decisions,
    append-only (central/objection_sql.py holds the statements of both backends)."""
    for sql in objection_sql.SQLITE_STATEMENTS:
        db.execute(sql)


def _m003_node_history(db: sqlite_utils.Database) -> None:
    # The nodes page's pictures: per node per hour the latest backlog and clock offset.
    db.executescript(node_history.SQLITE_TABLE)


def _m003_exception_docno(db: sqlite_utils.Database) -> None:
    """An exception's optional document number (the leave letter, the travel order), shown
    to the approver. A new column, not part of ``exceptions_between``: it changes no recap
    and no closed month's inputs hash."""
    db.execute("ALTER TABLE recap_exceptions ADD COLUMN doc_no TEXT")


def _m003_recap_index(db: sqlite_utils.Database) -> None:
    """The recap's first in / last out per employee and day (``recap_first_last``) read
    from this index alone, already in group order, and its test of which rows are plain
    made without visiting the table (docs/performance.md, the recap)."""
    db.execute(
        "CREATE INDEX records_recap ON records (day, nip, node, kind, ts, epoch,"
        " problem, out_of_bounds, foreign_node, lower_ts) WHERE type = 'checkin'"
    )


# Append only; a migration that has run is never edited (a migration is history).
MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
    ("002_trust_nodes", _m002_trust_nodes),
    ("002_ops2_batch_latency", _m002_ops2_batch_latency),
    ("002_recap_rules", _m002_recap_rules),
    ("002_accounts_and_audit", _m002_accounts_and_audit),
    ("003_objections", _m003_objections),
    ("003_node_history", _m003_node_history),
    ("003_exception_docno", _m003_exception_docno),
    ("003_recap_index", _m003_recap_index),
]
