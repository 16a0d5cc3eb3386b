"""The node's SQLite database: the one module that opens connections to ``node.db``.

The log table is append-only (triggers raise on UPDATE and DELETE). WAL mode with
``synchronous=FULL`` makes every committed transaction durable before the writer answers.
Each thread gets its own connection; writes to the log go only through ``writer.LogWriter``.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from certs.filemodes import touch_private

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


# Append only; a migration that has run is never edited (a migration is history).
MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
]


# Every connection of node and central gets exactly these (central/store.py holds the same
# list, written once per app because the apps never import each other; a test compares them).
# WAL with synchronous=FULL: an acknowledged record survives power loss. temp_store=MEMORY:
# statement journals (a multi-row INSERT under the append-only triggers) in memory, not a
# temporary file made and unlinked on every commit; crash safety comes from the WAL.
CONNECTION_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=FULL",
    "foreign_keys=ON",
    "busy_timeout=30000",
    "temp_store=MEMORY",
)


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
            touch_private(self.path)  # 0600 whatever the umask; -wal and -shm follow it
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30,
                                   check_same_thread=not any_thread)
            for pragma in CONNECTION_PRAGMAS:
                conn.execute(f"PRAGMA {pragma}")
        except sqlite3.Error as exc:
            raise storage_error(exc) or StorageError(str(exc)) from exc
        except OSError as exc:
            raise StorageError(f"cannot create {self.path}: {exc.strerror}") from exc
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
        """Online copy of the whole database to the new file ``target`` (SQLite backup API).

        The copy is made under a private temporary name (``.NAME.RANDOM.partial``, created
        exclusively, mode 0600) and then hard-linked to ``target``, which fails if anything
        appeared there meanwhile: no file is ever overwritten, and no other file (an existing
        ``NAME.partial``) is touched. Filesystems without hard links (a FAT USB stick) get
        ``target`` created with O_EXCL and the copy written into it.
        """
        target = Path(target)
        if not target.parent.is_dir():
            raise StorageError(f"backup directory {target.parent} does not exist")
        if os.path.lexists(target):
            raise StorageError(f"backup target {target} already exists; choose a new path")
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                    dir=target.parent)
        os.fchmod(fd, 0o600)
        os.close(fd)
        tmp = Path(name)
        try:
            self._backup_into(tmp, target)
            _publish_exclusively(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def _backup_into(self, tmp: Path, target: Path) -> None:
        src = self.connect()
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        except sqlite3.Error as exc:
            raise StorageError(f"backup to {target} failed: {exc}") from exc
        finally:
            src.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _publish_exclusively(tmp: Path, target: Path) -> None:
    """Give the finished copy ``tmp`` the name ``target`` unless something has it already."""
    exists = StorageError(f"backup target {target} already exists; choose a new path")
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise exists from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK):
            raise StorageError(f"backup to {target} failed: {exc.strerror}") from exc
        _copy_exclusively(tmp, target, exists)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_exclusively(tmp: Path, target: Path, exists: StorageError) -> None:
    """No hard links here: reserve ``target`` with O_EXCL, then copy into it."""
    try:
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise exists from None
    try:
        os.fchmod(out, 0o600)
        with tmp.open("rb") as src:
            while chunk := src.read(1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
        os.fsync(out)
    finally:
        os.close(out)
