"""Batch bodies for ``POST /api/v1/batches`` (docs/protocol.md sections 5, 6 and 10).

v1: ``{"v":1,"node":ID,"epoch":E,"records":[record, ...],"clock":{"wall_ts":T,"mono_us":N}}``

``records`` holds the sealed records in seq order, each exactly as serialised on the node
(the records array is built by joining the serialised texts, so the signed bytes travel
untouched). ``clock`` is the node's wall and monotonic clock when the batch was built; central
keeps the offset. The body may be gzip-compressed (``Content-Encoding: gzip``).

v2 (compact, what the node sends): the same document with ``"v":2`` whose records carry no
``hash``, and no ``prev`` when they follow the record before them in the batch (the next
``seq``, ``prev`` its hash): only the first record carries ``prev``, unless the log was
edited. Both are functions of the
records before them: ``decode_batch`` rebuilds each record exactly (``prev`` = the hash of the
record rebuilt before it, ``hash`` = SHA-256 of the canonical bytes of the record without
``hash`` and ``sig``), so the verifier sees full sealed records. The Ed25519 signature
covers ``prev``: a wrong rebuild or an edited record fails as ``bad-signature``. Gzip cannot
compress ``hash`` and a ``prev`` it has not seen (64 hex of a digest each); dropping them
makes a gzipped check-in about 103 B instead of about 155 B (docs/protocol.md section 10).

Limits: at most ``MAX_RECORDS`` records and ``MAX_BODY_BYTES`` after decompression; a gzip
stream that would inflate beyond that is refused without inflating it all (gzip bombs).
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from .canonical import canonical_bytes
from .errors import BatchError, BatchTooLarge, CanonicalError
from .records import EPOCH_RE, NODE_RE, record_hash, unsigned_part
from .timefmt import TS_RE

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_RECORDS",
    "compress",
    "decode_batch",
    "decompress",
    "encode_batch",
    "expand_records",
    "VERSIONS",
]

MAX_RECORDS = 2000
MAX_BODY_BYTES = 8 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
VERSIONS = (1, 2)
# Added by decode_batch to a v2 batch (see there); a body that carries it is refused.
UNSIGNED = "_unsigned"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def encode_batch(
    node: str,
    epoch: str,
    records: list[str],
    clock: dict[str, Any],
    *,
    version: int = 1,
    status: dict[str, Any] | None = None,
    head_seq: int | None = None,
) -> bytes:
    """The JSON body of a batch; ``records`` are serialised records (``sync.records.serialize``)
    in seq order.

    ``version=1`` carries the serialised texts untouched. ``version=2`` drops every record's
    ``hash``, and ``prev`` from every record whose ``seq`` is the previous one's + 1 and whose
    ``prev`` is the previous one's ``hash`` (central rebuilds them: module doc). A hole, a
    disorder or a broken link in the records (an edited log) keeps ``prev`` there, so central
    sees what the node signed and reports the broken chain exactly as for v1.
    """
    if version not in VERSIONS:
        raise ValueError(f"batch version {version!r} is not one of {VERSIONS}")
    head = json.dumps(
        {"v": version, "node": node, "epoch": epoch}, ensure_ascii=False, separators=(",", ":")
    )
    tail = json.dumps(clock, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if version == 2:
        records = _compact(records)
    text = head[:-1] + ',"records":[' + ",".join(records) + '],"clock":' + tail
    if head_seq is not None:  # optional: the node's head when sent (central's backlog chart)
        text += f',"head_seq":{int(head_seq)}'
    if status:  # optional: what the node wants central to know (local_node/lan_status.py)
        text += ',"status":' + json.dumps(
            status, ensure_ascii=False, separators=(",", ":"), sort_keys=True
        )
    return (text + "}").encode("utf-8")


def _compact(texts: list[str]) -> list[str]:
    out: list[str] = []
    last_seq: Any = None
    last_hash: Any = None
    for text in texts:
        record = json.loads(text)
        if not isinstance(record, dict):
            raise ValueError("a serialised record must be a JSON object")
        digest = record.pop("hash", None)
        seq = record.get("seq")
        # Left out only where central's rebuild gives back exactly what the node signed.
        if _follows(seq, last_seq) and last_hash is not None and record.get("prev") == last_hash:
            record.pop("prev")
        last_seq, last_hash = seq, digest
        out.append(_dumps(record))
    return out


def _follows(seq: Any, last: Any) -> bool:
    """True when ``seq`` is the integer after ``last`` (no hole, no disorder)."""
    return (
        type(seq) is int
        and type(last) is int  # noqa: E721 (bool is not a seq)
        and seq == last + 1
    )


def expand_records(records: list[dict[str, Any]]) -> list[bytes]:
    """Rebuild, in place, the ``prev`` and ``hash`` a v2 batch leaves out (module doc).

    Returns each record's canonical unsigned bytes, made here to compute its hash, so that
    ``check_record`` does not make them a second time.

    A ``prev`` that is present is kept as sent (the chain check judges it). Refuses
    (BatchError) a record that carries ``hash``, a first record without ``prev``, a record
    without ``prev`` whose ``seq`` does not follow the record before it, and a record whose
    canonical bytes cannot be made. Nothing is verified here: the rebuilt records go through
    ``check_record`` and the chain like any.
    """
    prev: str | None = None
    last_seq: Any = None
    unsigned: list[bytes] = []
    for index, record in enumerate(records):
        if "hash" in record:
            raise _fail(f"record {index} carries hash (a v2 batch leaves it out)")
        if "prev" not in record:
            if index == 0:
                raise _fail("the first record of a v2 batch must carry prev")
            if not _follows(record.get("seq"), last_seq):
                raise _fail(
                    f"record {index} has no prev and its seq does not follow the record before it"
                )
            record["prev"] = prev
        last_seq = record.get("seq")
        try:
            data = canonical_bytes(unsigned_part(record))
        except CanonicalError as exc:
            raise _fail(f"record {index} has no canonical form ({exc})") from exc
        record["hash"] = prev = record_hash(data)
        unsigned.append(data)
    return unsigned


def compress(data: bytes) -> bytes:
    """Gzip ``data`` for a ``Content-Encoding: gzip`` body (mtime 0: same bytes every time)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def decompress(data: bytes, limit: int = MAX_BODY_BYTES) -> bytes:
    """Inflate one gzip member, refusing output beyond ``limit`` bytes and trailing data."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise BatchError(f"body is not valid gzip: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise BatchTooLarge(f"body inflates beyond {limit} bytes")
    if not inflater.eof:
        raise BatchError("body is a truncated gzip stream")
    if inflater.unused_data:
        raise BatchError("body has data after the gzip stream")
    return out


def _fail(message: str) -> BatchError:
    return BatchError(f"malformed batch: {message}")


def decode_batch(data: bytes, *, content_encoding: str | None = None) -> dict[str, Any]:
    """Parse and shape-check a batch body; return it with ``records`` as parsed objects.

    Gzip is inflated when ``content_encoding`` is ``gzip`` or the body starts with the gzip
    magic bytes (JSON never does). Records are only checked to be objects here: their
    signatures, hashes and chain are the verifier's (``sync.chain.ChainVerifier``). A v2
    batch's records come back whole: ``prev`` and ``hash`` rebuilt (``expand_records``), and
    the batch gains ``UNSIGNED``, each record's canonical unsigned bytes made on the way, for
    ``check_record``. It is never part of what a node sends (a sent one is refused).
    Raises BatchError with a clear message on anything malformed, BatchTooLarge on a body
    beyond the limits.
    """
    encoding = (content_encoding or "").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise BatchError(f"unsupported Content-Encoding {content_encoding!r} (use gzip)")
    if encoding == "gzip" or data[:2] == GZIP_MAGIC:
        data = decompress(data)
    elif len(data) > MAX_BODY_BYTES:
        raise BatchTooLarge(f"body is larger than {MAX_BODY_BYTES} bytes")
    try:
        batch = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _fail(f"not UTF-8 JSON ({exc})") from exc
    if not isinstance(batch, dict):
        raise _fail("body is not a JSON object")
    if UNSIGNED in batch:
        raise _fail(f"unknown field {UNSIGNED!r}")
    for field in ("v", "node", "epoch", "records", "clock"):
        if field not in batch:
            raise _fail(f"missing field {field!r}")
    if batch["v"] not in VERSIONS or isinstance(batch["v"], bool):
        raise _fail(f"unsupported version {batch['v']!r}")
    if not isinstance(batch["node"], str) or not NODE_RE.match(batch["node"]):
        raise _fail("node must match [a-z0-9-]{3,40}")
    if not isinstance(batch["epoch"], str) or not EPOCH_RE.match(batch["epoch"]):
        raise _fail("epoch must be 32 lowercase hex digits")
    records = batch["records"]
    if not isinstance(records, list) or not records:
        raise _fail("records must be a non-empty list")
    if len(records) > MAX_RECORDS:
        raise _fail(f"more than {MAX_RECORDS} records in one batch")
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise _fail(f"record {index} is not an object")
    clock = batch["clock"]
    if not isinstance(clock, dict):
        raise _fail("clock must be an object")
    if not isinstance(clock.get("wall_ts"), str) or not TS_RE.match(clock["wall_ts"]):
        raise _fail("clock.wall_ts must be RFC 3339 UTC with three fraction digits and Z")
    mono = clock.get("mono_us")
    if not isinstance(mono, int) or isinstance(mono, bool) or mono < 0:
        raise _fail("clock.mono_us must be a non-negative integer")
    if "status" in batch and not isinstance(batch["status"], dict):
        raise _fail("status must be an object")
    head = batch.get("head_seq")
    if "head_seq" in batch and (
        not isinstance(head, int) or isinstance(head, bool) or not 0 <= head < 2**53
    ):
        raise _fail("head_seq must be a whole number from 0 to 2^53-1")
    if batch["v"] == 2:
        batch[UNSIGNED] = expand_records(records)
    result: dict[str, Any] = batch
    return result
