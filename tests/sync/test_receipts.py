"""Receipts: signing, verification, tampering, and verification with the real openssl."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certs.keys import public_key_pem
from sync.errors import ReceiptError
from sync.receipts import make_receipt, signed_bytes, verify_receipt

KEY = Ed25519PrivateKey.generate()
FIELDS: dict[str, Any] = {
    "central": "central-batola",
    "node": "kec-alalak",
    "epoch": "ab" * 16,
    "seq": 41,
    "head": "cd" * 32,
    "server_ts": "2026-10-01T23:21:07.412Z",
}


def receipt() -> dict[str, Any]:
    return make_receipt(**FIELDS, key=KEY)


def test_roundtrip() -> None:
    r = receipt()
    assert set(r) == {"v", "central", "node", "epoch", "seq", "head", "server_ts", "sig"}
    assert verify_receipt(r, KEY.public_key()) == r
    assert len(base64.b64decode(r["sig"])) == 64


TAMPER = [
    ("seq", lambda r: {**r, "seq": 42}),
    ("head", lambda r: {**r, "head": "ce" + r["head"][2:]}),
    ("server_ts", lambda r: {**r, "server_ts": "2026-10-01T23:21:08.412Z"}),
    ("node", lambda r: {**r, "node": "kec-tamban"}),
    ("extra field", lambda r: {**r, "note": "x"}),
    ("missing sig", lambda r: {k: v for k, v in r.items() if k != "sig"}),
    ("sig not base64", lambda r: {**r, "sig": "!!!"}),
    ("sig short", lambda r: {**r, "sig": base64.b64encode(b"x" * 10).decode()}),
    ("seq negative", lambda r: {**r, "seq": -1}),
    ("seq bool", lambda r: {**r, "seq": True}),
    ("v2", lambda r: {**r, "v": 2}),
    ("bad ts", lambda r: {**r, "server_ts": "2026-10-01 23:21:07"}),
    ("not a dict", lambda r: [r]),
]


@pytest.mark.parametrize(("label", "change"), TAMPER, ids=[t[0] for t in TAMPER])
def test_tampering(label: str, change: Any) -> None:
    with pytest.raises(ReceiptError):
        verify_receipt(change(receipt()), KEY.public_key())


def test_wrong_key() -> None:
    with pytest.raises(ReceiptError, match="does not verify"):
        verify_receipt(receipt(), Ed25519PrivateKey.generate().public_key())


def test_make_refuses_bad_fields() -> None:
    with pytest.raises(ReceiptError):
        make_receipt(**{**FIELDS, "head": "xyz"}, key=KEY)


def test_openssl_verifies_receipt(tmp_path: Path) -> None:
    r = receipt()
    (tmp_path / "central_pub.pem").write_bytes(public_key_pem(KEY))
    (tmp_path / "canon.bin").write_bytes(signed_bytes(r))
    (tmp_path / "sig.bin").write_bytes(base64.b64decode(r["sig"]))
    cmd = [
        "openssl",
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        "central_pub.pem",
        "-rawin",
        "-in",
        "canon.bin",
        "-sigfile",
        "sig.bin",
    ]
    ok = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr + ok.stdout
    assert "Signature Verified Successfully" in ok.stdout
    (tmp_path / "canon.bin").write_bytes(signed_bytes({**r, "seq": 40}))
    bad = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0
