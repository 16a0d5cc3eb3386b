"""The node's operations as plain methods: what the routes, the CLI and tests call.

``NodeService`` owns the store, the writer, sessions and lockout for one data directory.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sync.errors import NIPError
from sync.nip import check_nip
from sync.pins import verify_pin
from sync.timefmt import WITA, boot_id, format_ts

from . import office_location, roster
from .checkins import (
    MANUAL_ALLOWED,
    WITNESS_ALLOWED,
    checkin_body,
    fallback_target,
    parse_reason,
)
from .datadir import NodePaths
from .errors import (
    ApiError,
    Forbidden,
    InsufficientStorage,
    NotFound,
    StorageError,
    Unauthorized,
    WriterUnavailable,
    from_sync_error,
)
from .identity import SOFTWARE, NodeIdentity
from .kiosk import PREFIX as KIOSK_PREFIX
from .kiosk import Kiosk
from .log_commit import Clock
from .sessions import Lockout, Session, Sessions
from .store import Store
from .writer import Appender, LogWriter
from .writer_process import LogWriterProcess

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
        self.writer: Appender
        if config.get("WRITER_PROCESS") and clock is None:
            # The server: records are built, signed and committed in a process of their own
            # (which reads the system clock; a test's clock keeps the writer in this process).
            self.writer = LogWriterProcess(self.store, identity.key, boot_id=boot_id())
        else:
            self.writer = LogWriter(self.store, identity.key, boot_id=boot_id(), clock=clock)
        self.sessions = Sessions(self.store, config["SESSION_DAYS"])
        self.lockout = Lockout(
            self.store, window_min=config["PIN_WINDOW_MIN"], lock_min=config["PIN_LOCK_MIN"]
        )
        self.metrics = Metrics()
        self.kiosk = Kiosk(self.store, identity.name)
        # scrypt needs 16 MB per check and two cores run at most two at once. Checking PINs
        # on a few dedicated threads bounds the memory: when each of 64 request threads ran
        # scrypt itself, every thread's malloc arena kept its 16 MB (823 MB in the benchmark).
        self._pin_pool = ThreadPoolExecutor(
            max_workers=config.get("PIN_CHECK_THREADS", 2), thread_name_prefix="pin-check"
        )
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
        """Append through the writer: disk trouble is a 507 for the client, a writer process
        that stopped before it answered a 503."""
        try:
            return self.writer.append(type, body, **kw)
        except WriterUnavailable as exc:
            self.metrics.inc("storage_errors")
            raise ApiError(
                "The node is restarting its record writer. Try again in a moment.",
                code="writer-restarting",
                status=503,
                retry_after=1,
            ) from exc
        except StorageError as exc:
            self.metrics.inc("storage_errors")
            raise InsufficientStorage(
                "The node cannot save records right now (disk full or read-only). "
                "Tell the local admin; try again shortly."
            ) from exc

    # --- staff -------------------------------------------------------------------------

    def sign_in(
        self, nip: Any, pin: Any, device: str | None, addr: str, label: str | None = None
    ) -> tuple[str, Session, roster.Employee]:
        employee = self._check_pin(nip, pin, addr)
        if device is None or not DEVICE_RE.match(device):
            device = secrets.token_urlsafe(12)
        token, session = self.sessions.create(employee.nip, device, label)
        self.metrics.inc("signins")
        return token, session, employee

    def _check_pin(self, nip: Any, pin: Any, addr: str) -> roster.Employee:
        """The employee whose NIP and PIN these are; counts failures per NIP and address."""
        if not isinstance(nip, str) or not isinstance(pin, str):
            raise ApiError("nip and pin must be strings", code="bad-request")
        _require_nip(nip)
        limits = {
            f"nip:{nip}": self.config["PIN_MAX_FAILURES"],
            f"addr:{addr}": self.config["ADDR_MAX_FAILURES"],
        }
        # Reserved before the slow hash, atomically across threads and processes: the
        # requests in flight count, so parallel guesses cannot all pass one check.
        self.lockout.reserve(limits)
        try:
            employee = roster.find(self.store, nip)
            # Unknown NIPs cost the same scrypt work so timing does not reveal who is enrolled.
            stored = employee.pin_hash if employee else _DUMMY_HASH
            self.metrics.inc("pin_checks")
            matches = self._pin_pool.submit(verify_pin, pin[:64], stored).result()
        except BaseException:
            self.lockout.failed(limits)  # the reservation stays spent
            raise
        if not matches or employee is None:
            self.lockout.failed(limits)
            self.metrics.inc("signin_failures")
            raise Unauthorized("NIP or PIN is wrong.", code="pin-wrong")
        self.lockout.succeeded(list(limits))
        return employee

    def check_in(
        self, session: Session, payload: Any, idem_key: str | None
    ) -> tuple[dict[str, Any], str, bool]:
        body = checkin_body(payload, nip=session.nip, device=session.device)
        if self._kiosk_code(body):
            body["method"] = "kiosk"
        return self._append_checkin(body, idem_key, "checkins")

    def _kiosk_code(self, body: dict[str, Any]) -> bool:
        """Whether the body carries a kiosk code; it then also names the window the screen
        showed it in (``presence_window``), so an auditor sees how old the code was when used.
        ``presence`` holds nothing else: any other text, or a stale or foreign code, is a 400.
        """
        presence = body.get("presence")
        if presence is None:
            return False
        if not presence.startswith(KIOSK_PREFIX):
            raise ApiError(
                'presence must be a code scanned from the office screen ("kiosk:CODE") or left out',
                code="presence-invalid",
            )
        start, end = self.kiosk.check(presence, time.time())
        body["presence_window"] = {"from": _ts(start), "to": _ts(end)}
        return True

    # --- office fallbacks (docs/contract.md section 1: methods witness and manual) -------------

    def witness_check_in(
        self, session: Session, payload: Any, idem_key: str | None, addr: str
    ) -> tuple[dict[str, Any], str, bool]:
        """A check-in on a colleague's phone: the owner types their own NIP and PIN there.

        The record is the owner's (``nip``), made on the colleague's device, with the
        colleague's NIP as ``witness``. Wrong PINs count against the owner's NIP and the
        address exactly as at sign-in.
        """
        owner = fallback_target(payload, WITNESS_ALLOWED)
        if owner == session.nip:
            raise ApiError(
                "this is your own NIP: check in with the main button", code="witness-self"
            )
        rest = {k: v for k, v in payload.items() if k not in ("nip", "pin")}
        # Built and checked before the scrypt check, so a bad request costs no PIN try.
        body = checkin_body(
            rest, nip=owner, device=session.device, method="witness", witness=session.nip
        )
        self._kiosk_code(body)
        if idem_key and self.store.idempotent_seq(owner, idem_key) is not None:
            # A retry of a recorded request gets its record back even past the limit.
            self._check_pin(owner, payload.get("pin"), addr)
            return self._append_checkin(body, idem_key, "checkins_witness")
        day = _today()
        limits = {
            f"witness:{session.nip}": self.config["WITNESS_MAX_PER_NIP"],
            f"device:{session.device}": self.config["WITNESS_MAX_PER_DEVICE"],
        }
        # Reserved in one transaction before the PIN check and the append, so requests in
        # flight count: a race of many requests cannot go past the limit.
        full = self.store.witness_reserve(day, limits)
        if full is not None:
            self.metrics.inc("witness_refused")
            raise ApiError(
                f"the daily limit of {limits[full]} check-ins for colleagues "
                f"{'by this employee' if full.startswith('witness:') else 'on this phone'} "
                "is reached: the colleague uses their own phone, the office screen's code, or "
                "the unit head's manual list",
                code="witness-limit",
                status=429,
            )
        recorded = False
        try:
            self._check_pin(owner, payload.get("pin"), addr)
            result = self._append_checkin(body, idem_key, "checkins_witness")
            recorded = result[2]
        finally:
            if not recorded:  # wrong PIN, an error, or a replay: the slot was not used
                self.store.witness_release(day, list(limits))
        return result

    def manual_check_in(
        self, session: Session, payload: Any, idem_key: str | None
    ) -> tuple[dict[str, Any], str, bool]:
        """A check-in the unit head enters for a member of their unit, with a reason."""
        head = self._head(session)
        nip = fallback_target(payload, MANUAL_ALLOWED)
        employee = self._member(head, nip)
        reason = parse_reason(payload.get("reason"))
        rest = {k: payload[k] for k in ("kind", "client_ts") if k in payload}
        body = checkin_body(
            rest,
            nip=employee.nip,
            device=session.device,
            method="manual",
            witness=head.nip,
            reason=reason,
        )
        return self._append_checkin(body, idem_key, "checkins_manual")

    def unit_today(self, session: Session) -> dict[str, Any]:
        """The head's unit with each member's records of today: the manual list's page."""
        head = self._head(session)
        day = _today()
        members = []
        for emp in roster.unit_members(self.store, head.unit):
            members.append(
                {
                    "nip": emp.nip,
                    "name": emp.name,
                    "role": emp.role,
                    "records": [_summary(text) for text in self.store.checkins_for(emp.nip, day)],
                }
            )
        return {"unit": head.unit, "day": day, "members": members}

    def _head(self, session: Session) -> roster.Employee:
        head = roster.find(self.store, session.nip)
        if head is None or head.role != "head":
            raise Forbidden(
                "only a unit head (role head in the roster) can do this", code="head-only"
            )
        return head

    def _member(self, head: roster.Employee, nip: str) -> roster.Employee:
        _require_nip(nip)
        if nip == head.nip:
            raise ApiError(
                "a head checks in for themselves with the main button", code="manual-self"
            )
        employee = roster.find(self.store, nip)
        if employee is None:
            raise NotFound("no employee with this NIP on the roster", code="employee-unknown")
        if employee.unit != head.unit:
            raise Forbidden("this employee is not in your unit", code="not-your-unit")
        return employee

    def _append_checkin(
        self, body: dict[str, Any], idem_key: str | None, metric: str
    ) -> tuple[dict[str, Any], str, bool]:
        idem = (body["nip"], idem_key) if idem_key else None
        if "geo" in body:  # how far from the office (issue 18, item 9); still counted
            body.update(office_location.judge(office_location.load(self.store), body["geo"]))
        result = self.append("checkin", body, nip=body["nip"], idem=idem)
        self.metrics.inc(metric if result[2] else "checkins_replayed")
        return result

    def today(self, nip: str) -> list[str]:
        return self.store.checkins_for(nip, _today())

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


def _ts(seconds: float) -> str:
    return format_ts(datetime.fromtimestamp(seconds, UTC))


def _today() -> str:
    """Today's WITA date, as record days are kept."""
    return datetime.now(WITA).strftime("%Y-%m-%d")


def _require_nip(nip: str) -> None:
    try:
        check_nip(nip)
    except NIPError as exc:
        raise from_sync_error(exc) from exc


def _summary(text: str) -> dict[str, Any]:
    """What the manual list shows of one record: when, which way, how, by whom."""
    rec = json.loads(text)
    body = rec["body"]
    return {
        "seq": rec["seq"],
        "ts": rec["ts"],
        "kind": body.get("kind"),
        "method": body.get("method"),
        "witness": body.get("witness"),
    }


_DUMMY_HASH = (
    "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)
