"""The node's side of sync: push the log to central, keep receipts, pull the roster.

``NodeSyncer`` does one push cycle or one roster pull; ``presensi-node sync`` runs both once
through a synchronous writer (``sync_once``), and the serving process runs them from the
scheduler (``start_sync``) through the app's own writer, so there is always one writer path.

A push cycle: know where central stands; send the records after it in seq order, in
compact (v2) batches of ``BATCH_SIZE``; verify each receipt with ``certs/central.pem`` and
keep it in an ``anchor`` record. Anchors are pushed with the next batch of real records: a log
whose unsent tail is only anchors is in sync, so receipts never feed an endless
push-anchor-push loop. A 409 gap resends from the seq central names.

Where central stands: a receipt the node verified says central holds the log up to its
``seq``/``head``; the syncer keeps that in memory and pushes from there. It asks central
(``GET checkpoint``) only when it has no trustworthy position: the first cycle after start,
after any failed cycle (transport error, 409, 4xx, a receipt it could not verify), or when its
own log no longer holds ``head`` at ``seq``. A cycle with nothing new to push (at most anchors
after central's seq) sends no request at all, so an idle node is silent on the WAN; the
roster pull keeps its own interval.

Sync state lives in the ``sync_state`` table: ``central_seq``, ``last_ok``, ``last_error``,
``last_receipt``, ``clock_offset_ms``, ``roster_version``.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.batches import encode_batch
from sync.canonical import canonical_bytes
from sync.client import CentralClient
from sync.errors import GapError, ProtocolError, ReceiptError, RosterError, SyncError
from sync.jobs import SyncScheduler, build_scheduler
from sync.receipts import verify_receipt
from sync.records import ZERO_HASH
from sync.rosterdoc import verify_roster_doc
from sync.timefmt import format_ts, parse_ts

from . import roster
from .config import load_config
from .datadir import NodePaths
from .errors import NodeError
from .identity import NodeIdentity, load_identity, node_name
from .store import Store
from .writer import Appender, LogWriter

log = logging.getLogger(__name__)

MAX_GAP_RETRIES = 3
MAX_BATCHES_PER_CYCLE = 1000
# Record types whose arrival should push soon; anchors, boots and clocks wait for the next.
WAKE_TYPES = frozenset({"checkin", "admin", "roster"})


class LogsDiverged(SyncError):
    """Central holds a history of this node's log that ours does not continue (an old
    backup restored, a copied data directory, an edited database). ``first_seq`` is where
    our log and central's may first differ."""

    def __init__(self, message: str, first_seq: int) -> None:
        super().__init__(message)
        self.first_seq = first_seq


class NotConfigured(NodeError):
    """The node has no central to sync with (no CENTRAL_URL or no certs/central.pem)."""


def _now_ts() -> str:
    return format_ts(datetime.now(UTC))


class NodeSyncer:
    """Pushes one node's log to central and installs central's roster, through ``writer``."""

    def __init__(self, store: Store, writer: Appender, client: CentralClient,
                 central_key: Ed25519PublicKey, *, node: str, epoch: str,
                 central_id: str | None = None, batch_size: int = 1000) -> None:
        self.store = store
        self.writer = writer
        self.client = client
        self.central_key = central_key
        self.node = node
        self.epoch = epoch
        self.central_id = central_id
        self.batch_size = max(1, min(batch_size, 2000))
        # (seq, head) central holds, from the last receipt we verified; None: ask central.
        self.known: tuple[int, str] | None = None
        # The roster version central announced in its last batch answer.
        self.central_roster_version: int | None = None

    # --- sync_state --------------------------------------------------------------------

    def _set_state(self, **values: Any) -> None:
        conn = self.store.conn()
        conn.executemany(
            "INSERT INTO sync_state (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in values.items()],
        )

    def _failed(self, exc: Exception) -> None:
        self.known = None  # whatever went wrong, the next cycle asks central first
        try:
            self._set_state(last_error=f"{_now_ts()} {exc}")
        except sqlite3.Error as db_exc:
            log.error("event=sync-state-write-failed error=%r", db_exc)

    # --- reads of our own log ----------------------------------------------------------

    def _hash_at(self, seq: int) -> str | None:
        row = self.store.conn().execute("SELECT hash FROM log WHERE seq = ?", (seq,)).fetchone()
        return str(row[0]) if row else None

    def _has_news_after(self, seq: int) -> bool:
        """True when a record other than an anchor follows ``seq``: something worth pushing."""
        row = self.store.conn().execute(
            "SELECT 1 FROM log WHERE seq > ? AND type != 'anchor' LIMIT 1", (seq,)).fetchone()
        return row is not None

    def _batch(self, first: int, last: int) -> list[str]:
        until = min(last, first + self.batch_size - 1)
        return list(self.store.iter_records(since=first, until=until))

    # --- push --------------------------------------------------------------------------

    def _check_checkpoint(self, cp: dict[str, Any], head_seq: int) -> int:
        """Return the last seq central holds after checking it agrees with our log."""
        if cp.get("quarantined"):
            raise SyncError("central has quarantined this node (fork or invalid record); "
                            "ask the district to investigate before syncing again", 409)
        seq = int(cp["seq"])
        if seq >= 0 and cp.get("epoch") not in (None, self.epoch):
            raise SyncError(f"central holds epoch {cp['epoch']} for {self.node}, this log is "
                            f"epoch {self.epoch}; the node must be enrolled again")
        if seq > head_seq:
            raise LogsDiverged(f"central holds seq {seq} but this log ends at {head_seq}: "
                               "records are missing here (restored from an old backup?)",
                               head_seq)
        if seq >= 0 and self._hash_at(seq) != cp["head"]:
            raise LogsDiverged(f"central's record {seq} differs from ours: the logs have "
                               "forked", seq)
        return seq

    def _report_divergence(self, first_seq: int, head_seq: int) -> None:
        """Send our records from ``first_seq`` once, so that central sees both signed
        histories, keeps them as evidence, quarantines the node and alerts an official
        (docs/protocol.md sections 5-6). Central answers 409 fork; nothing here is anchored."""
        texts = self._batch(max(first_seq, 0), head_seq)
        if not texts:
            return
        clock = {"wall_ts": format_ts(datetime.fromtimestamp(self.writer.clock.wall(), UTC)),
                 "mono_us": self.writer.clock.mono_us()}
        try:
            self.client.push(encode_batch(self.node, self.epoch, texts, clock, version=2))
        except SyncError as answer:
            log.warning("event=divergence-reported first_seq=%d answer=%r", first_seq,
                        str(answer))

    def _accept(self, answer: dict[str, Any], last_sent: int, sent_at: float,
                answered_at: float) -> dict[str, Any]:
        """Verify central's receipt for a batch ending at ``last_sent``; anchor it."""
        receipt = verify_receipt(answer["receipt"], self.central_key)
        if receipt["node"] != self.node or receipt["epoch"] != self.epoch:
            raise ReceiptError("receipt is for another node or epoch")
        if self.central_id is not None and receipt["central"] != self.central_id:
            raise ReceiptError(f"receipt is from {receipt['central']!r}, not {self.central_id!r}")
        if receipt["seq"] != last_sent or self._hash_at(last_sent) != receipt["head"]:
            raise ReceiptError(f"receipt covers seq {receipt['seq']} {receipt['head'][:12]}, "
                               f"we sent up to {last_sent}")
        server = parse_ts(receipt["server_ts"]).timestamp()
        offset_ms = round(((sent_at + answered_at) / 2 - server) * 1000)
        self.writer.append("anchor", {"receipt": receipt, "clock_offset_ms": offset_ms})
        self.known = (receipt["seq"], receipt["head"])
        self._set_state(central_seq=str(receipt["seq"]), last_ok=_now_ts(),
                        last_receipt=receipt, clock_offset_ms=str(offset_ms))
        return receipt

    def push(self) -> dict[str, Any]:
        """One push cycle from where central stands; return what happened. Raises SyncError.

        ``result["checkpoint"]`` is True when the cycle asked central (``GET checkpoint``),
        False when it started from the last verified receipt.
        """
        try:
            return self._push()
        except (SyncError, ProtocolError) as exc:
            self._failed(exc)
            raise
        except BaseException:
            self.known = None
            raise

    def _central_seq(self, head_seq: int) -> tuple[int, bool]:
        """(last seq central holds, whether central was asked): from the last verified receipt
        when our log still has its head there, else from ``GET checkpoint``."""
        known, self.known = self.known, None  # trusted again only after the next receipt
        if known is not None:
            seq, head = known
            if seq <= head_seq and self._hash_at(seq) == head:
                self.known = known
                return seq, False
        try:
            return self._check_checkpoint(self.client.checkpoint(self.epoch), head_seq), True
        except LogsDiverged as exc:
            self._report_divergence(exc.first_seq, head_seq)
            raise

    def _push(self) -> dict[str, Any]:
        head = self.store.head()
        head_seq = head[0] if head else -1
        central_seq, asked = self._central_seq(head_seq)
        result: dict[str, Any] = {"sent": 0, "batches": 0, "central_seq": central_seq,
                                  "receipt": None, "checkpoint": asked}
        if not self._has_news_after(central_seq):
            if asked:  # central answered: the position is now known, remember it
                self.known = (central_seq, self._hash_at(central_seq) or ZERO_HASH)
                self._set_state(central_seq=str(central_seq), last_ok=_now_ts())
            return result  # nothing to push; without a checkpoint, no request at all
        # Push up to the head seen now; anchors appended below wait for the next cycle.
        target, nxt, gaps = head_seq, central_seq + 1, 0
        while nxt <= target and result["batches"] < MAX_BATCHES_PER_CYCLE:
            texts = self._batch(nxt, target)
            clock = {"wall_ts": format_ts(datetime.fromtimestamp(self.writer.clock.wall(), UTC)),
                     "mono_us": self.writer.clock.mono_us()}
            body = encode_batch(self.node, self.epoch, texts, clock, version=2)
            sent_at = time.time()
            try:
                answer = self.client.push(body)
            except GapError as gap:
                self.known = None  # central's position is what the 409 says, not ours
                gaps += 1
                if gaps > MAX_GAP_RETRIES or not 0 <= gap.expected_seq <= target + 1:
                    raise
                log.info("event=push-gap expected_seq=%d sent_from=%d", gap.expected_seq, nxt)
                nxt = gap.expected_seq
                continue
            except SyncError as exc:
                if result["batches"] == 0:
                    raise
                # Some batches got in: that is progress, not an outage, so the scheduler must
                # not back off; the next cycle asks central where it stands and goes on.
                self._failed(exc)
                result["error"] = str(exc)
                log.warning("event=push-partial batches=%d error=%r", result["batches"], exc)
                break
            last_sent = nxt + len(texts) - 1
            receipt = self._accept(answer, last_sent, sent_at, time.time())
            if isinstance(answer.get("roster_version"), int):
                self.central_roster_version = answer["roster_version"]
            result["sent"] += len(texts)
            result["batches"] += 1
            result["central_seq"] = last_sent
            result["receipt"] = receipt
            nxt = last_sent + 1
            log.info("event=push-ok node=%s seq=%d records=%d accepted=%s duplicates=%s",
                     self.node, last_sent, len(texts), answer.get("accepted"),
                     answer.get("duplicates"))
        return result

    # --- roster ------------------------------------------------------------------------

    def push_then_roster(self) -> dict[str, Any]:
        """The push job: a push cycle, then a roster pull at once when the batch answer said
        central has a newer roster (a PIN change travels with the next push, not the next
        hourly pull)."""
        result = self.push()
        announced = self.central_roster_version
        if announced is not None and announced > self.installed_central_version():
            self.pull_roster()
        return result

    def installed_central_version(self) -> int:
        """The version of the newest roster from central in our log (0 for none)."""
        for body in roster.roster_bodies(self.store):
            if body.get("source") == "central" and isinstance(body.get("version"), int):
                return int(body["version"])
        return 0

    def pull_roster(self) -> dict[str, Any] | None:
        """Install central's roster when its version is newer; return the roster record."""
        try:
            return self._pull_roster()
        except (SyncError, ProtocolError) as exc:
            self._failed(exc)
            raise

    def _pull_roster(self) -> dict[str, Any] | None:
        since = self.installed_central_version()
        doc = self.client.roster(since)
        if doc is None:
            return None
        verify_roster_doc(doc, self.central_key)
        if self.central_id is not None and doc["central"] != self.central_id:
            raise RosterError(f"roster is from {doc['central']!r}, not {self.central_id!r}")
        if doc["version"] <= since:
            raise RosterError(f"central offered roster version {doc['version']}, "
                              f"not newer than installed {since}; keeping ours")
        employees = [roster.Employee(e["nip"], e["name"], e["unit"], e["role"], e["pin_hash"])
                     for e in doc["employees"]]
        body = {"version": doc["version"], "source": "central",
                "sha256": hashlib.sha256(canonical_bytes(doc)).hexdigest(),
                "count": len(employees)}
        record = roster.install(self.writer, employees, body)
        self._set_state(roster_version=str(doc["version"]))
        log.info("event=roster-installed version=%d count=%d", doc["version"], len(employees))
        return record

    def sync_once(self) -> dict[str, Any]:
        """A push cycle, then a roster pull."""
        result = self.push()
        installed = self.pull_roster()
        result["roster_installed"] = installed["body"]["version"] if installed else None
        result["roster_version"] = self.installed_central_version()
        return result


# --- wiring --------------------------------------------------------------------------------


def central_settings(paths: NodePaths, config: dict[str, Any],
                     identity: NodeIdentity) -> tuple[str, Ed25519PublicKey, str | None]:
    """(central URL, central's public key, central id) or NotConfigured saying what is missing."""
    url = config.get("CENTRAL_URL")
    if not url:
        raise NotConfigured(f"no CENTRAL_URL in {paths.config}; enroll with "
                            "presensi-node init --central URL --token T, or add it there")
    if identity.central is None:
        raise NotConfigured(f"{paths.central} is missing: central's receipts and rosters "
                            "cannot be verified without it")
    public = identity.central.public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise NotConfigured(f"{paths.central} does not hold an Ed25519 key")
    central_id = config.get("CENTRAL_ID")
    return str(url), public, str(central_id) if central_id else None


def make_syncer(paths: NodePaths, config: dict[str, Any], identity: NodeIdentity,
                store: Store, writer: Appender) -> NodeSyncer:
    url, central_key, central_id = central_settings(paths, config, identity)
    epoch = store.meta("epoch")
    if not epoch:
        raise NodeError(f"{paths.db} has no epoch; run presensi-node init")
    client = CentralClient(url, identity.name, identity.key)
    return NodeSyncer(store, writer, client, central_key, node=identity.name, epoch=epoch,
                      central_id=central_id, batch_size=int(config.get("BATCH_SIZE", 1000)))


def sync_once(paths: NodePaths) -> dict[str, Any]:
    """``presensi-node sync``: one push cycle and one roster pull, now, with its own writer."""
    from sync.timefmt import boot_id

    config = load_config(paths.root)
    identity = load_identity(paths, node_name(paths))
    store = Store(paths.db)
    store.migrate()
    writer = LogWriter(store, identity.key, boot_id=boot_id())
    try:
        syncer = make_syncer(paths, config, identity, store, writer)
        try:
            return syncer.sync_once()
        finally:
            syncer.client.close()
    finally:
        writer.stop()
        store.close()


def housekeeping(store: Store) -> None:
    """Drop expired sessions and old lockout windows; checkpoint the WAL."""
    store.drop_expired_auth(time.time())
    store.conn().execute("PRAGMA wal_checkpoint(PASSIVE)")


def start_sync(svc: Any, config: dict[str, Any]) -> SyncScheduler | None:
    """Start the scheduler in the serving process (``START_SCHEDULER``); None when not enrolled.

    ``svc`` is the app's NodeService: its writer appends the anchors and rosters, and its
    listeners wake the pusher when fresh check-ins commit (anchors do not wake it).
    """
    try:
        syncer = make_syncer(svc.paths, config, svc.identity, svc.store, svc.writer)
    except NotConfigured as exc:
        log.warning("event=sync-disabled reason=%r", str(exc))
        return None
    scheduler = build_scheduler(
        push=syncer.push_then_roster,
        pull_roster=syncer.pull_roster,
        housekeeping=lambda: housekeeping(svc.store),
        push_interval=float(config.get("PUSH_INTERVAL_S", 5)),
        roster_interval=float(config.get("ROSTER_INTERVAL_S", 3600)),
    )

    def on_commit(fresh: list[dict[str, Any]]) -> None:
        if any(rec["type"] in WAKE_TYPES for rec in fresh):
            scheduler.wake()

    svc.writer.listeners.append(on_commit)
    scheduler.start()
    atexit.register(scheduler.stop)
    return scheduler
