"""Ed25519 key files: creation mode, refusal to overwrite, and refusing unsafe files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certs.errors import KeyFileError
from certs.keys import generate_key, load_private_key, public_key_pem, save_private_key, write_pem


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def test_save_and_load_round_trip_with_mode_0600(tmp_path: Path) -> None:
    key = generate_key()
    path = tmp_path / "a" / "b" / "node.key"
    old_umask = os.umask(0)  # even with a permissive umask the file must be 0600
    try:
        save_private_key(key, path)
    finally:
        os.umask(old_umask)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert _mode(path.parent.parent) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert _raw(load_private_key(path)) == _raw(key)
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    save_private_key(generate_key(), path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        save_private_key(generate_key(), path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_load_refuses_key_readable_by_others(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "node.key"
    save_private_key(generate_key(), path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=f"chmod 600 {path}"):
        load_private_key(path)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no key file"):
        load_private_key(tmp_path / "absent.key")


def _write_0600(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    "data",
    [b"", b"not a key", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"],
)
def test_load_refuses_garbage(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(KeyFileError, match="PEM private key"):
        load_private_key(_write_0600(tmp_path / "bad.key", data))


def test_load_refuses_non_ed25519_key(tmp_path: Path) -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyFileError, match="not an Ed25519 key"):
        load_private_key(_write_0600(tmp_path / "ec.key", pem))


def test_load_refuses_encrypted_key(tmp_path: Path) -> None:
    pem = generate_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(KeyFileError):
        load_private_key(_write_0600(tmp_path / "enc.key", pem))


def test_public_key_pem_same_for_private_and_public(tmp_path: Path) -> None:
    key = generate_key()
    pem = public_key_pem(key)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert pem == public_key_pem(key.public_key())
    assert pem != public_key_pem(generate_key())


def test_write_pem_replaces_atomically_with_mode(tmp_path: Path) -> None:
    path = tmp_path / "out" / "cert.pem"
    write_pem(path, b"first")
    assert path.read_bytes() == b"first"
    assert _mode(path) == 0o600  # private by default (certs/filemodes.py)
    assert _mode(path.parent) == 0o700
    write_pem(path, b"second", mode=0o644)  # a public copy, asked for explicitly
    assert path.read_bytes() == b"second"
    assert _mode(path) == 0o644
    assert list(path.parent.iterdir()) == [path]
