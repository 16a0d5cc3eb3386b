"""The node's SQLite database: the one module that opens connections to ``node.db``.

The log table is append-only (triggers raise on UPDATE and DELETE). WAL mode with
``synchronous=FULL`` makes every committed transaction durable before the writer answers.
Each thread gets its own connection; writes to the log go only through ``writer.LogWriter``.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import mmap
import os
import sqlite3
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from certs.filemodes import touch_private

from .errors import StorageError

if TYPE_CHECKING:
    # Imported only when a migration runs (Store.migrate): sqlite_utils, with click and the
    # rest, is about 14 MB resident, as much as the log writer process's own code.
    import sqlite_utils

_T = TypeVar("_T")
log = logging.getLogger(__name__)

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


def _m002_auth_sessions_witness(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Bumped in the transaction that ends sessions by any means but expiry, so a session
        -- cache in any process can tell its copies are stale (local_node/sessions.py).
        CREATE TABLE session_generation (
            id INTEGER PRIMARY KEY CHECK (id = 0), gen INTEGER NOT NULL
        );
        INSERT INTO session_generation VALUES (0, 0);
        CREATE INDEX sessions_nip ON sessions (nip);
        -- What the staff page shows of a session besides its device id (from User-Agent).
        ALTER TABLE sessions ADD COLUMN label TEXT;
        -- Witness check-ins reserved per WITA day and key (witness:NIP, device:ID).
        CREATE TABLE witness_uses (
            day TEXT NOT NULL, key TEXT NOT NULL, used INTEGER NOT NULL,
            PRIMARY KEY (day, key)
        );
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
    ("002_auth_sessions_witness", _m002_auth_sessions_witness),
    ("002_admin_page", _m002_admin_page),
]


# Every connection of node and central gets exactly these (central/store/sqlite.py holds the same
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
        self._bell_map: mmap.mmap | None = None
        self._bell_failed = False

    def connect(self, *, any_thread: bool = False) -> sqlite3.Connection:
        """A new connection in autocommit mode; callers open transactions explicitly.

        ``any_thread`` is for the log writer only: whichever request thread holds the committer
        role uses its connection, never two threads at once (local_node/writer.py).
        """
        try:
            touch_private(self.path)  # 0600 whatever the umask; -wal and -shm follow it
            conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=30, check_same_thread=not any_thread
            )
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
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
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

    # --- sessions, the PIN lockout and witness limits (auth) ----------------------------
    # Policy lives in local_node/sessions.py and service.py; the statements live here.

    def _write(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` in one BEGIN IMMEDIATE transaction on this thread's connection: the
        write lock is taken first, so concurrent reservations from any thread or process
        are serialised (a read-then-write without it lets every request in flight pass)."""
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return result

    def insert_session(
        self,
        key: str,
        nip: str,
        device: str,
        csrf: str,
        created: float,
        expires: float,
        label: str | None = None,
    ) -> None:
        self.conn().execute(
            "INSERT INTO sessions (token_hash, nip, device, csrf, created_at, expires_at, label)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, nip, device, csrf, created, expires, label),
        )

    def session_row(self, key: str) -> tuple[tuple[str, str, str, float] | None, int]:
        """(nip, device, csrf, expires_at) of one session or None, and the session
        generation, read in one statement (one snapshot)."""
        row = (
            self.conn()
            .execute(
                "SELECT s.nip, s.device, s.csrf, s.expires_at, g.gen FROM session_generation g"
                " LEFT JOIN sessions s ON s.token_hash = ? WHERE g.id = 0",
                (key,),
            )
            .fetchone()
        )
        if row[0] is None:
            return None, int(row[4])
        return (str(row[0]), str(row[1]), str(row[2]), float(row[3])), int(row[4])

    def live_sessions_json(self, now: float, limit: int) -> tuple[str, int]:
        """Every unexpired session as one JSON text of [hash, nip, device, csrf, expires]
        arrays (one statement step: see Sessions._preload), and the generation."""
        row = (
            self.conn()
            .execute(
                "SELECT (SELECT json_group_array(json_array(token_hash, nip, device, csrf,"
                " expires_at)) FROM (SELECT * FROM sessions WHERE expires_at >= ? LIMIT ?)), gen"
                " FROM session_generation WHERE id = 0",
                (now, limit),
            )
            .fetchone()
        )
        return row[0] or "[]", int(row[1])

    def session_generation(self) -> int:
        row = self.conn().execute("SELECT gen FROM session_generation WHERE id = 0").fetchone()
        return int(row[0])

    def sessions_of(self, nip: str, now: float) -> list[tuple[str, str, float, float, str | None]]:
        """(token_hash, device, created_at, expires_at, label) of a NIP's live sessions,
        newest first."""
        rows = self.conn().execute(
            "SELECT token_hash, device, created_at, expires_at, label FROM sessions"
            " WHERE nip = ? AND expires_at >= ? ORDER BY created_at DESC",
            (nip, now),
        )
        return [(str(h), str(d), float(c), float(e), lb) for h, d, c, e, lb in rows]

    def last_checkin_by_device(self, nip: str) -> dict[str, str]:
        """Device id -> ``ts`` of the NIP's newest check-in from it (its last 1,000 records)."""
        rows = self.conn().execute(
            "SELECT json_extract(record, '$.body.device') AS device, max(ts) FROM"
            " (SELECT record, ts FROM log WHERE nip = ? AND type = 'checkin'"
            "  ORDER BY seq DESC LIMIT 1000) GROUP BY device",
            (nip,),
        )
        return {str(d): str(ts) for d, ts in rows if d is not None}

    def drop_expired_auth(self, now: float) -> None:
        """Housekeeping: expired sessions (a lookup refuses them anyway) and lockout rows
        neither locked nor counting for a day."""
        conn = self.conn()
        conn.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
        conn.execute(
            "DELETE FROM pin_failures WHERE locked_until < ? AND window_start < ?",
            (now, now - 86400),
        )

    def checkpoint(self) -> None:
        """Housekeeping: fold the WAL back into node.db while nobody needs the old pages."""
        self.conn().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def end_sessions(self, where: str, params: Sequence[Any]) -> int:
        """Delete the sessions ``WHERE where`` and bump the generation, in one transaction;
        then ring the bell so caches in every process drop their copies. Returns the count."""

        def work(conn: sqlite3.Connection) -> int:
            ended = conn.execute(f"DELETE FROM sessions WHERE {where}", params).rowcount
            if ended:
                conn.execute(self.BUMP_SESSION_GENERATION)
            return ended

        ended = self._write(work)
        if ended:
            self.ring_sessions_bell()
        return ended

    # Statements a roster install runs in its own transaction (through the log writer, which
    # may be another process): sessions of NIPs that left the roster or whose PIN hash changed
    # end with it. BEFORE runs before the employees table is replaced, AFTER after it.
    ROSTER_SESSIONS_BEFORE = (
        "CREATE TEMP TABLE IF NOT EXISTS roster_old_pins (nip TEXT PRIMARY KEY, pin_hash TEXT)",
        "DELETE FROM temp.roster_old_pins",
        "INSERT INTO temp.roster_old_pins SELECT nip, pin_hash FROM main.employees",
    )
    # Every statement that ends sessions other than by expiry runs this in its transaction.
    BUMP_SESSION_GENERATION = "UPDATE session_generation SET gen = gen + 1 WHERE id = 0"
    ROSTER_SESSIONS_AFTER = (
        "DELETE FROM sessions WHERE nip NOT IN (SELECT nip FROM employees) OR nip IN"
        " (SELECT o.nip FROM temp.roster_old_pins o JOIN employees e ON e.nip = o.nip"
        "  WHERE o.pin_hash != e.pin_hash)",
        BUMP_SESSION_GENERATION,
        "DELETE FROM temp.roster_old_pins",
    )
    # An admin record that ends one employee's sessions (PIN reset, device sign-out): these
    # run in the record's own transaction, with the NIP as parameter.
    END_SESSIONS_OF_NIP = ("DELETE FROM sessions WHERE nip = ?", BUMP_SESSION_GENERATION)
    # Office-local PIN resets survive a new roster (local_node/admin_ops.py, docs/security.md):
    # an override stays while the employee's roster hash is still the one it replaced. Run
    # after the employees table is replaced and before ROSTER_SESSIONS_AFTER, so a kept
    # override does not end its owner's sessions.
    ROSTER_PIN_OVERRIDES = (
        "DELETE FROM pin_overrides WHERE NOT EXISTS (SELECT 1 FROM employees e"
        " WHERE e.nip = pin_overrides.nip AND e.pin_hash = pin_overrides.base_hash)",
        "UPDATE employees SET pin_hash = (SELECT o.pin_hash FROM pin_overrides o"
        " WHERE o.nip = employees.nip) WHERE nip IN (SELECT nip FROM pin_overrides)",
    )

    # The bell: an 8-byte counter in ``sessions.gen`` beside node.db, mapped into memory, so
    # a cached session costs no database read to check (docs/performance.md, session cache).
    # It is rung after the commit that ended sessions; the database generation stays the
    # truth (Sessions also re-reads it every few seconds, for a ringer killed in between).

    @property
    def bell_path(self) -> Path:
        return self.path.with_name("sessions.gen")

    def _bell(self) -> mmap.mmap | None:
        """The mapped bell, made on first use (0600, owned like node.db when root makes it,
        as SQLite does for its -wal file); None when it cannot be opened."""
        if self._bell_map is None and not self._bell_failed:
            try:
                fd = os.open(self.bell_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                log.warning("event=session-bell-unavailable path=%s error=%r", self.bell_path, exc)
                self._bell_failed = True  # said once; the database generation serves instead
                return None
            try:
                if os.geteuid() == 0:
                    owner = os.stat(self.path)
                    os.fchown(fd, owner.st_uid, owner.st_gid)
                if os.fstat(fd).st_size < 8:
                    os.ftruncate(fd, 8)
                self._bell_map = mmap.mmap(fd, 8)
            finally:
                os.close(fd)
        return self._bell_map

    def sessions_bell(self) -> int:
        """The bell's value: no system call, no database read (the database generation
        itself when the bell cannot be opened: correct, only slower)."""
        bell = self._bell()
        if bell is None:
            return self.session_generation()
        return int(struct.unpack_from("<Q", bell, 0)[0])

    def ring_sessions_bell(self) -> None:
        """Set the bell to the database generation (never lower it), under a file lock."""
        gen = self.session_generation()
        bell = self._bell()  # makes the file when it is missing
        if bell is None:
            return  # caches with a bell see the change by their periodic database read
        with open(self.bell_path, "rb+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if gen > struct.unpack_from("<Q", bell, 0)[0]:
                struct.pack_into("<Q", bell, 0, gen)

    def pin_reserve(self, limits: dict[str, int], now: float, window_s: float) -> float | None:
        """Reserve one PIN check for every key of ``limits`` (key -> checks per window), all
        or none, before the slow hash. None when reserved; else the time it is refused until.

        ``failures`` counts reserved checks in the window that did not succeed: a check in
        flight already counts, so 64 parallel guesses get ``limit`` checks, not 64.
        """

        # A locked key is refused by a plain read, without the write lock: a flood of
        # refused guesses must not queue against the log writer's commits.
        marks = ",".join("?" * len(limits))
        row = (
            self.conn()
            .execute(
                f"SELECT max(locked_until) FROM pin_failures WHERE key IN ({marks})", list(limits)
            )
            .fetchone()
        )
        if row and row[0] is not None and row[0] > now:
            return float(row[0])

        def work(conn: sqlite3.Connection) -> float | None:
            rows = []
            for key, limit in limits.items():
                row = conn.execute(
                    "SELECT failures, window_start, locked_until FROM pin_failures WHERE key = ?",
                    (key,),
                ).fetchone()
                used, start, locked = row if row else (0, now, 0.0)
                if locked > now:
                    return float(locked)
                if now - start >= window_s:
                    used, start = 0, now
                if used >= limit:
                    return max(start + window_s, now + 1)
                rows.append((key, used + 1, start, locked))
            conn.executemany("INSERT OR REPLACE INTO pin_failures VALUES (?, ?, ?, ?)", rows)
            return None

        return self._write(work)

    def pin_failed(self, limits: dict[str, int], now: float, lock_s: float) -> None:
        """A reserved check failed: lock each key whose window is full. A lock is only ever
        set or extended here, never cleared (a later failure cannot undo an earlier lock)."""
        self.conn().executemany(
            "UPDATE pin_failures SET locked_until = max(locked_until, ?)"
            " WHERE key = ? AND failures >= ?",
            [(now + lock_s, key, limit) for key, limit in limits.items()],
        )

    def pin_succeeded(self, keys: Sequence[str]) -> None:
        """A reserved check succeeded: give back that one reservation (locks stay)."""
        self.conn().executemany(
            "UPDATE pin_failures SET failures = max(failures - 1, 0) WHERE key = ?",
            [(key,) for key in keys],
        )

    def witness_reserve(self, day: str, limits: dict[str, int]) -> str | None:
        """Reserve one witness check-in on ``day`` for every key (key -> daily limit), all or
        none; None when reserved, else the first key whose limit is reached."""

        def work(conn: sqlite3.Connection) -> str | None:
            conn.execute("DELETE FROM witness_uses WHERE day < ?", (day,))
            for key, limit in limits.items():
                row = conn.execute(
                    "SELECT used FROM witness_uses WHERE day = ? AND key = ?", (day, key)
                ).fetchone()
                if row and row[0] >= limit:
                    return key
            conn.executemany(
                "INSERT INTO witness_uses VALUES (?, ?, 1) ON CONFLICT (day, key)"
                " DO UPDATE SET used = used + 1",
                [(day, key) for key in limits],
            )
            return None

        return self._write(work)

    def idempotent_seq(self, nip: str, key: str) -> int | None:
        """The seq recorded for ``(nip, Idempotency-Key)``, or None."""
        row = (
            self.conn()
            .execute("SELECT seq FROM idempotency WHERE nip = ? AND key = ?", (nip, key))
            .fetchone()
        )
        return int(row[0]) if row else None

    def witness_release(self, day: str, keys: Sequence[str]) -> None:
        """Give back reservations whose check-in was not recorded (wrong PIN, replay, error)."""
        self.conn().executemany(
            "UPDATE witness_uses SET used = max(used - 1, 0) WHERE day = ? AND key = ?",
            [(day, key) for key in keys],
        )


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
                    view = view[os.write(out, view) :]
        os.fsync(out)
    finally:
        os.close(out)
