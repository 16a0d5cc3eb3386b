"""The record (docs/contract.md section 1): building, sealing, serialising and checking one.

A record is a plain dict. ``seal`` adds ``hash`` and ``sig`` over the canonical bytes of the
record without them; ``check_record`` verifies one record on its own (shape, hash, signature).
Chain checks across records live in ``chain.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .canonical import MAX_SAFE_INT, canonical_bytes
from .errors import CanonicalError, RecordError
from .timefmt import TS_RE

VERSION = 1
ZERO_HASH = "0" * 64
NODE_RE = re.compile(r"^[a-z0-9-]{3,40}\Z")
EPOCH_RE = re.compile(r"^[0-9a-f]{32}\Z")
HEX64_RE = re.compile(r"^[0-9a-f]{64}\Z")
SIGNED_FIELDS = ("v", "node", "epoch", "seq", "type", "ts", "mono_us", "boot_id", "prev", "body")

Record = dict[str, Any]


def unsigned_part(record: Record) -> Record:
    """The record without ``hash`` and ``sig``: what is hashed and signed."""
    return {k: v for k, v in record.items() if k not in ("hash", "sig")}


def record_hash(canonical: bytes) -> str:
    """Lowercase hex SHA-256 of canonical bytes."""
    return hashlib.sha256(canonical).hexdigest()


def build(
    *,
    node: str,
    epoch: str,
    seq: int,
    type: str,
    ts: str,
    mono_us: int,
    boot_id: str,
    prev: str,
    body: dict[str, Any],
) -> Record:
    """An unsigned record with the Contract's fields in their documented order."""
    return {
        "v": VERSION,
        "node": node,
        "epoch": epoch,
        "seq": seq,
        "type": type,
        "ts": ts,
        "mono_us": mono_us,
        "boot_id": boot_id,
        "prev": prev,
        "body": body,
    }


def seal(record: Record, key: Ed25519PrivateKey) -> Record:
    """Return ``record`` with ``hash`` and ``sig`` over its canonical bytes."""
    data = canonical_bytes(unsigned_part(record))
    sealed = dict(record)
    sealed["hash"] = record_hash(data)
    sealed["sig"] = base64.b64encode(key.sign(data)).decode("ascii")
    return sealed


_SIGNED_SET = frozenset(SIGNED_FIELDS)
# Top-level members after "body", in RFC 8785 order (the keys are ASCII, so code-unit order
# is plain string order); "hash" goes after "epoch" and "sig" after "seq".
_AFTER_BODY = ("boot_id", "epoch", "mono_us", "node", "prev", "seq", "ts", "type", "v")
_encode_str = json.JSONEncoder(ensure_ascii=False).encode


def seal_serialized(record: Record, key: Ed25519PrivateKey) -> tuple[Record, str]:
    """``seal`` then ``serialize``, in one pass: the same record and the same text.

    The canonical text of an object is its members, sorted, each with its own canonical value
    (RFC 8785 is compositional). A record has one nested member, ``body``, which sorts first;
    the rest are strings and integers. So the body is canonicalised once (``canonical_bytes``:
    validation and the fast/reference paths as always), the scalars are encoded directly, and
    the serialised text is the unsigned text with ``hash`` and ``sig`` put in their sorted
    places, instead of canonicalising the whole record a second time. Anything else (other
    fields, other value types) takes the general path. tests/sync/test_records_fast.py checks
    the equality with hypothesis.
    """
    if record.keys() != _SIGNED_SET:
        sealed = seal(record, key)
        return sealed, serialize(sealed)
    parts = []
    for name in _AFTER_BODY:
        value = record[name]
        if type(value) is str:
            parts.append(_encode_str(value))
        elif type(value) is int and -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            parts.append(str(value))
        else:
            sealed = seal(record, key)
            return sealed, serialize(sealed)
    boot, epoch, mono, node, prev, seq, ts, type_, v = parts
    head = '{"body":' + canonical_bytes(record["body"]).decode("utf-8") + ',"boot_id":' + boot
    tail = ',"ts":' + ts + ',"type":' + type_ + ',"v":' + v + "}"
    try:
        data = (
            f'{head},"epoch":{epoch},"mono_us":{mono},"node":{node},"prev":{prev},"seq":{seq}{tail}'
        ).encode()
    except UnicodeEncodeError as exc:  # a lone surrogate in a scalar, as canonical_bytes says
        raise CanonicalError(f"value cannot be canonicalised: {exc}") from exc
    digest = record_hash(data)
    sig = base64.b64encode(key.sign(data)).decode("ascii")
    sealed = dict(record)
    sealed["hash"] = digest
    sealed["sig"] = sig
    text = (
        f'{head},"epoch":{epoch},"hash":"{digest}","mono_us":{mono},"node":{node}'
        f',"prev":{prev},"seq":{seq},"sig":"{sig}"{tail}'
    )
    return sealed, text


def signed_text(unsigned: bytes, record: Record) -> str:
    """The serialised form of a checked record, from the canonical bytes of its unsigned part.

    What ``serialize(record)`` gives, without canonicalising the record a second time: RFC 8785
    is compositional, so the signed text is the unsigned text with ``"hash"`` and ``"sig"`` in
    their sorted places, before ``"mono_us"`` and before ``"ts"``. Both follow ``"body"`` (the
    only nested member, which sorts first), so the last ``,"mono_us":`` and ``,"ts":`` are the
    top-level ones: a JSON string cannot hold an unescaped quote. Only for a record that
    ``check_record`` accepted (``hash`` is hex, ``sig`` base64: neither needs escaping);
    tests/sync/test_records_fast.py checks the equality with hypothesis.
    """
    text = unsigned.decode("utf-8")
    at = text.rfind(',"mono_us":')
    text = f'{text[:at]},"hash":"{record["hash"]}"{text[at:]}'
    at = text.rfind(',"ts":')
    return f'{text[:at]},"sig":"{record["sig"]}"{text[at:]}'


def serialize(record: Record) -> str:
    """The serialised form of a sealed record: its canonical JSON, hash and sig included."""
    return canonical_bytes(record).decode("utf-8")


def parse(text: str | bytes) -> Record:
    """Parse one serialised record; RecordError when it is not a JSON object."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError("bad-json", f"record is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise RecordError("bad-shape", "record is not a JSON object")
    return value


def parse_canonical(text: str | bytes, seq: int | None = None) -> Record:
    """Parse one exported or stored record and check it is byte for byte its own canonical
    form (RFC 8785) before anything else: JSON parsers keep the last of two ``"body"`` keys
    and read ``5.0`` as 5, so a line that is not canonical can show a verifier one thing
    while its hash and signature cover another. RecordError ``not-canonical`` otherwise."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    record = parse(data)
    try:
        canonical = canonical_bytes(record)
    except CanonicalError as exc:
        raise RecordError("not-canonical", f"record is not in canonical form: {exc}", seq) from exc
    if canonical != data:
        raise RecordError(
            "not-canonical",
            "record is not byte for byte in canonical form "
            "(RFC 8785): a repeated or reordered field, spaces, or a number "
            "written like 5.0",
            seq,
        )
    return record


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_SHAPE_FIELDS = frozenset((*SIGNED_FIELDS, "hash", "sig"))


def _well_formed(record: Record) -> bool:
    """The common case of ``check_shape`` in one expression: central checks every record
    it ingests (``type(x) is int`` also keeps bool out). False sends it to the slow path,
    which finds the same records good and names what is wrong with the others."""
    return (
        record.keys() == _SHAPE_FIELDS
        and type(v := record["v"]) is int
        and v == VERSION
        and type(node := record["node"]) is str
        and NODE_RE.match(node) is not None
        and type(epoch := record["epoch"]) is str
        and EPOCH_RE.match(epoch) is not None
        and type(seq := record["seq"]) is int
        and seq >= 0
        and type(kind := record["type"]) is str
        and kind != ""
        and type(ts := record["ts"]) is str
        and TS_RE.match(ts) is not None
        and type(mono := record["mono_us"]) is int
        and mono >= 0
        and type(boot := record["boot_id"]) is str
        and boot != ""
        and type(prev := record["prev"]) is str
        and HEX64_RE.match(prev) is not None
        and type(digest := record["hash"]) is str
        and HEX64_RE.match(digest) is not None
        and type(record["body"]) is dict
        and type(record["sig"]) is str
    )


def check_shape(record: Record) -> None:
    """Check every Contract field's presence and form; RecordError says which is wrong."""
    if not _well_formed(record):
        _shape_problem(record)


def _shape_problem(record: Record) -> None:
    """The field by field check: raises RecordError naming the first problem found."""
    seq = record.get("seq") if _is_int(record.get("seq")) else None

    def fail(message: str) -> RecordError:
        return RecordError("bad-shape", message, seq)

    missing = [f for f in (*SIGNED_FIELDS, "hash", "sig") if f not in record]
    if missing:
        raise fail(f"missing fields: {', '.join(missing)}")
    extra = sorted(set(record) - set(SIGNED_FIELDS) - {"hash", "sig"})
    if extra:
        raise fail(f"unknown top-level fields: {', '.join(extra)}")
    if record["v"] != VERSION or not _is_int(record["v"]):
        raise fail(f"unsupported version {record['v']!r}")
    if not isinstance(record["node"], str) or not NODE_RE.match(record["node"]):
        raise fail("node must match [a-z0-9-]{3,40}")
    if not isinstance(record["epoch"], str) or not EPOCH_RE.match(record["epoch"]):
        raise fail("epoch must be 32 lowercase hex digits")
    if not _is_int(record["seq"]) or record["seq"] < 0:
        raise fail("seq must be a non-negative integer")
    if not isinstance(record["type"], str) or not record["type"]:
        raise fail("type must be a non-empty string")
    if not isinstance(record["ts"], str) or not TS_RE.match(record["ts"]):
        raise fail("ts must be RFC 3339 UTC with three fraction digits and Z")
    if not _is_int(record["mono_us"]) or record["mono_us"] < 0:
        raise fail("mono_us must be a non-negative integer")
    if not isinstance(record["boot_id"], str) or not record["boot_id"]:
        raise fail("boot_id must be a non-empty string")
    for field in ("prev", "hash"):
        if not isinstance(record[field], str) or not HEX64_RE.match(record[field]):
            raise fail(f"{field} must be 64 lowercase hex digits")
    if not isinstance(record["body"], dict):
        raise fail("body must be an object")
    if not isinstance(record["sig"], str):
        raise fail("sig must be a base64 string")


def decode_sig(record: Record) -> bytes:
    """The raw 64-byte signature of a record (standard, padded base64)."""
    try:
        raw = base64.b64decode(record["sig"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RecordError("bad-signature", "sig is not valid base64", record.get("seq")) from exc
    if len(raw) != 64:
        raise RecordError("bad-signature", "sig is not 64 bytes", record.get("seq"))
    return raw


def check_record(
    record: Record, public_key: Ed25519PublicKey, unsigned: bytes | None = None
) -> bytes:
    """Verify one record's shape, hash and Ed25519 signature; return its canonical bytes.

    ``unsigned``: the canonical bytes of this very record without hash and sig, when the
    caller made them already (``sync.batches.expand_records``); they are hashed and verified
    as always, and what is stored is made from them (``signed_text``).
    """
    check_shape(record)
    seq = record["seq"]
    try:
        data = unsigned if unsigned is not None else canonical_bytes(unsigned_part(record))
    except CanonicalError as exc:
        raise RecordError("bad-shape", str(exc), seq) from exc
    if record_hash(data) != record["hash"]:
        raise RecordError("bad-hash", "hash does not match the record's canonical bytes", seq)
    try:
        public_key.verify(decode_sig(record), data)
    except InvalidSignature as exc:
        raise RecordError(
            "bad-signature", "signature does not verify with the node key", seq
        ) from exc
    return data
