"""Batch bodies: exact record bytes travel; malformed, oversized and gzip bombs are refused."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import records
from sync.batches import (
    MAX_BODY_BYTES,
    MAX_RECORDS,
    UNSIGNED,
    compress,
    decode_batch,
    encode_batch,
)
from sync.chain import ChainVerifier
from sync.errors import ProtocolError, RecordError

KEY = Ed25519PrivateKey.generate()
EPOCH = "0f" * 16
CLOCK = {"wall_ts": "2026-10-01T23:21:07.412Z", "mono_us": 81234567890}


def sealed(count: int) -> list[str]:
    out, prev = [], records.ZERO_HASH
    for seq in range(count):
        rec = records.seal(
            records.build(
                node="kec-alalak",
                epoch=EPOCH,
                seq=seq,
                type="genesis" if seq == 0 else "checkin",
                ts="2026-10-01T23:21:07.412Z",
                mono_us=seq,
                boot_id="b",
                prev=prev,
                body={"nip": "198501012010011001", "kind": "in", "note": "Kecamatan Alalak é"},
            ),
            KEY,
        )
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
    ("v3", js({**good(), "v": 3}), None, "version"),
    ("v true", js({**good(), "v": True}), None, "version"),
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
    # decode_batch's own field for check_record: a node must not be able to supply it.
    ("sends _unsigned", js({**good(), "_unsigned": ["e30="]}), None, "_unsigned"),
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


# --- v2: compact records (no hash, prev only on the first), rebuilt exactly by decode ------


def v2_records(body: bytes) -> list[dict[str, Any]]:
    records_: list[dict[str, Any]] = json.loads(body)["records"]
    return records_


def test_v2_drops_hash_and_later_prevs_and_decodes_to_the_same_records() -> None:
    texts = sealed(5)
    body = encode_batch("kec-alalak", EPOCH, texts, CLOCK, version=2)
    sent = v2_records(body)
    assert json.loads(body)["v"] == 2
    assert all("hash" not in r for r in sent)
    assert sent[0]["prev"] == records.ZERO_HASH
    assert all("prev" not in r for r in sent[1:])
    assert all(r["sig"] for r in sent)
    for plain in (body, compress(body)):
        batch = decode_batch(plain)
        assert batch["v"] == 2
        assert [records.serialize(r) for r in batch["records"]] == texts  # exact rebuild
        for rec, data in zip(batch["records"], batch[UNSIGNED], strict=True):
            assert records.check_record(rec, KEY.public_key()) == data
            assert records.signed_text(data, rec) == records.serialize(rec)
    assert UNSIGNED not in decode_batch(encode_batch("kec-alalak", EPOCH, texts, CLOCK))
    assert len(compress(body)) < len(compress(encode_batch("kec-alalak", EPOCH, texts, CLOCK)))


def test_v2_batch_not_starting_at_genesis_keeps_its_first_prev() -> None:
    texts = sealed(6)[3:]
    body = encode_batch("kec-alalak", EPOCH, texts, CLOCK, version=2)
    assert v2_records(body)[0]["prev"] == json.loads(sealed(6)[2])["hash"]
    assert [records.serialize(r) for r in decode_batch(body)["records"]] == texts


def test_v2_edited_record_fails_its_signature_not_silently() -> None:
    """The rebuilt hash always matches; an edit (or a wrong rebuild) fails the signature."""
    body = json.loads(encode_batch("kec-alalak", EPOCH, sealed(4), CLOCK, version=2))
    body["records"][2]["body"]["kind"] = "out"
    batch = decode_batch(js(body))
    records.check_record(batch["records"][1], KEY.public_key())
    for rec in batch["records"][2:]:  # the edited one, and the next whose prev is now wrong
        with pytest.raises(RecordError, match="signature"):
            records.check_record(rec, KEY.public_key())


def test_v2_record_cut_from_the_body_is_refused() -> None:
    body = json.loads(encode_batch("kec-alalak", EPOCH, sealed(4), CLOCK, version=2))
    del body["records"][1]
    with pytest.raises(ProtocolError, match="record 1 has no prev"):
        decode_batch(js(body))


def v2_bad(mutate: Any) -> bytes:
    body = json.loads(encode_batch("kec-alalak", EPOCH, sealed(3), CLOCK, version=2))
    mutate(body["records"])
    return js({**body})


V2_BAD: list[tuple[str, Any, str]] = [
    ("hash present", lambda r: r[1].__setitem__("hash", "ab" * 32), "hash"),
    ("first hash present", lambda r: r[0].__setitem__("hash", "ab" * 32), "hash"),
    ("first without prev", lambda r: r[0].pop("prev"), "first record"),
    ("no prev after a hole", lambda r: r[2].__setitem__("seq", 5), "does not follow"),
    ("no prev, seq not int", lambda r: r[1].__setitem__("seq", "1"), "does not follow"),
    (
        "no prev, seq bool",
        lambda r: (r[0].__setitem__("seq", 0), r[1].__setitem__("seq", True)),
        "does not follow",
    ),
    ("float", lambda r: r[1]["body"].__setitem__("x", 1.5), "canonical"),
]


@pytest.mark.parametrize(("label", "mutate", "match"), V2_BAD, ids=[b[0] for b in V2_BAD])
def test_v2_decode_rejects(label: str, mutate: Any, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        decode_batch(v2_bad(mutate))


def test_unknown_encode_version_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_batch("kec-alalak", EPOCH, sealed(1), CLOCK, version=3)


def _chain_error(batch: dict[str, Any]) -> Any:
    """What ``ChainVerifier`` raises on the decoded batch's records."""
    verifier = ChainVerifier(KEY.public_key())
    with pytest.raises(RecordError) as caught:
        for rec in batch["records"]:
            verifier.feed(rec)
    return caught


def test_v2_keeps_prev_across_a_hole_so_the_broken_chain_shows() -> None:
    """An edited log (a record deleted): the record after the hole keeps what it signed."""
    texts = sealed(5)
    del texts[2]
    sent = v2_records(encode_batch("kec-alalak", EPOCH, texts, CLOCK, version=2))
    assert ["prev" in r for r in sent] == [True, False, True, False]
    batch = decode_batch(encode_batch("kec-alalak", EPOCH, texts, CLOCK, version=2))
    assert [records.serialize(r) for r in batch["records"]] == texts
    caught = _chain_error(batch)
    assert caught.value.reason == "gap" and caught.value.seq == 3


def test_v2_prev_sent_on_a_later_record_is_kept_and_judged_by_the_chain() -> None:
    body = json.loads(encode_batch("kec-alalak", EPOCH, sealed(3), CLOCK, version=2))
    body["records"][2]["prev"] = "ab" * 32
    batch = decode_batch(js(body))
    assert batch["records"][2]["prev"] == "ab" * 32
    with pytest.raises(RecordError, match="signature"):
        records.check_record(batch["records"][2], KEY.public_key())


def test_v2_keeps_a_prev_that_does_not_link() -> None:
    """A record of another history spliced in at the next seq (its prev is not the hash
    before it): sent with its own prev, so the chain check reports the broken link."""
    texts = sealed(4)
    other = json.loads(texts[2])
    other["prev"] = "cd" * 32
    other = records.seal(records.unsigned_part(other), KEY)
    texts[2] = records.serialize(other)
    sent = v2_records(encode_batch("kec-alalak", EPOCH, texts, CLOCK, version=2))
    assert ["prev" in r for r in sent] == [True, False, True, True]
    batch = decode_batch(encode_batch("kec-alalak", EPOCH, texts, CLOCK, version=2))
    assert [records.serialize(r) for r in batch["records"]] == texts
    caught = _chain_error(batch)
    assert caught.value.reason == "broken-chain" and caught.value.seq == 2
