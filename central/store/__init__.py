"""Central's storage: the ``CentralStore`` interface, its SQLite and PostgreSQL backends.

The names the rest of central imports are re-exported here; ``postgresql`` (psycopg) is not,
so SQLite-only installs never import it (``central/database.py`` opens it when configured).
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
    "RosterVersion",
    "RuleVersionRow",
    "SqliteStore",
    "StoredRecord",
]
