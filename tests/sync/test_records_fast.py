"""The fast paths give exactly what the reference paths give: ``records.seal_serialized`` is
``seal`` + ``serialize`` (RFC 8785 bytes), ``records.signed_text`` is ``serialize`` of a checked
record, and ``timefmt.wita_day`` is the date eight hours later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import records, timefmt
from sync.canonical import canonical_bytes
from sync.errors import CanonicalError, RecordError
from sync.timefmt import format_ts

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
text = st.text(alphabet=st.characters(exclude_categories=["Cs"]))
ints = st.integers(-(2**53) + 1, 2**53 - 1)
json_values = st.recursive(
    st.none() | st.booleans() | ints | text,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8),
            children,
            max_size=5,
        )
    ),
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
@given(
    body=st.dictionaries(text, json_values, max_size=6),
    node=text,
    epoch=text,
    seq=ints,
    ts=text,
    mono=ints,
    boot=text,
    prev=text,
    type_=text,
)
def test_same_as_seal_then_serialize(body, node, epoch, seq, ts, mono, boot, prev, type_):
    _check(
        records.build(
            node=node,
            epoch=epoch,
            seq=seq,
            type=type_,
            ts=ts,
            mono_us=mono,
            boot_id=boot,
            prev=prev,
            body=body,
        )
    )


@settings(max_examples=200, deadline=None)
@given(values=st.lists(scalar, min_size=9, max_size=9), body=json_values)
def test_odd_values_take_the_general_path(values, body):
    unsigned = dict(
        zip(
            ("node", "epoch", "seq", "type", "ts", "mono_us", "boot_id", "prev", "v"),
            values,
            strict=True,
        )
    )
    unsigned["body"] = body
    _check(unsigned)


@pytest.mark.parametrize(
    "bad",
    [
        {"seq": 2**53},
        {"seq": 1.5},
        {"node": "\ud800"},
        {"body": {"x": 0.5}},
        {"body": {"s": "\udfff"}},
    ],
)
def test_refuses_what_seal_refuses(bad):
    unsigned = records.build(
        node="kec-a",
        epoch="0" * 32,
        seq=1,
        type="checkin",
        ts="2026-01-01T00:00:00.000Z",
        mono_us=1,
        boot_id="b",
        prev=records.ZERO_HASH,
        body={"n": 1},
    )
    unsigned.update(bad)
    with pytest.raises(CanonicalError):
        records.seal_serialized(unsigned, KEY)


def test_extra_fields_take_the_general_path():
    unsigned = records.build(
        node="kec-a",
        epoch="0" * 32,
        seq=1,
        type="checkin",
        ts="2026-01-01T00:00:00.000Z",
        mono_us=1,
        boot_id="b",
        prev=records.ZERO_HASH,
        body={"\u20ac": 1, "a": [True, None]},
    )
    unsigned["zzz"] = "extra"
    _check(unsigned)


# --- records.signed_text: central's serialisation of a record it has just checked ----------

ts_strategy = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(format_ts)
valid_records = st.builds(
    lambda body, node, seq, ts, mono, boot: records.seal(
        records.build(
            node=node,
            epoch="ab" * 16,
            seq=seq,
            type="checkin",
            ts=ts,
            mono_us=mono,
            boot_id=boot,
            prev=records.ZERO_HASH,
            body=body,
        ),
        KEY,
    ),
    body=st.dictionaries(text, json_values, max_size=6),
    node=st.from_regex(r"[a-z0-9-]{3,40}", fullmatch=True),
    seq=st.integers(0, 2**53 - 1),
    ts=ts_strategy,
    mono=st.integers(0, 2**53 - 1),
    boot=text.filter(bool),
)


@settings(max_examples=300, deadline=None)
@given(record=valid_records)
def test_signed_text_is_serialize(record):
    try:
        canonical_bytes(record)
    except CanonicalError:
        return  # not a record check_record would accept
    unsigned = records.check_record(record, KEY.public_key())
    assert records.signed_text(unsigned, record) == records.serialize(record)


def test_signed_text_with_hash_and_sig_lookalikes_in_the_body():
    # Keys and strings that spell the top-level members must not move the splice points.
    body = {"mono_us": 1, "ts": "x", "z": ',"mono_us":', "zz": {',"ts":': ',"hash":"'}}
    record = records.seal(
        records.build(
            node="kec-a",
            epoch="ab" * 16,
            seq=3,
            type="checkin",
            ts="2026-01-01T00:00:00.000Z",
            mono_us=9,
            boot_id=',"ts":',
            prev=records.ZERO_HASH,
            body=body,
        ),
        KEY,
    )
    unsigned = records.check_record(record, KEY.public_key())
    assert records.signed_text(unsigned, record) == records.serialize(record)


# --- timefmt.wita_day: cached per UTC hour -------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(ts=ts_strategy)
def test_wita_day_is_the_date_eight_hours_later(ts):
    moment = timefmt.parse_ts(ts)
    assert timefmt.wita_day(ts) == (moment + timedelta(hours=8)).strftime("%Y-%m-%d")


@pytest.mark.parametrize(
    "bad",
    [
        "2026-01-01T24:00:00.000Z",
        "2026-13-01T00:00:00.000Z",
        "2026-01-01 00:00:00.000Z",
        "",
        None,
        5,
    ],
)
def test_wita_day_refuses_what_parse_ts_refuses(bad):
    with pytest.raises(ValueError):
        timefmt.wita_day(bad)


# --- records.check_shape: the one-expression common case agrees with the field checks ------

any_json = json_values | st.floats(allow_nan=False) | st.just(True) | st.just(False)


@settings(max_examples=500, deadline=None)
@given(
    record=valid_records,
    field=st.sampled_from([*records.SIGNED_FIELDS, "hash", "sig", "x"]),
    value=any_json,
    drop=st.booleans(),
)
def test_shape_fast_path_agrees_with_the_field_checks(record, field, value, drop):
    if drop:
        record.pop(field, None)
    else:
        record[field] = value
    try:
        records._shape_problem(record)
        slow_ok = True
    except RecordError:
        slow_ok = False
    assert records._well_formed(record) == slow_ok
