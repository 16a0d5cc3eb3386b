"""Central's PostgreSQL schema: versioned migrations and the monthly partitions of ``records``.

The tables and their names match ``sqlite_schema.py``'s SQLite migrations, so both backends
carry the same history (``001_initial`` here is ``001_initial`` there). A migration that has
run is never edited; a new one is appended to ``MIGRATIONS``.

``records`` is range-partitioned by month on ``ts`` (RFC 3339 UTC text in the "C" collation,
so text order is time order): one partition per month, made ahead of time by
``ensure_partitions`` for the months around now, and a default partition for anything else
(a node whose clock says 1999 or 2090 cannot make central create partitions).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from .. import node_history

# One advisory lock key for schema changes: several app servers starting at once migrate
# one after the other, and each checks inside the lock whether a step already ran.
MIGRATION_LOCK = 0x70726573  # "pres"

# Months of partitions kept ready: this many before the current month and after it.
MONTHS_BEHIND = 12
MONTHS_AHEAD = 2

_M001 = """
CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE nodes (
    name text PRIMARY KEY,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'active', 'revoked', 'quarantined')),
    cert_pem text,
    enrolled_at double precision,
    epoch text,
    head_seq bigint,
    head_hash text,
    anchor_ts text,
    records_count bigint NOT NULL DEFAULT 0,
    last_sync double precision,
    clock_offset_ms bigint,
    new_epoch_allowed boolean NOT NULL DEFAULT false,
    created_at double precision NOT NULL
);
CREATE TABLE enroll_tokens (
    token_hash text PRIMARY KEY,
    node text NOT NULL REFERENCES nodes (name),
    created_at double precision NOT NULL,
    expires_at double precision NOT NULL,
    used_at double precision
);
CREATE TABLE api_tokens (
    token_hash text PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('viewer', 'admin')),
    created_at double precision NOT NULL
);
CREATE TABLE nonces (
    node text NOT NULL, nonce text NOT NULL, created double precision NOT NULL,
    PRIMARY KEY (node, nonce)
);
CREATE INDEX nonces_created ON nonces (created);
-- The primary key must hold the partition key. (node, epoch, seq) alone is kept unique by
-- ingest, which holds the node's row lock while it reads the head and inserts; and a record
-- sent twice has the same ts (it is signed), so it lands in the same partition and the key
-- refuses it there too.
CREATE TABLE records (
    node text NOT NULL,
    epoch text NOT NULL,
    seq bigint NOT NULL,
    type text NOT NULL,
    ts text COLLATE "C" NOT NULL,
    hash text NOT NULL,
    nip text,
    day text,
    kind text,
    record text NOT NULL,
    lower_ts text,
    upper_ts text NOT NULL,
    out_of_bounds boolean NOT NULL DEFAULT false,
    PRIMARY KEY (node, epoch, seq, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE records_default PARTITION OF records DEFAULT;
CREATE INDEX records_day_nip ON records (day, nip);
CREATE FUNCTION records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'records are append-only';
END $$;
CREATE TRIGGER records_no_change BEFORE UPDATE OR DELETE ON records
    FOR EACH ROW EXECUTE FUNCTION records_append_only();
CREATE TABLE evidence (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node text NOT NULL, epoch text NOT NULL, seq bigint NOT NULL,
    kind text NOT NULL,
    stored_record text,
    other_record text NOT NULL,
    detected_at double precision NOT NULL
);
CREATE INDEX evidence_node ON evidence (node, epoch, kind);
CREATE TABLE alerts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node text, kind text NOT NULL, message text NOT NULL,
    ts double precision NOT NULL, repeats bigint NOT NULL DEFAULT 1
);
CREATE INDEX alerts_node ON alerts (node, id);
CREATE TABLE receipts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node text NOT NULL, epoch text NOT NULL, seq bigint NOT NULL, head text NOT NULL,
    server_ts text NOT NULL, receipt text NOT NULL
);
CREATE INDEX receipts_node ON receipts (node, epoch, id);
CREATE TABLE clock_samples (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node text NOT NULL, server_ts double precision NOT NULL, wall_ts text, mono_us bigint,
    offset_ms bigint
);
CREATE INDEX clock_samples_node ON clock_samples (node, id);
CREATE TABLE employees (
    nip text PRIMARY KEY, name text NOT NULL, unit text NOT NULL,
    role text NOT NULL, pin_hash text NOT NULL
);
CREATE TABLE roster_versions (
    version bigint PRIMARY KEY, issued_ts text NOT NULL, count bigint NOT NULL,
    doc text NOT NULL, created_at double precision NOT NULL
);
"""


def _sql_step(text: str) -> Callable[[psycopg.Connection], None]:
    def step(conn: psycopg.Connection) -> None:
        conn.execute(text.encode())  # bytes: run as one multi-statement simple query

    return step


# Timestamps that are compared or ordered are text in the "C" collation, as SQLite compares.
_M002_TRUST_NODES = """
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
ALTER TABLE employees ADD COLUMN node text;
CREATE INDEX employees_node ON employees (node);
CREATE INDEX employees_unit ON employees (unit);
ALTER TABLE records ADD COLUMN problem text;
ALTER TABLE records ADD COLUMN foreign_node boolean NOT NULL DEFAULT false;
ALTER TABLE records ADD COLUMN method text;
CREATE TABLE node_rosters (
    version bigint PRIMARY KEY, node text NOT NULL, key text NOT NULL,
    issued_ts text NOT NULL, count bigint NOT NULL, doc text NOT NULL,
    created_at double precision NOT NULL
);
CREATE INDEX node_rosters_node ON node_rosters (node, version);
CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node text NOT NULL, day text NOT NULL,
    roster_from text COLLATE "C" NOT NULL, start_ts text COLLATE "C" NOT NULL,
    end_ts text COLLATE "C" NOT NULL,
    units text NOT NULL, reason text NOT NULL, created_by text NOT NULL,
    created_at double precision NOT NULL
);
CREATE INDEX events_node ON events (node, end_ts);
-- n: insertion order (SQLite's rowid), for the newest-first listing.
CREATE TABLE record_acceptances (
    node text NOT NULL, epoch text NOT NULL, seq bigint NOT NULL,
    status text NOT NULL, accepted_by text NOT NULL, via text NOT NULL,
    reason text NOT NULL, accepted_at double precision NOT NULL,
    n bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (node, epoch, seq)
);
CREATE TRIGGER record_acceptances_no_change BEFORE UPDATE OR DELETE ON record_acceptances
    FOR EACH ROW EXECUTE FUNCTION append_only();
ALTER TABLE receipts ALTER COLUMN server_ts TYPE text COLLATE "C";
CREATE INDEX receipts_first ON receipts (node, epoch, server_ts);
"""

_M002_OPS2_BATCH_LATENCY = """
CREATE TABLE batch_latency (
    le text PRIMARY KEY, batches bigint NOT NULL, seconds double precision NOT NULL
);
"""

# records gets the id SQLite's rowid gives it (a month close freezes the newest id); a
# sequence, since an identity column cannot be added to a partitioned table.
_M002_RECAP_RULES = """
CREATE SEQUENCE records_id_seq AS bigint;
ALTER TABLE records ADD COLUMN id bigint NOT NULL DEFAULT nextval('records_id_seq');
ALTER SEQUENCE records_id_seq OWNED BY records.id;
CREATE INDEX records_id ON records (id);
CREATE TABLE recap_rules (
    version bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    effective_from text NOT NULL,
    source text NOT NULL, sha256 text NOT NULL,
    imported_by text NOT NULL, imported_at double precision NOT NULL
);
CREATE TABLE recap_exceptions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nip text NOT NULL, kind text NOT NULL,
    day_from text COLLATE "C" NOT NULL, day_to text COLLATE "C" NOT NULL,
    part text NOT NULL CHECK (part IN ('day', 'arrival', 'departure')),
    reason text NOT NULL, created_by text NOT NULL, created_at double precision NOT NULL
);
CREATE INDEX recap_exceptions_days ON recap_exceptions (day_to, day_from);
CREATE TABLE recap_incidents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts_from text COLLATE "C" NOT NULL, ts_to text COLLATE "C" NOT NULL, unit text, node text,
    reason text NOT NULL, created_by text NOT NULL, created_at double precision NOT NULL
);
CREATE TABLE recap_overlay_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target text NOT NULL CHECK (target IN ('exception', 'incident')),
    target_id bigint NOT NULL,
    action text NOT NULL CHECK (action IN ('add', 'approve', 'reject')),
    "by" text NOT NULL, reason text, at double precision NOT NULL
);
CREATE INDEX recap_overlay_events_target ON recap_overlay_events (target, target_id);
CREATE TABLE recap_day_closes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day text COLLATE "C" NOT NULL, unit text, reason text NOT NULL,
    closed_by text NOT NULL, closed_at double precision NOT NULL
);
CREATE INDEX recap_day_closes_day ON recap_day_closes (day);
CREATE TABLE recap_month_closes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    month text NOT NULL,
    action text NOT NULL CHECK (action IN ('close', 'reopen')),
    "by" text NOT NULL, reason text, at double precision NOT NULL,
    record_cutoff bigint, event_cutoff bigint, rule_cutoff bigint,
    day_close_cutoff bigint, inputs_sha256 text
);
CREATE INDEX recap_month_closes_month ON recap_month_closes (month, id);
""" + "".join(
    f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}"
    " FOR EACH ROW EXECUTE FUNCTION append_only();\n"
    for table in (
        "recap_rules",
        "recap_exceptions",
        "recap_incidents",
        "recap_overlay_events",
        "recap_day_closes",
        "recap_month_closes",
    )
)

_M002_ACCOUNTS_AND_AUDIT = """
CREATE TABLE accounts (
    name text PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('viewer', 'approver', 'admin')),
    units text NOT NULL DEFAULT '[]',
    password_hash text,
    machine boolean NOT NULL DEFAULT false,
    disabled boolean NOT NULL DEFAULT false,
    created_at double precision NOT NULL,
    password_set_at double precision
);
CREATE TABLE password_links (
    link_hash text PRIMARY KEY,
    account text NOT NULL REFERENCES accounts (name),
    created_at double precision NOT NULL, expires_at double precision NOT NULL,
    used_at double precision
);
CREATE TABLE account_sessions (
    session_hash text PRIMARY KEY,
    account text NOT NULL REFERENCES accounts (name),
    csrf text NOT NULL, created_at double precision NOT NULL,
    expires_at double precision NOT NULL
);
CREATE INDEX account_sessions_account ON account_sessions (account);
CREATE TABLE login_attempts (
    key text PRIMARY KEY, count bigint NOT NULL, window_start double precision NOT NULL,
    locked_until double precision NOT NULL DEFAULT 0
);
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ts double precision NOT NULL,
    actor text NOT NULL, action text NOT NULL, target text NOT NULL, reason text NOT NULL,
    detail text
);
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION append_only();
ALTER TABLE api_tokens ADD COLUMN account text REFERENCES accounts (name);
ALTER TABLE api_tokens ADD COLUMN expires_at double precision;
ALTER TABLE api_tokens ADD COLUMN revoked_at double precision;
ALTER TABLE alerts ADD COLUMN acknowledged_at double precision;
ALTER TABLE alerts ADD COLUMN acknowledged_by text;
ALTER TABLE alerts ADD COLUMN ack_reason text;
CREATE INDEX alerts_kind ON alerts (kind, id);
"""


def _m002_accounts_and_audit(conn: psycopg.Connection) -> None:
    """As SQLite's: the machine account, and tokens made before accounts belong to it."""
    from .rows import LEGACY_TOKEN_DAYS, MACHINE_ACCOUNT

    now = time.time()
    conn.execute(_M002_ACCOUNTS_AND_AUDIT.encode())
    conn.execute(
        "INSERT INTO accounts (name, role, machine, created_at) VALUES (%s, 'admin', true, %s)",
        (MACHINE_ACCOUNT, now),
    )
    conn.execute(
        "UPDATE api_tokens SET account = %s, expires_at = %s",
        (MACHINE_ACCOUNT, now + LEGACY_TOKEN_DAYS * 86400),
    )


def _m003_objections(conn: psycopg.Connection) -> None:
    """As SQLite's: employees' sessions and append-only objections with their decisions."""
    from ..objection_sql import POSTGRES_SCRIPT

    conn.execute(POSTGRES_SCRIPT.encode())


# An exception's optional document number; not read by the recap (see sqlite_schema.py).
_M003_EXCEPTION_DOCNO = "ALTER TABLE recap_exceptions ADD COLUMN doc_no text;"

# As SQLite's 003_recap_index: the recap's aggregate reads the index, not the rows.
_M003_RECAP_INDEX = """
CREATE INDEX records_recap ON records (day, nip, node, kind, ts, epoch)
    INCLUDE (problem, out_of_bounds, foreign_node, lower_ts, id) WHERE type = 'checkin';
"""

# Append only, in the order of sqlite_schema.py's MIGRATIONS (same names).
MIGRATIONS: list[tuple[str, Callable[[psycopg.Connection], None]]] = [
    ("001_initial", _sql_step(_M001)),
    ("002_trust_nodes", _sql_step(_M002_TRUST_NODES)),
    ("002_ops2_batch_latency", _sql_step(_M002_OPS2_BATCH_LATENCY)),
    ("002_recap_rules", _sql_step(_M002_RECAP_RULES)),
    ("002_accounts_and_audit", _m002_accounts_and_audit),
    ("003_objections", _m003_objections),
    ("003_node_history", _sql_step(node_history.PG_TABLE)),
    ("003_exception_docno", _sql_step(_M003_EXCEPTION_DOCNO)),
    ("003_recap_index", _sql_step(_M003_RECAP_INDEX)),
]


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply pending migrations on an autocommit connection, each in its own transaction."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations"
            " (name text PRIMARY KEY, applied_at double precision)"
        )
    applied = []
    for name, step in MIGRATIONS:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            # Checked inside the lock: another server may have just applied it.
            if conn.execute("SELECT 1 FROM _migrations WHERE name = %s", (name,)).fetchone():
                continue
            step(conn)
            conn.execute("INSERT INTO _migrations VALUES (%s, %s)", (name, time.time()))
        applied.append(name)
    return applied


def pending(conn: psycopg.Connection) -> list[str]:
    """Names of the migrations not yet applied (all of them on an empty database)."""
    exists = conn.execute("SELECT to_regclass('_migrations')").fetchone()
    done: set[str] = set()
    if exists and exists[0] is not None:
        done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    return [name for name, _ in MIGRATIONS if name not in done]


def month_start(year: int, month: int) -> tuple[int, int]:
    """(year, month) normalised, so month 0 is December of the year before."""
    year += (month - 1) // 12
    return year, (month - 1) % 12 + 1


def partition_name(year: int, month: int) -> str:
    return f"records_{year:04d}_{month:02d}"


def ensure_partitions(conn: psycopg.Connection, now: float) -> list[str]:
    """Create the monthly partitions around ``now`` that are missing; returns their names.

    Runs in its own short transactions, never inside an ingest: creating a partition locks
    the whole ``records`` table, which an ingest holding row locks must not wait for. A month
    whose rows already sit in the default partition (a node's clock ran ahead) keeps them
    there: its partition is skipped, the rows stay correct, only that month is slower.
    """
    today = datetime.fromtimestamp(now, UTC)
    have = {
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'records'::regclass"
        )
    }
    made = []
    for delta in range(-MONTHS_BEHIND, MONTHS_AHEAD + 1):
        year, month = month_start(today.year, today.month + delta)
        name = partition_name(year, month)
        if name in have:
            continue
        next_year, next_month = month_start(year, month + 1)
        stmt = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} PARTITION OF records FOR VALUES FROM ({}) TO ({})"
        ).format(
            sql.Identifier(name),
            sql.Literal(f"{year:04d}-{month:02d}"),
            sql.Literal(f"{next_year:04d}-{next_month:02d}"),
        )
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                conn.execute(stmt)
        except psycopg.errors.CheckViolation:
            continue
        made.append(name)
    return made
