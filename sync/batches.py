"""Batch bodies for ``POST /api/v1/batches`` (DESIGN.md section 5).

``{"v":1,"node":ID,"epoch":E,"records":[record, ...],"clock":{"wall_ts":T,"mono_us":N}}``

``records`` holds the sealed records in seq order, each exactly as serialised on the node
(the records array is built by joining the serialised texts, so the signed bytes travel
untouched). ``clock`` is the node's wall and monotonic clock when the batch was built; central
keeps the offset. The body may be gzip-compressed (``Content-Encoding: gzip``).

Limits: at most ``MAX_RECORDS`` records and ``MAX_BODY_BYTES`` after decompression; a gzip
stream that would inflate beyond that is refused without inflating it all (gzip bombs).
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from .errors import ProtocolError
from .records import EPOCH_RE, NODE_RE
from .timefmt import TS_RE

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_RECORDS",
    "compress",
    "decode_batch",
    "decompress",
    "encode_batch",
]

MAX_RECORDS = 2000
MAX_BODY_BYTES = 8 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def encode_batch(node: str, epoch: str, records: list[str], clock: dict[str, Any]) -> bytes:
    """The JSON body of a batch; ``records`` are serialised records (``sync.records.serialize``)."""
    head = json.dumps({"v": 1, "node": node, "epoch": epoch}, ensure_ascii=False,
                      separators=(",", ":"))
    tail = json.dumps(clock, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = head[:-1] + ',"records":[' + ",".join(records) + '],"clock":' + tail + "}"
    return text.encode("utf-8")


def compress(data: bytes) -> bytes:
    """Gzip ``data`` for a ``Content-Encoding: gzip`` body (mtime 0: same bytes every time)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def decompress(data: bytes, limit: int = MAX_BODY_BYTES) -> bytes:
    """Inflate one gzip member, refusing output beyond ``limit`` bytes and trailing data."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ProtocolError(f"body is not valid gzip: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise ProtocolError(f"body inflates beyond {limit} bytes")
    if not inflater.eof:
        raise ProtocolError("body is a truncated gzip stream")
    if inflater.unused_data:
        raise ProtocolError("body has data after the gzip stream")
    return out


def _fail(message: str) -> ProtocolError:
    return ProtocolError(f"malformed batch: {message}")


def decode_batch(data: bytes, *, content_encoding: str | None = None) -> dict[str, Any]:
    """Parse and shape-check a batch body; return it with ``records`` as parsed objects.

    Gzip is inflated when ``content_encoding`` is ``gzip`` or the body starts with the gzip
    magic bytes (JSON never does). Records are only checked to be objects here: their
    signatures, hashes and chain are the verifier's (``sync.chain.ChainVerifier``).
    Raises ProtocolError with a clear message on anything malformed or too large.
    """
    encoding = (content_encoding or "").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise ProtocolError(f"unsupported Content-Encoding {content_encoding!r} (use gzip)")
    if encoding == "gzip" or data[:2] == GZIP_MAGIC:
        data = decompress(data)
    elif len(data) > MAX_BODY_BYTES:
        raise ProtocolError(f"body is larger than {MAX_BODY_BYTES} bytes")
    try:
        batch = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _fail(f"not UTF-8 JSON ({exc})") from exc
    if not isinstance(batch, dict):
        raise _fail("body is not a JSON object")
    for field in ("v", "node", "epoch", "records", "clock"):
        if field not in batch:
            raise _fail(f"missing field {field!r}")
    if batch["v"] != 1 or isinstance(batch["v"], bool):
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
    result: dict[str, Any] = batch
    return result
