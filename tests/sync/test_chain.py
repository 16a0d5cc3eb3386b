"""The chain verifier: each way a log can be wrong is named with its seq and reason."""

from __future__ import annotations

import copy

import pytest

from certs.keys import generate_key
from sync.chain import ChainVerifier, verify_log
from sync.errors import RecordError
from sync.records import ZERO_HASH, build, seal

KEY = generate_key()
EPOCH = "ab" * 16


def _log(n: int, key=KEY, node="kec-tamban") -> list[dict]:
    out, prev = [], ZERO_HASH
    for seq in range(n):
        rec = seal(
            build(
                node=node,
                epoch=EPOCH,
                seq=seq,
                type="genesis" if seq == 0 else "checkin",
                ts="2026-10-01T23:21:07.412Z",
                mono_us=seq,
                boot_id="b",
                prev=prev,
                body={"seq": seq},
            ),
            key,
        )
        out.append(rec)
        prev = rec["hash"]
    return out


def test_good_log_verifies():
    state = verify_log(_log(5), KEY.public_key())
    assert (state.count, state.next_seq, state.node) == (5, 5, "kec-tamban")


def _mutate(log, how):
    log = copy.deepcopy(log)
    if how == "edit":
        log[2]["body"]["seq"] = 99
    elif how == "drop":
        del log[2]
    elif how == "swap":
        log[2], log[3] = log[3], log[2]
    elif how == "other-key":
        log = _log(5, key=generate_key())
    elif how == "other-node":
        log[3] = _log(5, node="kec-cerbon")[3]
    elif how == "no-genesis":
        log = log[1:]
    elif how == "float":
        log[2]["mono_us"] = 1.5
    elif how == "bad-sig-b64":
        log[2]["sig"] = "!!!"
    elif how == "extra-field":
        log[2]["note"] = "x"
    return log


@pytest.mark.parametrize(
    "how,reason,seq",
    [
        ("edit", "bad-hash", 2),
        ("drop", "gap", 3),
        ("swap", "gap", 3),
        ("other-key", "bad-signature", 0),
        ("other-node", "wrong-node", 3),
        ("no-genesis", "gap", 1),
        ("float", "bad-shape", 2),
        ("bad-sig-b64", "bad-signature", 2),
        ("extra-field", "bad-shape", 2),
    ],
)
def test_each_fault_is_named(how, reason, seq):
    with pytest.raises(RecordError) as info:
        verify_log(_mutate(_log(5), how), KEY.public_key())
    assert (info.value.reason, info.value.seq) == (reason, seq)


def test_verifier_resumes_from_a_stored_head():
    log = _log(6)
    v = ChainVerifier(
        KEY.public_key(), node="kec-tamban", epoch=EPOCH, next_seq=3, head=log[2]["hash"]
    )
    for rec in log[3:]:
        v.feed(rec)
    assert v.next_seq == 6


@pytest.mark.parametrize(
    "field,value",
    [
        ("node", "kec-tamban\n"),
        ("ts", "2026-10-01T23:21:07.412Z\n"),
        ("ts", "\u0662026-10-01T23:21:07.412Z"),
        ("epoch", "ab" * 16 + "\n"),
    ],
)
def test_shape_refuses_trailing_newlines_and_non_ascii_digits(field, value):
    from sync.records import check_shape

    record = dict(_log(1)[0])
    record[field] = value
    with pytest.raises(RecordError) as info:
        check_shape(record)
    assert info.value.reason == "bad-shape"
