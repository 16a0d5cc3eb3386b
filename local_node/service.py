"""The node's operations as plain methods: what the routes, the CLI and tests call.

``NodeService`` owns the store, the writer, sessions and lockout for one data directory.
"""

from __future__ import annotations

import re
import secrets
import shutil
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sync.nip import NIPError, check_nip
from sync.pins import verify_pin
from sync.timefmt import WITA, boot_id

from . import roster
from .checkins import checkin_body
from .datadir import NodePaths
from .errors import ApiError, InsufficientStorage, StorageError, Unauthorized
from .identity import SOFTWARE, NodeIdentity
from .sessions import Lockout, Session, Sessions
from .store import Store
from .writer import Clock, LogWriter

DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")


class Metrics:
    """Counters for /metrics; a lock because requests run on many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def inc(self, name: str, by: int = 1) -> None:
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + by

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)


class NodeService:
    def __init__(
        self,
        config: dict[str, Any],
        paths: NodePaths,
        identity: NodeIdentity,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.paths = paths
        self.identity = identity
        self.store = Store(paths.db)
        self.store.migrate()
        self.writer = LogWriter(self.store, identity.key, boot_id=boot_id(), clock=clock)
        self.sessions = Sessions(self.store, config["SESSION_DAYS"])
        self.lockout = Lockout(
            self.store, window_min=config["PIN_WINDOW_MIN"], lock_min=config["PIN_LOCK_MIN"]
        )
        self.metrics = Metrics()
        # scrypt needs 16 MB per check and two cores run at most two at once. Checking PINs
        # on a few dedicated threads bounds the memory: when each of 64 request threads ran
        # scrypt itself, every thread's malloc arena kept its 16 MB (823 MB in the benchmark).
        self._pin_pool = ThreadPoolExecutor(max_workers=config.get("PIN_CHECK_THREADS", 2),
                                            thread_name_prefix="pin-check")
        self.writer.listeners.append(self._count)

    def _count(self, fresh: list[dict[str, Any]]) -> None:
        # One locked update per record type per batch, not one per record.
        types = [rec["type"] for rec in fresh]
        for type in set(types):
            self.metrics.inc(f"records_{type}", types.count(type))

    def start(self) -> None:
        if self.config["WRITE_BOOT_RECORD"]:
            self.append("boot", {"software": SOFTWARE, "fingerprint": self.identity.fingerprint})

    def close(self) -> None:
        self._pin_pool.shutdown(wait=True)
        self.writer.stop()
        self.store.close()

    def append(
        self, type: str, body: dict[str, Any], **kw: Any
    ) -> tuple[dict[str, Any], str, bool]:
        """Append through the writer, turning disk trouble into a 507 for the client."""
        try:
            return self.writer.append(type, body, **kw)
        except StorageError as exc:
            self.metrics.inc("storage_errors")
            raise InsufficientStorage(
                "The node cannot save records right now (disk full or read-only). "
                "Tell the local admin; try again shortly."
            ) from exc

    # --- staff -------------------------------------------------------------------------

    def sign_in(
        self, nip: Any, pin: Any, device: str | None, addr: str
    ) -> tuple[str, Session, roster.Employee]:
        if not isinstance(nip, str) or not isinstance(pin, str):
            raise ApiError("nip and pin must be strings", code="bad-request")
        try:
            check_nip(nip)
        except NIPError as exc:
            raise ApiError(str(exc), code="nip-invalid") from exc
        limits = {
            f"nip:{nip}": self.config["PIN_MAX_FAILURES"],
            f"addr:{addr}": self.config["ADDR_MAX_FAILURES"],
        }
        self.lockout.check(limits)
        employee = roster.find(self.store, nip)
        # Unknown NIPs cost the same scrypt work so timing does not reveal who is enrolled.
        stored = employee.pin_hash if employee else _DUMMY_HASH
        matches = self._pin_pool.submit(verify_pin, pin[:64], stored).result()
        if not matches or employee is None:
            self.lockout.failed(limits)
            self.metrics.inc("signin_failures")
            raise Unauthorized("NIP or PIN is wrong.", code="pin-wrong")
        self.lockout.succeeded(f"nip:{nip}")
        if device is None or not DEVICE_RE.match(device):
            device = secrets.token_urlsafe(12)
        token, session = self.sessions.create(nip, device)
        self.metrics.inc("signins")
        return token, session, employee

    def check_in(
        self, session: Session, payload: Any, idem_key: str | None
    ) -> tuple[dict[str, Any], str, bool]:
        body = checkin_body(payload, nip=session.nip, device=session.device)
        idem = (session.nip, idem_key) if idem_key else None
        result = self.append("checkin", body, nip=session.nip, idem=idem)
        self.metrics.inc("checkins" if result[2] else "checkins_replayed")
        return result

    def today(self, nip: str) -> list[str]:
        return self.store.checkins_for(nip, datetime.now(WITA).strftime("%Y-%m-%d"))

    def employee(self, nip: str) -> roster.Employee | None:
        return roster.find(self.store, nip)

    # --- operators ---------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        free = shutil.disk_usage(self.paths.root).free
        writable = True
        try:
            conn = self.store.conn()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except (sqlite3.Error, StorageError):
            writable = False
            self.metrics.inc("health_errors")
        ok = writable and free >= self.config["MIN_FREE_BYTES"]
        head = self.store.head()
        return {
            "ok": ok,
            "node": self.identity.name,
            "db_writable": writable,
            "disk_free_bytes": free,
            "head_seq": head[0] if head else None,
        }

    def status(self) -> dict[str, Any]:
        head = self.store.head()
        return {
            "node": self.identity.name,
            "epoch": self.store.meta("epoch"),
            "head_seq": head[0] if head else None,
            "head_hash": head[1] if head else None,
            "records": self.store.count_by_type(),
            "roster_version": roster.current_version(self.store),
            "certificate_sha256": self.identity.fingerprint,
        }


_DUMMY_HASH = (
    "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)
