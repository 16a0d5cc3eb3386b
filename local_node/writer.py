"""The one writer path for the node's log.

Every record, from any thread or command, is appended by ``LogWriter`` in one
``BEGIN IMMEDIATE`` transaction: read the head, build, sign, insert, commit, and only then
answer. Concurrent appends are group-committed by leader/follower: a caller that finds no
commit in progress becomes the committer and commits everything queued so far in one
transaction (one fsync for the whole batch); callers arriving meanwhile queue their record and
wait. When the committer is done it answers its batch and hands the role to the oldest waiting
caller, which commits everything queued by then. One committer at a time (a flag under a lock),
so there is still one writer of the log per process; no extra thread, and no hand-off to one
and back on every append (docs/performance.md). Command-line tools take the same path alone.
The commit itself (head, build, sign, insert) is ``local_node/log_commit.py``; the server
runs it in a process of its own and sends it the records (``local_node/writer_process.py``),
which commits whatever has arrived through the same ``LogCommitter.commit_batch``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.canonical import canonical_bytes

from .log_commit import Clock, LogCommitter, Pending, Sql, fail_unsettled
from .store import Store

log = logging.getLogger(__name__)


class Appender(Protocol):
    """What the node's services need of a log writer: ``LogWriter`` (in this process) or
    ``LogWriterProcess`` (in front of the log writer process the server runs)."""

    clock: Clock
    store: Store
    listeners: list[Callable[[list[dict[str, Any]]], None]]

    def append(
        self,
        type: str,
        body: dict[str, Any],
        *,
        nip: str | None = None,
        idem: tuple[str, str] | None = None,
        timeout: float = 30,
        apply: Sequence[Sql] = (),
    ) -> tuple[dict[str, Any], str, bool]: ...

    def stop(self, timeout: float = 10) -> None: ...


class LogWriter:
    """Appends records to the log of one node, signing each with the node key."""

    def __init__(
        self,
        store: Store,
        key: Ed25519PrivateKey,
        *,
        boot_id: str,
        clock: Clock | None = None,
        max_batch: int = 512,
    ) -> None:
        self._committer = LogCommitter(store, key, boot_id=boot_id, clock=clock)
        self.store = store
        self.clock: Clock = self._committer.clock
        self.max_batch = max_batch
        # Guards the queue and the committer flag; never held while committing.
        self._mutex = threading.Lock()
        self._queue: list[Pending] = []
        self._committing = False
        self._idle = threading.Condition(self._mutex)
        self.listeners: list[Callable[[list[dict[str, Any]]], None]] = []

    # --- lifecycle ---------------------------------------------------------------------

    def stop(self, timeout: float = 10) -> None:
        """Wait for queued appends to be committed, then close the writer's connection."""
        with self._idle:
            self._idle.wait_for(lambda: not self._committing and not self._queue, timeout)
            if not self._committing:
                self._committer.close()

    # --- API ---------------------------------------------------------------------------

    def append(
        self,
        type: str,
        body: dict[str, Any],
        *,
        nip: str | None = None,
        idem: tuple[str, str] | None = None,
        timeout: float = 30,
        apply: Sequence[Sql] = (),
    ) -> tuple[dict[str, Any], str, bool]:
        """Append one record; return (record, serialised, created) after it is committed.

        ``created`` is False when ``idem`` matched an earlier record, which is returned instead.
        """
        canonical_bytes(body)  # reject floats etc. before queueing
        item = Pending(type, body, nip, idem, apply)
        with self._mutex:
            self._queue.append(item)
            if not self._committing:
                self._committing = item.lead = True
        if not item.lead and not item.ready.acquire(timeout=timeout):
            with self._mutex:
                handed = item.lead
                if not handed and item in self._queue:
                    self._queue.remove(item)  # withdrawn: never written
            if not handed:
                # Withdrawn, or already in a batch that commits (or not) without us, as a
                # timed-out wait always did.
                raise TimeoutError("the log writer did not commit in time")
            item.ready.acquire()  # the role arrived as we gave up: take the hand-off's release
        if item.lead:  # the committer role is ours (from the start or handed on)
            self._lead()
            item.ready.acquire()
        if item.error is not None:
            raise item.error
        assert item.result is not None
        return item.result

    # --- the committer -----------------------------------------------------------------

    def _lead(self) -> None:
        """Commit everything queued (one batch), answer it, then pass the role on.

        The next committer is the oldest waiting caller: it wakes up, as it would to take its
        answer, and commits what queued up meanwhile. With nobody waiting the role lapses.
        """
        with self._mutex:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        try:
            self._notify(self._committer.commit_batch(batch))
        except BaseException as exc:  # a bug or an interrupt: answer everyone, then re-raise
            fail_unsettled(batch, exc)
            raise
        finally:
            with self._mutex:
                if self._queue:
                    nxt = self._queue[0]
                    nxt.lead = True
                    nxt.ready.release()
                else:
                    self._committing = False
                    self._idle.notify_all()

    def _notify(self, fresh: list[dict[str, Any]]) -> None:
        for listener in self.listeners:
            try:
                listener(fresh)
            except Exception:  # the records are committed and answered: log, carry on
                log.exception("event=commit-listener-failed")
