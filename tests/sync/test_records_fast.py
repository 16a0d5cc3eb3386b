"""``records.seal_serialized`` gives exactly ``seal`` + ``serialize`` (RFC 8785 bytes)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import records
from sync.canonical import canonical_bytes
from sync.errors import CanonicalError

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
text = st.text(alphabet=st.characters(exclude_categories=("Cs",)))
ints = st.integers(-(2**53) + 1, 2**53 - 1)
json_values = st.recursive(
    st.none() | st.booleans() | ints | text,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8),
                      children, max_size=5),
    max_leaves=30,
)
scalar = text | ints | st.none() | st.booleans()


def _check(unsigned: dict) -> None:
    try:
        expected = records.seal(unsigned, KEY)
        expected_text = records.serialize(expected)
    except CanonicalError:
        with pytest.raises(CanonicalError):
            records.seal_serialized(unsigned, KEY)
        return
    sealed, serialized = records.seal_serialized(unsigned, KEY)
    assert sealed == expected
    assert serialized == expected_text
    assert serialized.encode("utf-8") == canonical_bytes(sealed)


@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(text, json_values, max_size=6), node=text, epoch=text, seq=ints,
       ts=text, mono=ints, boot=text, prev=text, type_=text)
def test_same_as_seal_then_serialize(body, node, epoch, seq, ts, mono, boot, prev, type_):
    _check(records.build(node=node, epoch=epoch, seq=seq, type=type_, ts=ts, mono_us=mono,
                         boot_id=boot, prev=prev, body=body))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(scalar, min_size=9, max_size=9), body=json_values)
def test_odd_values_take_the_general_path(values, body):
    unsigned = dict(zip(("node", "epoch", "seq", "type", "ts", "mono_us", "boot_id", "prev", "v"),
                        values, strict=True))
    unsigned["body"] = body
    _check(unsigned)


@pytest.mark.parametrize("bad", [{"seq": 2**53}, {"seq": 1.5}, {"node": "\ud800"},
                                 {"body": {"x": 0.5}}, {"body": {"s": "\udfff"}}])
def test_refuses_what_seal_refuses(bad):
    unsigned = records.build(node="kec-a", epoch="0" * 32, seq=1, type="checkin",
                             ts="2026-01-01T00:00:00.000Z", mono_us=1, boot_id="b",
                             prev=records.ZERO_HASH, body={"n": 1})
    unsigned.update(bad)
    with pytest.raises(CanonicalError):
        records.seal_serialized(unsigned, KEY)


def test_extra_fields_take_the_general_path():
    unsigned = records.build(node="kec-a", epoch="0" * 32, seq=1, type="checkin",
                             ts="2026-01-01T00:00:00.000Z", mono_us=1, boot_id="b",
                             prev=records.ZERO_HASH, body={"\u20ac": 1, "a": [True, None]})
    unsigned["zzz"] = "extra"
    _check(unsigned)
