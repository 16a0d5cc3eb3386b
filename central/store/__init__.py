"""Central's storage: the ``CentralStore`` interface, its SQLite and PostgreSQL backends.

``rows`` (row types), ``protocol`` (``CentralStore``, ``IngestTx``), ``portable`` (the SQL both
backends share), ``sqlite`` and ``sqlite_schema``, ``postgresql`` and ``pg_schema``. Import a
name from the module that owns it; the re-exports here serve code written against the old
single module. ``postgresql`` (psycopg) is not imported here, so SQLite-only installs never
load it (``central/database.py`` opens it when configured).
"""

from .protocol import CentralStore, IngestTx
from .rows import (
    ACCOUNT_ROLES,
    API_ROLES,
    LATENCY_BUCKETS_S,
    LEGACY_TOKEN_DAYS,
    MACHINE_ACCOUNT,
    NODE_STATUSES,
    Acceptance,
    Account,
    Alert,
    AlertRow,
    ApiToken,
    AuditEntry,
    Employee,
    EventRow,
    NodeRow,
    PlainRows,
    RosterVersion,
    RuleVersionRow,
    StoredRecord,
)
from .sqlite import CONNECTION_PRAGMAS, SqliteStore
from .sqlite_schema import MIGRATIONS

__all__ = [
    "ACCOUNT_ROLES",
    "API_ROLES",
    "CONNECTION_PRAGMAS",
    "LATENCY_BUCKETS_S",
    "LEGACY_TOKEN_DAYS",
    "MACHINE_ACCOUNT",
    "MIGRATIONS",
    "NODE_STATUSES",
    "Acceptance",
    "Account",
    "Alert",
    "AlertRow",
    "ApiToken",
    "AuditEntry",
    "CentralStore",
    "Employee",
    "EventRow",
    "IngestTx",
    "NodeRow",
    "PlainRows",
    "RosterVersion",
    "RuleVersionRow",
    "SqliteStore",
    "StoredRecord",
]
