"""Batch bodies: exact record bytes travel; malformed, oversized and gzip bombs are refused."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import records
from sync.batches import MAX_BODY_BYTES, MAX_RECORDS, compress, decode_batch, encode_batch
from sync.errors import ProtocolError

KEY = Ed25519PrivateKey.generate()
EPOCH = "0f" * 16
CLOCK = {"wall_ts": "2026-10-01T23:21:07.412Z", "mono_us": 81234567890}


def sealed(count: int) -> list[str]:
    out, prev = [], records.ZERO_HASH
    for seq in range(count):
        rec = records.seal(records.build(
            node="kec-alalak", epoch=EPOCH, seq=seq, type="genesis" if seq == 0 else "checkin",
            ts="2026-10-01T23:21:07.412Z", mono_us=seq, boot_id="b", prev=prev,
            body={"nip": "198501012010011001", "kind": "in", "note": "Kecamatan Alalak é"}), KEY)
        prev = rec["hash"]
        out.append(records.serialize(rec))
    return out


def test_roundtrip_keeps_exact_bytes() -> None:
    texts = sealed(3)
    body = encode_batch("kec-alalak", EPOCH, texts, CLOCK)
    for text in texts:
        assert text.encode("utf-8") in body
    batch = decode_batch(body)
    assert [records.serialize(r) for r in batch["records"]] == texts
    for rec in batch["records"]:
        records.check_record(rec, KEY.public_key())
    assert batch["clock"] == CLOCK
    assert decode_batch(compress(body), content_encoding="gzip") == batch
    assert decode_batch(compress(body)) == batch  # gzip magic detected


def good() -> dict[str, Any]:
    return {"v": 1, "node": "kec-alalak", "epoch": EPOCH, "records": [{"seq": 0}], "clock": CLOCK}


def js(value: Any) -> bytes:
    return json.dumps(value).encode()


def bomb() -> bytes:
    raw = zlib.compressobj(9, zlib.DEFLATED, 31)
    return raw.compress(b"\0" * (MAX_BODY_BYTES + 1024)) + raw.flush()


BAD: list[tuple[str, bytes, str | None, str]] = [
    ("not json", b"{nope", None, "JSON"),
    ("not utf-8", b"\xff\xfe", None, "UTF-8"),
    ("array", js([good()]), None, "object"),
    ("missing records", js({k: v for k, v in good().items() if k != "records"}), None, "records"),
    ("v2", js({**good(), "v": 2}), None, "version"),
    ("bad node", js({**good(), "node": "Kec Alalak"}), None, "node"),
    ("bad epoch", js({**good(), "epoch": "xyz"}), None, "epoch"),
    ("records not list", js({**good(), "records": {}}), None, "records"),
    ("no records", js({**good(), "records": []}), None, "non-empty"),
    ("record not object", js({**good(), "records": ["{}"]}), None, "record 0"),
    ("too many records", js({**good(), "records": [{}] * (MAX_RECORDS + 1)}), None, "more than"),
    ("clock missing ts", js({**good(), "clock": {"mono_us": 1}}), None, "wall_ts"),
    ("clock float mono", js({**good(), "clock": {**CLOCK, "mono_us": 1.5}}), None, "mono_us"),
    ("oversized plain", b" " * (MAX_BODY_BYTES + 1), None, "larger"),
    ("gzip bomb", bomb(), "gzip", "beyond"),
    ("gzip bomb no header", bomb(), None, "beyond"),
    ("truncated gzip", compress(js(good()))[:-12], "gzip", "truncated"),
    ("gzip trailing data", compress(js(good())) + b"junk", "gzip", "after"),
    ("gzip two members", compress(js(good())) + compress(b"x"), "gzip", "after"),
    ("not gzip", js(good()), "gzip", "gzip"),
    ("br encoding", js(good()), "br", "Content-Encoding"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, None, "JSON"),
]


@pytest.mark.parametrize(("label", "data", "encoding", "match"), BAD, ids=[b[0] for b in BAD])
def test_decode_rejects(label: str, data: bytes, encoding: str | None, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        decode_batch(data, content_encoding=encoding)


def test_bomb_is_small_on_the_wire() -> None:
    assert len(bomb()) < 20_000


def test_limits_accept_the_maximum() -> None:
    body = js({**good(), "records": [{}] * MAX_RECORDS})
    assert len(decode_batch(gzip.compress(body))["records"]) == MAX_RECORDS
