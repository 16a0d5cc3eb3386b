"""The one writer path for the node's log.

Every record, from any thread or command, is appended by ``LogWriter`` in one
``BEGIN IMMEDIATE`` transaction: read the head, build, sign, insert, commit, and only then
answer. In the serving process a single writer thread does this for many waiting requests at
once (group commit): one fsync covers every record of the batch, and each request is answered
after that commit. Command-line tools call the same ``_commit`` synchronously.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import records
from sync.canonical import canonical_bytes
from sync.timefmt import WITA, SystemClock, format_ts

from .errors import StorageError
from .store import Store, storage_error

log = logging.getLogger(__name__)

# A wall clock that moves this much against the monotonic clock was set by someone.
CLOCK_STEP_US = 2_000_000


# Rows per INSERT statement: well under SQLite's limit of 32,766 bound parameters.
_ROWS_PER_INSERT = 256
_INSERT_SQL: dict[int, str] = {}


def _insert_rows(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert queued log rows with multi-row INSERTs, then empty ``rows``.

    One statement for many rows instead of one per row: sqlite3 drops and retakes the GIL
    around every statement step, and under load each retake waits behind the request
    threads, so one step per record starved the writer (see docs/performance.md).
    """
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start:start + _ROWS_PER_INSERT]
        sql = _INSERT_SQL.get(len(chunk))
        if sql is None:
            sql = ("INSERT INTO log (seq, type, ts, hash, nip, day, record) VALUES "
                   + ",".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(chunk)))
            _INSERT_SQL[len(chunk)] = sql
        conn.execute(sql, [value for row in chunk for value in row])
    rows.clear()


class Clock(Protocol):
    def wall(self) -> float: ...
    def mono_us(self) -> int: ...


@dataclass
class Pending:
    """One record waiting for the writer. ``idem`` is (nip, Idempotency-Key) when given."""

    type: str
    body: dict[str, Any]
    nip: str | None = None
    idem: tuple[str, str] | None = None
    # Runs inside the same transaction before the record is inserted (e.g. install a roster),
    # so the change and its log record commit together or not at all.
    apply: Callable[[sqlite3.Connection], None] | None = None
    future: Future[tuple[dict[str, Any], str, bool]] = field(default_factory=Future)


class LogWriter:
    """Appends records to the log of one node, signing each with the node key."""

    def __init__(self, store: Store, key: Ed25519PrivateKey, *, boot_id: str,
                 clock: Clock | None = None, max_batch: int = 512) -> None:
        self.store = store
        self._key = key
        self.boot_id = boot_id
        self.clock: Clock = clock or SystemClock()
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._sync_lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._wall0 = self.clock.wall()
        self._mono0 = self.clock.mono_us()
        self._drift_us = 0
        self.listeners: list[Callable[[list[dict[str, Any]]], None]] = []
        self.node = ""
        self.epoch = ""

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread (serving process only)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Finish queued appends, stop the thread and close the writer's connection."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None
        elif self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- API ---------------------------------------------------------------------------

    def append(self, type: str, body: dict[str, Any], *, nip: str | None = None,
               idem: tuple[str, str] | None = None, timeout: float = 30,
               apply: Callable[[sqlite3.Connection], None] | None = None,
               ) -> tuple[dict[str, Any], str, bool]:
        """Append one record; return (record, serialised, created) after it is committed.

        ``created`` is False when ``idem`` matched an earlier record, which is returned instead.
        """
        canonical_bytes(body)  # reject floats etc. in the caller's thread
        item = Pending(type, body, nip, idem, apply)
        if self._thread is not None:
            self._queue.put(item)
            return item.future.result(timeout)
        with self._sync_lock:
            self._commit([item])
        return item.future.result(0)

    # --- the writer --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)
            if stop:
                break
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self.store.connect()
            row = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
            self.node, self.epoch = row["node"], row["epoch"]
        return self._conn

    def _commit(self, batch: list[Pending]) -> None:
        try:
            done = self._transaction(batch)
        except (sqlite3.Error, StorageError) as exc:
            error = exc if isinstance(exc, StorageError) else storage_error(exc)
            if error is None and len(batch) > 1:
                # One bad item must not fail the others: retry them one by one.
                for item in batch:
                    self._commit([item])
                return
            log.error("event=append-failed error=%r", exc)
            for item in batch:
                item.future.set_exception(error or exc)
            return
        for item, result in zip(batch, done, strict=True):
            item.future.set_result(result)
        fresh = [r for r, _, created in done if created]
        for listener in self.listeners:
            listener(fresh)

    def _transaction(self, batch: list[Pending]) -> list[tuple[dict[str, Any], str, bool]]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (0, records.ZERO_HASH)
            out: list[tuple[dict[str, Any], str, bool]] = []
            rows: list[tuple[Any, ...]] = []
            for item in batch:
                if item.idem is not None:
                    _insert_rows(conn, rows)  # an earlier item of this batch may hold the key
                    hit = conn.execute(
                        "SELECT l.record FROM idempotency i JOIN log l ON l.seq = i.seq"
                        " WHERE i.nip = ? AND i.key = ?", item.idem).fetchone()
                    if hit:
                        out.append((records.parse(hit[0]), hit[0], False))
                        continue
                if item.apply is not None:
                    _insert_rows(conn, rows)
                    item.apply(conn)
                clock_body = self._clock_step()
                if clock_body is not None:
                    rec, _ = self._build(rows, seq, prev, "clock", clock_body, None)
                    seq, prev = seq + 1, rec["hash"]
                rec, text = self._build(rows, seq, prev, item.type, item.body, item.nip)
                if item.idem is not None:
                    _insert_rows(conn, rows)
                    conn.execute("INSERT INTO idempotency VALUES (?, ?, ?)", (*item.idem, seq))
                seq, prev = seq + 1, rec["hash"]
                out.append((rec, text, True))
            _insert_rows(conn, rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return out

    def _build(self, rows: list[tuple[Any, ...]], seq: int, prev: str, type: str,
               body: dict[str, Any], nip: str | None) -> tuple[dict[str, Any], str]:
        """Build and sign one record and queue its row for ``_insert_rows``."""
        moment = datetime.fromtimestamp(self.clock.wall(), UTC)
        ts = format_ts(moment)
        unsigned = records.build(node=self.node, epoch=self.epoch, seq=seq, type=type, ts=ts,
                                 mono_us=self.clock.mono_us(), boot_id=self.boot_id,
                                 prev=prev, body=body)
        rec = records.seal(unsigned, self._key)
        text = records.serialize(rec)
        # The WITA day straight from the clock reading: the same date wita_day(ts) gives,
        # without parsing the timestamp back.
        day = moment.astimezone(WITA).strftime("%Y-%m-%d") if nip else None
        rows.append((seq, type, ts, rec["hash"], nip, day, text))
        return rec, text

    def _clock_step(self) -> dict[str, Any] | None:
        """A ``clock`` body when the wall clock stepped against the monotonic clock."""
        wall, mono = self.clock.wall(), self.clock.mono_us()
        drift = int((wall - self._wall0) * 1_000_000) - (mono - self._mono0)
        step = drift - self._drift_us
        if abs(step) < CLOCK_STEP_US:
            return None
        # What the wall clock would read now had nobody touched it since the last check.
        expected = self._wall0 + (mono - self._mono0 + self._drift_us) / 1_000_000
        self._drift_us = drift
        return {"kind": "step", "step_ms": step // 1000,
                "expected_ts": format_ts(datetime.fromtimestamp(expected, UTC))}
