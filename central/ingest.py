"""Exactly-once, verified ingest of a node's batch (docs/protocol.md sections 5-6). No Flask here.

One batch is handled in one store transaction: read the node's stored head, verify every
record with ``sync.chain.ChainVerifier`` started there, then store the new records, the
receipt and the new head together. The outcome is returned, never raised, so that what must
be kept even when a batch is refused (fork evidence, quarantine, alerts) commits with it.

- Records at or below the stored head with the same hash are duplicates: acknowledged.
- The same seq with another hash (or a record whose ``prev`` does not link to the stored
  head) is a fork: both signed records are kept as evidence and the node is quarantined.
- A batch starting beyond the head is a gap: 409 with the expected seq.
- A record failing its hash or signature: refused, alert, nothing stored.

Time bounds: every record gets ``[lower, upper]``: ``lower`` is the newest ``server_ts`` of a
receipt (signed by us) the node anchored in its log at or before that record, ``upper`` the
``server_ts`` of the receipt issued for the batch that first stored it. A record whose ``ts``
lies outside, beyond a small tolerance, is flagged ``out_of_bounds``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.batches import UNSIGNED
from sync.chain import ChainVerifier
from sync.checkinbody import VOUCHED
from sync.errors import ReceiptError, RecordError
from sync.receipts import make_receipt, verify_receipt
from sync.records import ZERO_HASH, Record, check_record, serialize, signed_text
from sync.timefmt import format_ts, parse_ts, wall_ts, wita_day

from .node_history import batch_backlog
from .store.protocol import CentralStore, IngestTx
from .store.rows import StoredRecord
from .trust import Verdict, anchor_missing, judge

log = logging.getLogger(__name__)

INVALID_REASONS = ("bad-hash", "bad-signature")


@dataclass
class IngestResult:
    """What happened to a batch; ``outcome`` is ``ok`` or the error code of the answer."""

    outcome: str
    message: str = ""
    accepted: int = 0
    duplicates: int = 0
    receipt: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return {
            "ok": 200,
            "gap": 409,
            "fork": 409,
            "quarantined": 409,
            "epoch-mismatch": 409,
            "invalid-record": 422,
            "bad-batch": 400,
            "forbidden": 403,
        }[self.outcome]


@dataclass(frozen=True)
class ReceiptIssuer:
    """Central as ingest sees it: the id and key that sign receipts (and that an anchor's
    receipt must carry), the tolerance for judging a record's time against them, and the
    thresholds of the trust alerts (central/trust.py)."""

    name: str
    key: Ed25519PrivateKey
    tolerance_s: float = 2.0
    anchor_grace_s: float = 3600.0  # ANCHOR_GRACE_S (central/trust.py anchor_missing)
    fallback_alert_per_day: int = 20  # FALLBACK_ALERT_PER_DAY: witness + manual per node
    # Receipt keys central used before a rotation (central/rotation.py): anchors made then
    # still prove their time.
    earlier_keys: tuple[Ed25519PublicKey, ...] = ()

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()


def out_of_bounds(ts: str, lower: str | None, upper: str, tolerance_s: float) -> bool:
    """True when ``ts`` lies outside ``[lower, upper]`` by more than the tolerance."""
    moment = parse_ts(ts)
    slack = timedelta(seconds=tolerance_s)
    if lower is not None and moment < parse_ts(lower) - slack:
        return True
    return moment > parse_ts(upper) + slack


class TimeBounds:
    """``out_of_bounds`` for the records of one batch, as string comparisons.

    Record timestamps have one fixed form (``YYYY-MM-DDTHH:MM:SS.mmmZ``, checked with the
    record's shape), so their string order is their time order: the bounds widened by the
    tolerance are formatted once, and each record costs two comparisons, not three parses.
    A tolerance finer than a millisecond cannot be formatted exactly and takes the slow path.
    """

    def __init__(self, upper: str, tolerance_s: float) -> None:
        self.tolerance_s = tolerance_s
        self._slack = timedelta(seconds=tolerance_s)
        self._exact = self._slack == timedelta(milliseconds=round(tolerance_s * 1000))
        self.upper = upper
        self._hi = format_ts(parse_ts(upper) + self._slack)
        self._lower: str | None = None
        self._lo: str | None = None

    def outside(self, ts: str, lower: str | None) -> bool:
        if not self._exact:
            return out_of_bounds(ts, lower, self.upper, self.tolerance_s)
        if lower != self._lower:
            self._lower = lower
            self._lo = None if lower is None else format_ts(parse_ts(lower) - self._slack)
        return (self._lo is not None and ts < self._lo) or ts > self._hi


def _anchor_ts(record: Record, issuer: ReceiptIssuer) -> str | None:
    """The ``server_ts`` proven by an ``anchor`` record's receipt, or None if it proves nothing."""
    body = record.get("body")
    receipt = body.get("receipt") if isinstance(body, dict) else None
    for key in (issuer.public_key, *issuer.earlier_keys):
        try:
            verify_receipt(receipt, key)
            break
        except ReceiptError:
            continue
    else:
        return None
    assert isinstance(receipt, dict)
    if receipt["central"] != issuer.name:
        return None
    return str(receipt["server_ts"])


def _stored_row(
    record: Record,
    text: str,
    lower: str | None,
    upper: str,
    oob: bool,
    verdict: Verdict | None = None,
) -> StoredRecord:
    body = record["body"]
    nip = kind = None
    if record["type"] == "checkin":
        nip = body.get("nip") if isinstance(body.get("nip"), str) else None
        kind = body.get("kind") if isinstance(body.get("kind"), str) else None
    return StoredRecord(
        node=record["node"],
        epoch=record["epoch"],
        seq=record["seq"],
        type=record["type"],
        ts=record["ts"],
        hash=record["hash"],
        nip=nip,
        day=wita_day(record["ts"]) if nip else None,
        kind=kind,
        record=text,
        lower_ts=lower,
        upper_ts=upper,
        out_of_bounds=oob,
        problem=verdict.problem if verdict else None,
        foreign=verdict.foreign if verdict else False,
        method=verdict.method if verdict else None,
    )


def _fork(
    tx: IngestTx,
    node: str,
    epoch: str,
    seq: int,
    stored: str | None,
    other: Record,
    kind: str,
    now: float,
    message: str,
) -> IngestResult:
    tx.add_evidence(node, epoch, seq, kind, stored, serialize(other), now)
    tx.set_status(node, "quarantined")
    tx.add_alert(node, "fork", f"epoch {epoch[:8]} seq {seq}: {message}; node quarantined", now)
    log.warning("event=fork node=%s epoch=%s seq=%s kind=%s", node, epoch, seq, kind)
    return IngestResult(
        "fork", f"seq {seq}: {message}; the node is quarantined", extra={"seq": seq}
    )


def _invalid(tx: IngestTx, node: str, exc: RecordError, now: float) -> IngestResult:
    kind = "invalid-signature" if exc.reason in INVALID_REASONS else "invalid-record"
    tx.add_alert(node, kind, f"{exc} [{exc.reason}]; batch refused", now)
    log.warning("event=invalid-record node=%s seq=%s reason=%s", node, exc.seq, exc.reason)
    return IngestResult(
        "invalid-record",
        f"{exc} [{exc.reason}]; nothing was stored",
        extra={"seq": exc.seq, "reason": exc.reason},
    )


def _alert_lan_status(tx: Any, node: str, status: Any, now: float) -> None:
    """A node reports a zeroconf problem once per change (local_node/lan_status.py)."""
    zeroconf = status.get("zeroconf") if isinstance(status, dict) else None
    if not isinstance(zeroconf, dict):
        return
    state, name = zeroconf.get("state"), zeroconf.get("name")
    if state == "renamed":
        tx.add_alert(
            node,
            "zeroconf",
            f"another device on the office LAN announces this "
            f"node's name; the node announces itself as {str(name)[:60]!r}",
            now,
        )
    elif state == "failed":
        tx.add_alert(
            node,
            "zeroconf",
            "zeroconf failed on the node; it serves without "
            f"announcing itself ({str(zeroconf.get('error'))[:120]})",
            now,
        )


def _clock_offset_ms(batch: dict[str, Any], now: float) -> int | None:
    clock = batch.get("clock")
    if not isinstance(clock, dict):
        return None
    try:
        return round((now - parse_ts(clock["wall_ts"]).timestamp()) * 1000)
    except (KeyError, ValueError):
        return None


def ingest_batch(
    store: CentralStore,
    issuer: ReceiptIssuer,
    *,
    node: str,
    public_key: Ed25519PublicKey,
    batch: dict[str, Any],
    now: float,
    started: float | None = None,
) -> IngestResult:
    """Verify and store one decoded batch (``sync.batches.decode_batch``) of ``node``.

    ``started``: ``time.perf_counter()`` when the request arrived; an accepted batch's latency
    from then to its commit goes into the histogram of ``/metrics`` (docs/operations.md).
    """
    started = time.perf_counter() if started is None else started
    if batch["node"] != node:
        return IngestResult(
            "bad-batch", f"the batch is for node {batch['node']!r} but was signed by {node!r}"
        )
    # Signatures are the expensive part: check them before taking the database's write lock,
    # so several server workers verify in parallel. A batch with a bad record is checked again
    # inside the transaction, where the refusal, its evidence and its alert are recorded.
    texts = _verified_texts(batch["records"], public_key, batch.get(UNSIGNED))
    with store.ingest_transaction() as tx:
        result = _ingest(tx, issuer, node, public_key, batch, now, texts)
        if result.outcome == "ok":
            tx.observe_batch(time.perf_counter() - started)
        return result


def _verified_texts(
    records: list[Record], public_key: Ed25519PublicKey, unsigned: list[bytes] | None
) -> list[str] | None:
    """Each record checked (shape, hash, signature) and serialised, or None if one fails.

    ``unsigned``: the canonical bytes ``decode_batch`` made while rebuilding a v2 batch.
    """
    made = unsigned if unsigned is not None else [None] * len(records)
    try:
        return [
            signed_text(check_record(record, public_key, data), record)
            for record, data in zip(records, made, strict=True)
        ]
    except RecordError:
        return None


def _ingest(
    tx: IngestTx,
    issuer: ReceiptIssuer,
    node: str,
    public_key: Ed25519PublicKey,
    batch: dict[str, Any],
    now: float,
    texts: list[str] | None = None,
) -> IngestResult:
    """``texts``: the records' serialised forms when every record was checked already."""
    prechecked = texts is not None
    row = tx.node(node)
    if row is None or row.status in ("pending", "revoked"):
        return IngestResult("forbidden", f"node {node!r} is not enrolled or was revoked")
    if row.status == "quarantined":
        return IngestResult(
            "quarantined",
            f"node {node!r} is quarantined after a fork; an "
            "official must investigate and re-enroll it",
        )
    epoch: str = batch["epoch"]
    records: list[Record] = batch["records"]
    if row.epoch is None or (epoch != row.epoch and row.new_epoch_allowed):
        head_seq, head_hash, anchor_ts = -1, ZERO_HASH, None
        if row.epoch is not None:
            tx.add_alert(
                node,
                "new-epoch",
                f"node started a new log (epoch {epoch[:8]}) after re-enrollment",
                now,
            )
    elif epoch != row.epoch:
        first = records[0]
        try:
            check_record(first, public_key)
        except RecordError as exc:
            return _invalid(tx, node, exc, now)
        if not tx.has_evidence(node, epoch, "new-epoch"):
            tx.add_evidence(node, epoch, first["seq"], "new-epoch", None, serialize(first), now)
        tx.add_alert(
            node,
            "new-epoch",
            f"node sent a new log (epoch {epoch[:8]}) without being re-enrolled; refused",
            now,
        )
        return IngestResult(
            "epoch-mismatch",
            "central holds another epoch of this node's log; "
            "an official must re-enroll the node before a new log is accepted",
            extra={"epoch": row.epoch},
        )
    else:
        assert row.head_seq is not None and row.head_hash is not None
        head_seq, head_hash, anchor_ts = row.head_seq, row.head_hash, row.anchor_ts

    verifier = ChainVerifier(
        public_key,
        node=node,
        epoch=epoch,
        next_seq=head_seq + 1,
        head=head_hash,
        check_records=not prechecked,
    )
    duplicates = 0
    fresh: list[Record] = []
    fresh_texts: list[str] = []  # what is stored: made while checking, when prechecked
    for index, record in enumerate(records):
        seq = record.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool) and seq <= head_seq:
            if fresh:
                return IngestResult("bad-batch", "records must be in seq order")
            try:
                if not prechecked:
                    check_record(record, public_key)
            except RecordError as exc:
                return _invalid(tx, node, exc, now)
            if record["node"] != node or record["epoch"] != epoch:
                return IngestResult("bad-batch", f"seq {seq}: record of another node or epoch")
            stored = tx.stored(node, epoch, seq)
            if stored is not None and stored[0] == record["hash"]:
                duplicates += 1
                continue
            return _fork(
                tx,
                node,
                epoch,
                seq,
                stored[1] if stored else None,
                record,
                "fork",
                now,
                "the node signed a different record for a seq central holds",
            )
        try:
            verifier.feed(record)
        except RecordError as exc:
            if exc.reason in INVALID_REASONS or exc.reason in (
                "bad-shape",
                "bad-genesis",
                "wrong-node",
                "wrong-epoch",
            ):
                return _invalid(tx, node, exc, now)
            if exc.reason == "gap" and not fresh:
                return IngestResult(
                    "gap",
                    f"central holds seq up to {head_seq}; send from seq {head_seq + 1}",
                    extra={"expected_seq": head_seq + 1},
                )
            if exc.reason == "broken-chain" and not fresh and head_seq >= 0:
                stored = tx.stored(node, epoch, head_seq)
                return _fork(
                    tx,
                    node,
                    epoch,
                    int(exc.seq or 0),
                    stored[1] if stored else None,
                    record,
                    "broken-chain",
                    now,
                    "the record's prev does not link to the head central holds",
                )
            # A hole or a broken link inside one batch the node signed: its log was edited
            # (rows deleted or reordered behind the node's back). Keep the record, alert.
            if not tx.has_evidence(node, epoch, "invalid-chain"):  # once, not per retry
                tx.add_evidence(
                    node, epoch, int(exc.seq or 0), "invalid-chain", None, serialize(record), now
                )
            tx.add_alert(
                node, "invalid-record", f"{exc} [{exc.reason}] inside a batch; batch refused", now
            )
            log.warning("event=invalid-chain node=%s seq=%s reason=%s", node, exc.seq, exc.reason)
            return IngestResult("bad-batch", f"{exc} [{exc.reason}]")
        fresh.append(record)
        fresh_texts.append(texts[index] if texts is not None else serialize(record))

    offset = _clock_offset_ms(batch, now)
    clock = batch.get("clock") or {}
    tx.add_clock_sample(node, now, clock.get("wall_ts"), clock.get("mono_us"), offset)
    tx.note_node_hour(node, now, batch_backlog(batch), offset)  # the nodes page's pictures
    _alert_lan_status(tx, node, batch.get("status"), now)
    if not fresh:
        receipt = _current_receipt(tx, issuer, node, epoch, head_seq, head_hash, now)
        return IngestResult(
            "ok",
            accepted=0,
            duplicates=duplicates,
            receipt=receipt,
            checkpoint={"epoch": epoch, "seq": head_seq, "head": head_hash},
        )

    server_ts = wall_ts(now)
    bounds = TimeBounds(server_ts, issuer.tolerance_s)
    rows: list[StoredRecord] = []
    flagged = 0
    verdicts, trust_alerts = judge(tx, node, fresh)
    link_start = tx.first_receipt_ts(node, epoch)
    for record, text in zip(fresh, fresh_texts, strict=True):
        if record["type"] == "anchor":
            proven = _anchor_ts(record, issuer)
            if proven is None:
                tx.add_alert(
                    node,
                    "bad-anchor",
                    f"seq {record['seq']}: anchor holds no valid receipt of this central",
                    now,
                )
            elif anchor_ts is None or proven > anchor_ts:
                anchor_ts = proven
        oob = bounds.outside(record["ts"], anchor_ts)
        flagged += oob
        rows.append(
            _stored_row(record, text, anchor_ts, server_ts, oob, verdicts.get(record["seq"]))
        )
    last = fresh[-1]
    receipt = make_receipt(
        central=issuer.name,
        node=node,
        epoch=epoch,
        seq=last["seq"],
        head=last["hash"],
        server_ts=server_ts,
        key=issuer.key,
    )
    tx.insert_records(rows)
    tx.insert_receipt(node, epoch, last["seq"], last["hash"], server_ts, json.dumps(receipt))
    tx.set_head(
        node,
        epoch=epoch,
        seq=last["seq"],
        head=last["hash"],
        anchor_ts=anchor_ts,
        added=len(rows),
        last_sync=now,
    )
    if flagged:
        tx.add_alert(
            node,
            "time-out-of-bounds",
            f"{flagged} record(s) up to seq {last['seq']} carry a ts outside the "
            "interval central can prove",
            now,
        )
    _trust_alerts(tx, issuer, node, rows, trust_alerts, link_start, now)
    log.info(
        "event=ingest node=%s epoch=%s accepted=%d duplicates=%d head=%d",
        node,
        epoch[:8],
        len(rows),
        duplicates,
        last["seq"],
    )
    return IngestResult(
        "ok",
        accepted=len(rows),
        duplicates=duplicates,
        receipt=receipt,
        checkpoint={"epoch": epoch, "seq": last["seq"], "head": last["hash"]},
    )


def _trust_alerts(
    tx: IngestTx,
    issuer: ReceiptIssuer,
    node: str,
    rows: list[StoredRecord],
    alerts: list[str],
    link_start: str | None,
    now: float,
) -> None:
    """Alerts for what ``trust.judge`` found, unanchored check-ins of a node whose link has
    worked for longer than the grace, and a day's witness and manual check-ins above the
    threshold (once per node and day)."""
    for alert in alerts:
        kind, _, message = alert.partition("|")
        tx.add_alert(node, kind, message, now)
    late = [
        r.seq
        for r in rows
        if r.type == "checkin"
        and anchor_missing(r.upper_ts, r.lower_ts, link_start, issuer.anchor_grace_s)
    ]
    if late:
        tx.add_alert(
            node,
            "anchor-missing",
            f"{len(late)} check-in(s) (seq {', '.join(map(str, late[:10]))}) have no "
            f"anchor before them although the node's link has worked for over "
            f"{issuer.anchor_grace_s / 3600:g} h; not counted",
            now,
        )
    for day in sorted({r.day for r in rows if r.day and r.method in VOUCHED}):
        count = tx.fallback_count(node, day)
        message = f"witness and manual check-ins on {day} passed {issuer.fallback_alert_per_day}"
        if count > issuer.fallback_alert_per_day and not tx.alert_exists(
            node, "fallback-volume", message
        ):
            tx.add_alert(node, "fallback-volume", message, now)


def _current_receipt(
    tx: IngestTx,
    issuer: ReceiptIssuer,
    node: str,
    epoch: str,
    head_seq: int,
    head_hash: str,
    now: float,
) -> dict[str, Any]:
    """The receipt for the stored head: the one issued before (a retry gets the same
    answer), or a new one when none covers the head exactly."""
    text = tx.latest_receipt(node, epoch)
    if text is not None:
        receipt: dict[str, Any] = json.loads(text)
        if receipt.get("seq") == head_seq and receipt.get("head") == head_hash:
            return receipt
    server_ts = wall_ts(now)
    receipt = make_receipt(
        central=issuer.name,
        node=node,
        epoch=epoch,
        seq=head_seq,
        head=head_hash,
        server_ts=server_ts,
        key=issuer.key,
    )
    tx.insert_receipt(node, epoch, head_seq, head_hash, server_ts, json.dumps(receipt))
    return receipt
