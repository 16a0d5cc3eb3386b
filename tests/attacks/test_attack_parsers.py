"""Hypothesis against the wire parsers: arbitrary bytes and arbitrary JSON never raise
anything but the project's typed errors (ProtocolError subclasses; RosterFileError, a
ValueError, for roster CSV files). Anything else would be a 5xx at central or a crash in
``presensi-node verify``."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certs.keys import generate_key
from sync import records
from sync.batches import decode_batch, encode_batch
from sync.errors import ProtocolError, RosterFileError
from sync.rostercsv import parse_roster_csv
from sync.rosterdoc import verify_roster_doc

pytestmark = pytest.mark.faults

KEY = generate_key()
PUBLIC = KEY.public_key()
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# JSON values, including the awkward ones: lone surrogates, huge and negative integers,
# floats, deep nesting, keys that look like record fields.
FIELDS = [
    "v",
    "node",
    "epoch",
    "seq",
    "type",
    "ts",
    "mono_us",
    "boot_id",
    "prev",
    "body",
    "hash",
    "sig",
    "records",
    "clock",
    "wall_ts",
    "central",
    "version",
    "issued_ts",
    "employees",
    "nip",
    "name",
    "unit",
    "role",
    "pin_hash",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text()
    | st.sampled_from(FIELDS)
    | st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=8)
    ),
    max_leaves=30,
)


def _valid_record() -> dict[str, Any]:
    unsigned = records.build(
        node="kec-alalak",
        epoch="a" * 32,
        seq=0,
        type="genesis",
        ts="2026-10-01T23:21:07.412Z",
        mono_us=1,
        boot_id="b",
        prev=records.ZERO_HASH,
        body={"node": "kec-alalak"},
    )
    return records.seal(unsigned, KEY)


VALID = _valid_record()


def _mutations() -> st.SearchStrategy[dict[str, Any]]:
    """A valid record with one field replaced, dropped or added: deep in the checks."""
    replace = st.tuples(st.sampled_from(sorted(VALID)), JSON).map(
        lambda kv: {**VALID, kv[0]: kv[1]}
    )
    drop = st.sampled_from(sorted(VALID)).map(lambda k: {f: v for f, v in VALID.items() if f != k})
    add = st.tuples(st.text(max_size=8), JSON).map(lambda kv: {**VALID, kv[0]: kv[1]})
    return replace | drop | add


@FAST
@given(st.binary(max_size=400) | st.text(max_size=400))
def test_record_parse_raises_only_record_errors(data: bytes | str) -> None:
    try:
        value = records.parse(data)
    except ProtocolError:
        return
    assert isinstance(value, dict)


@FAST
@given(JSON | _mutations())
def test_record_checks_raise_only_record_errors(value: Any) -> None:
    if not isinstance(value, dict):
        return
    try:
        records.check_shape(value)
        records.check_record(value, PUBLIC)
    except ProtocolError:
        return
    assert value == VALID


def _batch_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


@FAST
@given(
    st.binary(max_size=600)
    | JSON.map(_batch_bytes)
    | st.tuples(st.sampled_from(["v", "node", "epoch", "records", "clock"]), JSON).map(
        lambda kv: _batch_bytes(
            {
                **json.loads(
                    encode_batch(
                        "kec-alalak",
                        "a" * 32,
                        [records.serialize(VALID)],
                        {"wall_ts": VALID["ts"], "mono_us": 1},
                    )
                ),
                kv[0]: kv[1],
            }
        )
    ),
    st.sampled_from([None, "gzip", "identity", "br", "GZIP"]),
    st.booleans(),
)
def test_decode_batch_raises_only_protocol_errors(
    data: bytes, encoding: str | None, compress: bool
) -> None:
    if compress:
        data = gzip.compress(data)
    try:
        batch = decode_batch(data, content_encoding=encoding)
    except ProtocolError:
        return
    assert isinstance(batch, dict) and batch["records"]


def test_gzip_bomb_is_a_protocol_error() -> None:
    bomb = gzip.compress(b"{" + b" " * (64 * 1024 * 1024))
    assert len(bomb) < 200_000
    with pytest.raises(ProtocolError, match="beyond|larger"):
        decode_batch(bomb, content_encoding="gzip")


@FAST
@given(
    JSON
    | st.fixed_dictionaries(
        {
            "v": JSON | st.just(1),
            "central": JSON | st.just("central"),
            "version": JSON | st.just(1),
            "issued_ts": JSON | st.just("2026-10-01T23:21:07.412Z"),
            "employees": st.lists(
                JSON
                | st.fixed_dictionaries(
                    {
                        "nip": st.just("198501012010011001") | JSON,
                        "name": JSON,
                        "unit": JSON,
                        "role": st.sampled_from(["staff", "head"]) | JSON,
                        "pin_hash": JSON,
                    }
                ),
                max_size=3,
            ),
            "sig": JSON | st.just("A" * 88),
        }
    )
)
def test_roster_doc_raises_only_roster_errors(doc: Any) -> None:
    try:
        verify_roster_doc(doc, PUBLIC)
    except ProtocolError:
        return
    raise AssertionError("a random roster document verified")


CSV_HEADER = b"nip,name,unit,role,pin\n"


@FAST
@given(
    st.binary(max_size=400)
    | st.lists(
        st.lists(
            st.text(max_size=20)
            | st.just("198501012010011001")
            | st.sampled_from(["staff", "head", "123456"]),
            min_size=0,
            max_size=7,
        ),
        max_size=5,
    ).map(
        lambda rows: (
            CSV_HEADER + "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")
        )
    ),
    st.booleans(),
)
def test_roster_csv_raises_only_roster_file_errors(data: bytes, allow_empty_pin: bool) -> None:
    try:
        rows = parse_roster_csv(data, allow_empty_pin=allow_empty_pin)
    except RosterFileError as exc:
        assert str(exc)
        return
    assert rows
