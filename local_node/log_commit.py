"""The commit of records to the node's log: read the head, build, sign, insert, commit.

``LogCommitter.commit_batch`` commits a batch of ``Pending`` records in one
``BEGIN IMMEDIATE`` transaction (``synchronous=FULL``), one signature per record, and settles
each item only after the commit. It is the one commit both committers call: the in-process
group commit (``LogWriter``, ``local_node/writer.py``) and the log writer process
(``local_node/writer_process.py``), which commits whatever arrived on its pipe. One committer
per process uses it at a time; it holds the only connection that writes the log.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import records
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
        chunk = rows[start : start + _ROWS_PER_INSERT]
        sql = _INSERT_SQL.get(len(chunk))
        if sql is None:
            sql = "INSERT INTO log (seq, type, ts, hash, nip, day, record) VALUES " + ",".join(
                ["(?, ?, ?, ?, ?, ?, ?)"] * len(chunk)
            )
            _INSERT_SQL[len(chunk)] = sql
        conn.execute(sql, [value for row in chunk for value in row])
    rows.clear()


class Clock(Protocol):
    def wall(self) -> float: ...
    def mono_us(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Sql:
    """A statement an append runs in its own transaction, before its record is inserted.

    Data, not a callback, so that it can cross to the log writer process
    (``local_node/writer_process.py``) with its record. ``many`` runs ``executemany``.
    """

    sql: str
    params: Sequence[Any] = ()
    many: bool = False

    def run(self, conn: sqlite3.Connection) -> None:
        if self.many:
            conn.executemany(self.sql, self.params)
        else:
            conn.execute(self.sql, self.params)


def _locked() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False, slots=True)
class Pending:
    """One record waiting to be committed. ``idem`` is (nip, Idempotency-Key) when given.

    ``ready`` is held until the item is settled (``result`` or ``error`` set) or until the item
    is handed the committer role (``lead``): the cheapest wake-up CPython has.
    """

    type: str
    body: dict[str, Any]
    nip: str | None = None
    idem: tuple[str, str] | None = None
    # Run inside the same transaction before the record is inserted (e.g. install a roster),
    # so the change and its log record commit together or not at all.
    apply: Sequence[Sql] = ()
    ready: threading.Lock = field(default_factory=_locked)
    result: tuple[dict[str, Any], str, bool] | None = None
    error: BaseException | None = None
    lead: bool = False

    def settle(
        self, result: tuple[dict[str, Any], str, bool] | None, error: BaseException | None = None
    ) -> None:
        self.result, self.error = result, error
        self.ready.release()


def fail_unsettled(batch: list[Pending], exc: BaseException) -> None:
    """Answer every item of ``batch`` that a failed commit left without an answer."""
    for item in batch:
        if item.result is None and item.error is None:
            item.settle(None, exc)


class _Stamps:
    """Record timestamps and WITA days from wall-clock readings, formatting each second once.

    Gives exactly ``format_ts(datetime.fromtimestamp(wall, UTC))`` and that moment's WITA date.
    """

    __slots__ = ("_key", "_prefix", "_day")

    def __init__(self) -> None:
        self._key: tuple[int, ...] = ()
        self._prefix = ""
        self._day = ""

    def __call__(self, wall: float) -> tuple[str, str]:
        moment = datetime.fromtimestamp(wall, UTC)
        key = (moment.second, moment.minute, moment.hour, moment.day, moment.month, moment.year)
        if key != self._key:
            self._prefix = moment.strftime("%Y-%m-%dT%H:%M:%S.")
            self._day = moment.astimezone(WITA).strftime("%Y-%m-%d")
            self._key = key
        return f"{self._prefix}{moment.microsecond // 1000:03d}Z", self._day


class LogCommitter:
    """Commits batches of records to one node's log, signing each with the node key."""

    def __init__(
        self, store: Store, key: Ed25519PrivateKey, *, boot_id: str, clock: Clock | None = None
    ) -> None:
        self.store = store
        self._key = key
        self.boot_id = boot_id
        self.clock: Clock = clock or SystemClock()
        self._conn: sqlite3.Connection | None = None
        self._wall0 = self.clock.wall()
        self._mono0 = self.clock.mono_us()
        self._drift_us = 0
        self._stamps = _Stamps()
        self.node = ""
        self.epoch = ""

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self.store.connect(any_thread=True)
            row = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
            self.node, self.epoch = row["node"], row["epoch"]
        return self._conn

    def commit_batch(self, batch: list[Pending]) -> list[dict[str, Any]]:
        """Commit ``batch`` in one transaction and settle each item; return the records it
        created (an Idempotency-Key hit creates none), for the commit listeners.

        A storage error settles the items with it; one bad item is retried alone so that it
        does not fail the others.
        """
        try:
            done = self._transaction(batch)
        except (sqlite3.Error, StorageError) as exc:
            error = exc if isinstance(exc, StorageError) else storage_error(exc)
            if error is None and len(batch) > 1:
                # One bad item must not fail the others: retry them one by one.
                return [rec for item in batch for rec in self.commit_batch([item])]
            log.error("event=append-failed error=%r", exc)
            for item in batch:
                item.settle(None, error or exc)
            return []
        for item, result in zip(batch, done, strict=True):
            item.settle(result)
        return [r for r, _, created in done if created]

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
                        " WHERE i.nip = ? AND i.key = ?",
                        item.idem,
                    ).fetchone()
                    if hit:
                        out.append((records.parse(hit[0]), hit[0], False))
                        continue
                if item.apply:
                    _insert_rows(conn, rows)
                    for statement in item.apply:
                        statement.run(conn)
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

    def _build(
        self,
        rows: list[tuple[Any, ...]],
        seq: int,
        prev: str,
        type: str,
        body: dict[str, Any],
        nip: str | None,
    ) -> tuple[dict[str, Any], str]:
        """Build and sign one record and queue its row for ``_insert_rows``."""
        # The WITA day straight from the clock reading: the same date wita_day(ts) gives,
        # without parsing the timestamp back.
        ts, day = self._stamps(self.clock.wall())
        unsigned = records.build(
            node=self.node,
            epoch=self.epoch,
            seq=seq,
            type=type,
            ts=ts,
            mono_us=self.clock.mono_us(),
            boot_id=self.boot_id,
            prev=prev,
            body=body,
        )
        rec, text = records.seal_serialized(unsigned, self._key)
        rows.append((seq, type, ts, rec["hash"], nip, day if nip else None, text))
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
        return {
            "kind": "step",
            "step_ms": step // 1000,
            "expected_ts": format_ts(datetime.fromtimestamp(expected, UTC)),
        }
