"""The push state machine: send the node's log to central and anchor central's receipts.

``LogPusher.push`` is one push cycle. The serving process runs it from the scheduler
(``local_node/jobs.py``) and ``presensi-node sync`` once (``local_node/sync_command.py``), both
through ``local_node/central_link.py``, which wires it to central's URL, key and client, always
through the app's one writer path.

A push cycle: know where central stands; send the records after it in seq order, in
compact (v2) batches of ``BATCH_SIZE``; verify each receipt with ``certs/central.pem`` and
keep it in an ``anchor`` record. Anchors are pushed with the next batch of real records: a log
whose unsent tail is only anchors is in sync, so receipts never feed an endless
push-anchor-push loop. A 409 gap resends from the seq central names.

Where central stands: a receipt the node verified says central holds the log up to its
``seq``/``head``; the pusher keeps that in memory and pushes from there. It asks central
(``GET checkpoint``) only when it has no trustworthy position: the first cycle after start,
after any failed cycle (transport error, 409, 4xx, a receipt it could not verify, a failed
roster pull), or when its own log no longer holds ``head`` at ``seq``. A cycle with nothing new
to push (at most anchors after central's seq) sends no request at all, so an idle node is
silent on the WAN; the roster pull (``local_node/roster_pull.py``) keeps its own interval.

What the pusher learns is kept in the ``sync_state`` table (``local_node/sync_state.py``).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.batches import encode_batch
from sync.client import CentralClient
from sync.errors import Error, GapError, ReceiptError, SyncError
from sync.receipts import verify_receipt
from sync.records import ZERO_HASH
from sync.timefmt import format_ts, parse_ts

from . import lan_status, sync_state
from .central_keys import CentralKey
from .store import Store
from .writer import Appender

log = logging.getLogger(__name__)

MAX_GAP_RETRIES = 3
MAX_BATCHES_PER_CYCLE = 1000


class LogsDiverged(SyncError):
    """Central holds a history of this node's log that ours does not continue (an old
    backup restored, a copied data directory, an edited database). ``first_seq`` is where
    our log and central's may first differ."""

    def __init__(self, message: str, first_seq: int) -> None:
        super().__init__(message)
        self.first_seq = first_seq


class LogPusher:
    """Pushes one node's log to central and anchors the receipts, through ``writer``."""

    def __init__(
        self,
        store: Store,
        writer: Appender,
        client: CentralClient,
        central_key: Ed25519PublicKey,
        *,
        node: str,
        epoch: str,
        central_id: str | None = None,
        batch_size: int = 1000,
        keys: CentralKey | None = None,
    ) -> None:
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
        # Central's key, followed through its announcements (local_node/central_keys.py); one
        # object shared with the roster puller, so a key change is adopted (and recorded) once.
        self.keys = keys or CentralKey(
            central_key, client=client, writer=writer, central_id=central_id
        )

    def failed(self, exc: Exception) -> None:
        """Forget where central stands after a failed cycle (of the push or the roster pull)
        and keep the error for ``presensi-node status``."""
        self.known = None  # whatever went wrong, the next cycle asks central first
        sync_state.save_error(self.store, exc)

    # --- reads of our own log ----------------------------------------------------------

    def _hash_at(self, seq: int) -> str | None:
        row = self.store.conn().execute("SELECT hash FROM log WHERE seq = ?", (seq,)).fetchone()
        return str(row[0]) if row else None

    def _has_news_after(self, seq: int) -> bool:
        """True when a record other than an anchor follows ``seq``: something worth pushing."""
        row = (
            self.store.conn()
            .execute("SELECT 1 FROM log WHERE seq > ? AND type != 'anchor' LIMIT 1", (seq,))
            .fetchone()
        )
        return row is not None

    def _batch(self, first: int, last: int) -> list[str]:
        until = min(last, first + self.batch_size - 1)
        return list(self.store.iter_records(since=first, until=until))

    # --- push --------------------------------------------------------------------------

    def _check_checkpoint(self, cp: dict[str, Any], head_seq: int) -> int:
        """Return the last seq central holds after checking it agrees with our log."""
        if cp.get("quarantined"):
            raise SyncError(
                "central has quarantined this node (fork or invalid record); "
                "ask the district to investigate before syncing again",
                409,
            )
        seq = int(cp["seq"])
        if seq >= 0 and cp.get("epoch") not in (None, self.epoch):
            raise SyncError(
                f"central holds epoch {cp['epoch']} for {self.node}, this log is "
                f"epoch {self.epoch}; the node must be enrolled again"
            )
        if seq > head_seq:
            raise LogsDiverged(
                f"central holds seq {seq} but this log ends at {head_seq}: "
                "records are missing here (restored from an old backup?)",
                head_seq,
            )
        if seq >= 0 and self._hash_at(seq) != cp["head"]:
            raise LogsDiverged(
                f"central's record {seq} differs from ours: the logs have forked", seq
            )
        return seq

    def _report_divergence(self, first_seq: int, head_seq: int) -> None:
        """Send our records from ``first_seq`` once, so that central sees both signed
        histories, keeps them as evidence, quarantines the node and alerts an official
        (docs/protocol.md sections 5-6). Central answers 409 fork; nothing here is anchored."""
        texts = self._batch(max(first_seq, 0), head_seq)
        if not texts:
            return
        clock = {
            "wall_ts": format_ts(datetime.fromtimestamp(self.writer.clock.wall(), UTC)),
            "mono_us": self.writer.clock.mono_us(),
        }
        try:
            self.client.push(encode_batch(self.node, self.epoch, texts, clock, version=2))
        except SyncError as answer:
            log.warning("event=divergence-reported first_seq=%d answer=%r", first_seq, str(answer))

    def _accept(
        self, answer: dict[str, Any], last_sent: int, sent_at: float, answered_at: float
    ) -> dict[str, Any]:
        """Verify central's receipt for a batch ending at ``last_sent``; anchor it."""
        receipt = self.keys.verify(lambda key: verify_receipt(answer["receipt"], key))
        if receipt["node"] != self.node or receipt["epoch"] != self.epoch:
            raise ReceiptError("receipt is for another node or epoch")
        if self.central_id is not None and receipt["central"] != self.central_id:
            raise ReceiptError(f"receipt is from {receipt['central']!r}, not {self.central_id!r}")
        if receipt["seq"] != last_sent or self._hash_at(last_sent) != receipt["head"]:
            raise ReceiptError(
                f"receipt covers seq {receipt['seq']} {receipt['head'][:12]}, "
                f"we sent up to {last_sent}"
            )
        server = parse_ts(receipt["server_ts"]).timestamp()
        offset_ms = round(((sent_at + answered_at) / 2 - server) * 1000)
        self.writer.append("anchor", {"receipt": receipt, "clock_offset_ms": offset_ms})
        self.known = (receipt["seq"], receipt["head"])
        sync_state.save(
            self.store,
            central_seq=str(receipt["seq"]),
            last_ok=sync_state.now_ts(),
            last_receipt=receipt,
            clock_offset_ms=str(offset_ms),
        )
        return receipt

    def push(self) -> dict[str, Any]:
        """One push cycle from where central stands; return what happened. Raises SyncError.

        ``result["checkpoint"]`` is True when the cycle asked central (``GET checkpoint``),
        False when it started from the last verified receipt.
        """
        try:
            return self._push()
        except Error as exc:
            self.failed(exc)
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
        result: dict[str, Any] = {
            "sent": 0,
            "batches": 0,
            "central_seq": central_seq,
            "receipt": None,
            "checkpoint": asked,
        }
        if not self._has_news_after(central_seq):
            if asked:  # central answered: the position is now known, remember it
                self.known = (central_seq, self._hash_at(central_seq) or ZERO_HASH)
                sync_state.save(
                    self.store, central_seq=str(central_seq), last_ok=sync_state.now_ts()
                )
            return result  # nothing to push; without a checkpoint, no request at all
        # Push up to the head seen now; anchors appended below wait for the next cycle.
        target, nxt, gaps = head_seq, central_seq + 1, 0
        while nxt <= target and result["batches"] < MAX_BATCHES_PER_CYCLE:
            texts = self._batch(nxt, target)
            clock = {
                "wall_ts": format_ts(datetime.fromtimestamp(self.writer.clock.wall(), UTC)),
                "mono_us": self.writer.clock.mono_us(),
            }
            status = lan_status.unreported(self.store)
            body = encode_batch(
                self.node, self.epoch, texts, clock, version=2, status=status, head_seq=target
            )
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
                self.failed(exc)
                result["error"] = str(exc)
                log.warning("event=push-partial batches=%d error=%r", result["batches"], exc)
                break
            last_sent = nxt + len(texts) - 1
            receipt = self._accept(answer, last_sent, sent_at, time.time())
            if status:
                lan_status.mark_reported(self.store, status)
            if isinstance(answer.get("roster_version"), int):
                self.central_roster_version = answer["roster_version"]
            result["sent"] += len(texts)
            result["batches"] += 1
            result["central_seq"] = last_sent
            result["receipt"] = receipt
            nxt = last_sent + 1
            log.info(
                "event=push-ok node=%s seq=%d records=%d accepted=%s duplicates=%s",
                self.node,
                last_sent,
                len(texts),
                answer.get("accepted"),
                answer.get("duplicates"),
            )
        return result
