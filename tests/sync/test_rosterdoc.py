"""Roster documents: signed by central, versioned, every employee checked."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.demo_roster import make_roster
from sync.errors import RosterError
from sync.pins import hash_pin
from sync.rosterdoc import make_roster_doc, verify_roster_doc

KEY = Ed25519PrivateKey.generate()


def employees(count: int = 5) -> list[dict[str, Any]]:
    return [
        {
            "nip": p["nip"],
            "name": p["name"],
            "unit": p["unit"],
            "role": p["role"],
            "pin_hash": hash_pin(p["pin"], n=2**4),
        }
        for p in make_roster(count)
    ]


def doc(**kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "central": "central-batola",
        "version": 3,
        "issued_ts": "2026-10-01T00:00:00.000Z",
        "employees": employees(),
    }
    args.update(kw)
    return make_roster_doc(**args, key=KEY)


def test_roundtrip_sorted() -> None:
    d = doc()
    assert verify_roster_doc(d, KEY.public_key()) == d
    nips = [e["nip"] for e in d["employees"]]
    assert nips == sorted(nips)


def _emp(d: dict[str, Any], **change: Any) -> dict[str, Any]:
    return {**d, "employees": [{**d["employees"][0], **change}, *d["employees"][1:]]}


TAMPER = [
    ("version", lambda d: {**d, "version": 4}),
    ("name", lambda d: _emp(d, name="Someone Else")),
    ("pin hash swapped", lambda d: _emp(d, pin_hash=d["employees"][1]["pin_hash"])),
    ("dropped employee", lambda d: {**d, "employees": d["employees"][1:]}),
    ("bad nip", lambda d: _emp(d, nip="123")),
    (
        "nip bad month",
        lambda d: _emp(d, nip=d["employees"][0]["nip"][:12] + "13" + d["employees"][0]["nip"][14:]),
    ),
    ("role", lambda d: _emp(d, role="boss")),
    ("pin hash format", lambda d: _emp(d, pin_hash="md5$abc")),
    ("clear pin", lambda d: _emp(d, pin_hash="123456")),
    ("extra employee field", lambda d: _emp(d, pin="123456")),
    ("duplicate nip", lambda d: {**d, "employees": [d["employees"][0], *d["employees"]]}),
    ("empty", lambda d: {**d, "employees": []}),
    ("version zero", lambda d: {**d, "version": 0}),
    ("missing sig", lambda d: {k: v for k, v in d.items() if k != "sig"}),
    ("not object", lambda d: "roster"),
]


@pytest.mark.parametrize(("label", "change"), TAMPER, ids=[t[0] for t in TAMPER])
def test_tampering(label: str, change: Any) -> None:
    with pytest.raises(RosterError):
        verify_roster_doc(change(doc()), KEY.public_key())


def test_wrong_key() -> None:
    with pytest.raises(RosterError, match="does not verify"):
        verify_roster_doc(doc(), Ed25519PrivateKey.generate().public_key())


def test_make_refuses_invalid_employee() -> None:
    bad = employees()
    bad[0]["role"] = "admin"
    with pytest.raises(RosterError):
        doc(employees=bad)
