"""The node's SQLite database: the one module that opens connections to ``node.db``.

The log table is append-only (triggers raise on UPDATE and DELETE). WAL mode with
``synchronous=FULL`` makes every committed transaction durable before the writer answers.
Each thread gets its own connection; writes to the log go only through ``writer.LogWriter``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import StorageError

if TYPE_CHECKING:
    # Imported only when a migration runs (Store.migrate): sqlite_utils, with click and the
    # rest, is about 14 MB resident, as much as the log writer process's own code.
    import sqlite_utils

# SQLite primary result codes that mean "the disk cannot take this write".
_STORAGE_CODES = {8: "read-only", 10: "I/O error", 13: "disk full", 14: "cannot open"}


def storage_error(exc: sqlite3.Error) -> StorageError | None:
    """Translate a sqlite3 error into StorageError when it is about the disk, else None."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) in _STORAGE_CODES:
        return StorageError(f"database cannot be written ({_STORAGE_CODES[code & 0xFF]}): {exc}")
    return None


def _m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE log (
            seq INTEGER PRIMARY KEY,
            type TEXT NOT NULL,
            ts TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            nip TEXT,
            day TEXT,
            record TEXT NOT NULL
        );
        CREATE INDEX log_nip_day ON log (nip, day);
        CREATE TRIGGER log_no_update BEFORE UPDATE ON log
            BEGIN SELECT RAISE(ABORT, 'log records are append-only'); END;
        CREATE TRIGGER log_no_delete BEFORE DELETE ON log
            BEGIN SELECT RAISE(ABORT, 'log records are append-only'); END;
        CREATE TABLE employees (
            nip TEXT PRIMARY KEY, name TEXT NOT NULL, unit TEXT NOT NULL,
            role TEXT NOT NULL, pin_hash TEXT NOT NULL
        );
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY, nip TEXT NOT NULL, device TEXT NOT NULL,
            csrf TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL
        );
        CREATE TABLE pin_failures (
            key TEXT PRIMARY KEY, failures INTEGER NOT NULL, window_start REAL NOT NULL,
            locked_until REAL NOT NULL
        );
        CREATE TABLE idempotency (
            nip TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
            PRIMARY KEY (nip, key)
        );
        CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """
    )


def _m002_admin_page(db: sqlite_utils.Database) -> None:
    """The local admin's page (local_node/admin_auth.py) and office-local PIN resets
    (local_node/admin_ops.py)."""
    db.executescript(
        """
        CREATE TABLE admin_sessions (
            token_hash TEXT PRIMARY KEY, csrf TEXT NOT NULL, addr TEXT NOT NULL,
            created_at REAL NOT NULL, expires_at REAL NOT NULL
        );
        CREATE TABLE admin_attempts (
            key TEXT PRIMARY KEY, tries INTEGER NOT NULL, window_start REAL NOT NULL
        );
        CREATE TABLE pin_overrides (
            nip TEXT PRIMARY KEY, pin_hash TEXT NOT NULL, base_hash TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        """
    )


# Append only; a migration that has run is never edited (a migration is history).
MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
    ("002_admin_page", _m002_admin_page),
]


class Store:
    """Connections to one ``node.db``: one per thread, all with the same pragmas."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def connect(self, *, any_thread: bool = False) -> sqlite3.Connection:
        """A new connection in autocommit mode; callers open transactions explicitly.

        ``any_thread`` is for the log writer only: whichever request thread holds the committer
        role uses its connection, never two threads at once (local_node/writer.py).
        """
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30,
                                   check_same_thread=not any_thread)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            # Statement journals (a multi-row INSERT under the append-only triggers) in memory,
            # not a temporary file created and unlinked on every commit. Crash safety comes from
            # the WAL, never from these.
            conn.execute("PRAGMA temp_store=MEMORY")
        except sqlite3.Error as exc:
            raise storage_error(exc) or StorageError(str(exc)) from exc
        return conn

    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.connect()
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def migrate(self) -> list[str]:
        """Apply pending migrations in one transaction each; return the names applied."""
        conn = self.connect()
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL)"
            )
            done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
            pending = [(name, step) for name, step in MIGRATIONS if name not in done]
            if not pending:
                return []
            # Only now: a node that is up to date (every start but the first after an upgrade)
            # does not keep sqlite_utils resident in its server (docs/performance.md, memory).
            import sqlite_utils

            db = sqlite_utils.Database(conn)
            applied = []
            for name, step in pending:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    step(db)
                    conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, time.time()))
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                applied.append(name)
            return applied
        finally:
            conn.close()

    # --- reads -------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def head(self) -> tuple[int, str] | None:
        """(seq, hash) of the newest record, or None for an empty log."""
        row = self.conn().execute("SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else None

    def iter_records(self, since: int = 0, until: int | None = None) -> Iterator[str]:
        """Serialised records with ``since <= seq`` (and ``seq <= until``), in seq order."""
        conn = self.connect()
        try:
            sql = "SELECT record FROM log WHERE seq >= ?"
            args: list[int] = [since]
            if until is not None:
                sql += " AND seq <= ?"
                args.append(until)
            for (text,) in conn.execute(sql + " ORDER BY seq", args):
                yield text
        finally:
            conn.close()

    def checkins_for(self, nip: str, day: str) -> list[str]:
        rows = self.conn().execute(
            "SELECT record FROM log WHERE nip = ? AND day = ? ORDER BY seq", (nip, day)
        )
        return [r[0] for r in rows]

    def count_by_type(self) -> dict[str, int]:
        rows = self.conn().execute("SELECT type, count(*) FROM log GROUP BY type")
        return {t: n for t, n in rows}

    def backup(self, target: Path) -> None:
        """Online copy of the whole database to ``target`` with SQLite's backup API."""
        target = Path(target)
        if target.exists():
            raise StorageError(f"backup target {target} already exists; choose a new path")
        if not target.parent.is_dir():
            raise StorageError(f"backup directory {target.parent} does not exist")
        tmp = target.with_name(target.name + ".partial")
        tmp.unlink(missing_ok=True)
        src = self.connect()
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        except sqlite3.Error as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"backup to {target} failed: {exc}") from exc
        finally:
            src.close()
        tmp.replace(target)
