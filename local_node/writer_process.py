"""The log writer in a process of its own, for the serving process.

``LogWriterProcess`` has the ``append``/``stop``/``listeners``/``clock`` of ``LogWriter``; the
server's ``NodeService`` uses it (config ``WRITER_PROCESS``). Each append is one frame on a
pipe (``local_node/pipe_frames.py``) to a child process (``python -m
local_node.writer_process``), which commits every frame that has arrived as one group commit,
through the same ``LogCommitter.commit_batch`` as ``LogWriter`` (``local_node/log_commit.py``:
one ``BEGIN IMMEDIATE`` ... ``COMMIT``, ``synchronous=FULL``, one signature per record). It
answers each frame once its transaction has committed; a receiver thread here settles the
waiting caller and runs the listeners.

Why a process: in the serving process every request thread, the committer included, shares one
GIL. The committer's build, signature and SQLite calls and the GIL hand-offs around them were
about a third of a check-in's cost there; in the child they run on the other core, and the
request threads only validate, send a frame and wait (docs/performance.md, eighth round).

Still one writer of the log: the child is the only one the server uses, and every append
(check-ins, anchors, rosters, the kiosk key) goes through it in the order the frames arrive.
The child exits when its input closes (the parent stopped or died). If it dies, the callers
it had not answered get ``WriterUnavailable`` (a 503 at the API: the record may or may not be
in the log, as with any request cut by a crash; an Idempotency-Key makes the retry safe), and
the next append starts a new child.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from sync.canonical import canonical_bytes
from sync.timefmt import SystemClock

from .errors import NodeError, StorageError, WriterUnavailable
from .log_commit import Clock, LogCommitter, Pending, Sql, fail_unsettled
from .pipe_frames import Frames, frame, grow_pipe, send, write_all
from .store import Store

log = logging.getLogger(__name__)

# An answer is (ident, (record, text, created) or None, (kind, message) or None).
Answer = tuple[int, tuple[dict[str, Any], str, bool] | None, tuple[str, str] | None]


class _Child:
    """One running writer process and the pipe ends that talk to it."""

    def __init__(self, init: dict[str, Any]) -> None:
        to_child, self.to_child = os.pipe()
        self.from_child, from_child = os.pipe()
        package_root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "local_node.writer_process", str(to_child), str(from_child)],
                pass_fds=(to_child, from_child),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            os.close(to_child)
            os.close(from_child)
        grow_pipe(self.to_child)
        grow_pipe(self.from_child)
        write_all(self.to_child, frame(init))
        os.set_blocking(self.to_child, False)
        self.frames = Frames(self.from_child)
        self.closed = False

    def close_input(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.to_child)


class LogWriterProcess:
    """Appends records through a log writer process; the same interface as ``LogWriter``."""

    def __init__(
        self, store: Store, key: Ed25519PrivateKey, *, boot_id: str, max_batch: int = 512
    ) -> None:
        self.store = store
        self.boot_id = boot_id
        self.clock: Clock = SystemClock()  # the child reads the same system clock
        self.listeners: list[Callable[[list[dict[str, Any]]], None]] = []
        self._init = {
            "db": str(store.path),
            "boot_id": boot_id,
            "max_batch": max_batch,
            "key": key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
        }
        # Held while a frame is written, so frames never interleave and reach the child in
        # the order their idents were given; also guards starting and losing a child.
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._receiver: threading.Thread | None = None
        self._waiting: dict[int, Pending] = {}
        self._idents = itertools.count()

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
        """Append one record; return (record, serialised, created) after it is committed."""
        canonical_bytes(body)  # reject floats etc. here, with the caller's stack
        item = Pending(type, body, nip, idem, tuple(apply))
        with self._lock:
            child = self._child or self._start()
            ident = next(self._idents)
            self._waiting[ident] = item  # before the frame: the answer can come at once
            try:
                send(child.to_child, frame((ident, type, body, nip, idem, item.apply)))
            except OSError as exc:
                del self._waiting[ident]
                raise WriterUnavailable(f"the log writer process is gone: {exc}") from exc
        if not item.ready.acquire(timeout=timeout):
            self._waiting.pop(ident, None)
            # Sent, so it commits (or not) without us, as a timed-out wait in a batch always did.
            raise TimeoutError("the log writer did not commit in time")
        if item.error is not None:
            raise item.error
        assert item.result is not None
        return item.result

    def child_state(self) -> tuple[int | None, bool | None]:
        """(pid, alive) of the writer process; (None, None) before the first append starts
        one. For the admin page's health panel."""
        child = self._child
        if child is None:
            return None, None
        return child.proc.pid, child.proc.poll() is None

    def stop(self, timeout: float = 10) -> None:
        """Let the child commit what it was sent and exit, then wait for its answers."""
        with self._lock:
            child, receiver = self._child, self._receiver
            if child is not None:
                child.close_input()
        if child is not None and receiver is not None:
            receiver.join(timeout)
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()

    # --- the child's lifecycle ---------------------------------------------------------

    def _start(self) -> _Child:
        """Start a child (under ``_lock``); its receiver thread answers the callers."""
        try:
            child = _Child(self._init)
        except OSError as exc:  # no process or pipe to be had (out of memory, fds, pids)
            raise WriterUnavailable(f"cannot start the log writer process: {exc}") from exc
        self._child = child
        self._receiver = threading.Thread(
            target=self._receive, args=(child,), name="log-writer-answers", daemon=True
        )
        self._receiver.start()
        return child

    def _receive(self, child: _Child) -> None:
        try:
            while (frames := child.frames.read()) is not None:
                for data in frames:
                    self._settle(pickle.loads(data))
        except Exception:
            log.exception("event=writer-answers-failed")
        finally:
            self._lost(child)

    def _settle(self, answers: list[Answer]) -> None:
        fresh = []
        for ident, result, error in answers:
            item = self._waiting.pop(ident, None)
            if result is not None:
                if result[2]:
                    fresh.append(result[0])
                if item is not None:
                    item.settle(result)
            elif item is not None:
                kind, message = error or ("error", "no answer")
                item.settle(
                    None,
                    StorageError(message)
                    if kind == "storage"
                    else NodeError(f"the log writer failed: {message}"),
                )
        for listener in self.listeners:
            try:
                listener(fresh)
            except Exception:  # committed and answered: log, carry on
                log.exception("event=commit-listener-failed")

    def _lost(self, child: _Child) -> None:
        """The child's answers ended: fail whoever it had not answered."""
        with self._lock:
            if self._child is child:
                self._child = None
            stranded = list(self._waiting.values())
            self._waiting.clear()
            child.close_input()
        os.close(child.from_child)
        try:
            code = child.proc.wait(30)  # its input is closed: it commits what it has and exits
        except subprocess.TimeoutExpired:
            child.proc.kill()
            code = child.proc.wait()
        if stranded or not child.closed or code != 0:
            log.error("event=writer-process-exited code=%s unanswered=%d", code, len(stranded))
        for item in stranded:
            item.settle(
                None,
                WriterUnavailable(
                    "the log writer process stopped before it answered (exit code "
                    f"{code}); the next append starts a new one"
                ),
            )


# --- the child -------------------------------------------------------------------------


def _answer(ident: int, item: Pending) -> Answer:
    if item.error is None:
        return ident, item.result, None
    kind = "storage" if isinstance(item.error, StorageError) else "error"
    return ident, None, (kind, str(item.error) or type(item.error).__name__)


def serve(read_fd: int, write_fd: int) -> None:
    """The child's loop: commit whatever frames have arrived, answer them, until input ends."""
    frames = Frames(read_fd)
    first = frames.read()
    if not first:
        return
    init = pickle.loads(first[0])
    key = Ed25519PrivateKey.from_private_bytes(init["key"])
    committer = LogCommitter(Store(Path(init["db"])), key, boot_id=init["boot_id"])
    max_batch = int(init["max_batch"])
    arrived = first[1:]
    while True:
        if not arrived:
            got = frames.read()
            if got is None:
                break
            arrived = got
        calls = [pickle.loads(data) for data in arrived]
        arrived = []
        for start in range(0, len(calls), max_batch):
            batch = [
                (ident, Pending(type, body, nip, idem, apply))
                for ident, type, body, nip, idem, apply in calls[start : start + max_batch]
            ]
            items = [item for _, item in batch]
            try:
                committer.commit_batch(items)
            except Exception as exc:  # a bug: answer everyone, keep serving
                log.exception("event=append-failed")
                fail_unsettled(items, exc)
            write_all(write_fd, frame([_answer(ident, item) for ident, item in batch]))
    committer.close()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # A stop (SIGTERM to the service, Ctrl-C to the terminal's process group) reaches the
    # server and this child at once. The server may still be answering requests: keep
    # committing them, and exit when its end of the pipe closes.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(int(args[0]), int(args[1]))


if __name__ == "__main__":
    main()
