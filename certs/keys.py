"""Ed25519 key pairs and the files that hold them.

Private keys are PEM (PKCS #8, unencrypted: the file mode is the protection, as for SSH host
keys) in files with mode 0600 inside directories created with mode 0700. A key file that group
or other users may read is refused rather than used, because the key may already have leaked.
"""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from certs._atomic import create_file, replace_file
from certs.errors import KeyFileError

__all__ = [
    "generate_key",
    "load_private_key",
    "public_key_pem",
    "save_private_key",
    "write_pem",
]


def generate_key() -> Ed25519PrivateKey:
    """Return a new random Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def save_private_key(key: Ed25519PrivateKey, path: Path) -> None:
    """Write ``key`` to a new file at ``path`` (PEM, PKCS #8) with mode 0600.

    Missing parent directories are created with mode 0700. An existing file is never
    overwritten: losing a key that has a certificate is worse than failing loudly.
    """
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    try:
        create_file(path, pem, 0o600, dir_mode=0o700)
    except FileExistsError:
        raise KeyFileError(
            f"A key file already exists at {path}; it was left untouched. "
            "Move it away first if you really mean to replace this key."
        ) from None
    except OSError as exc:
        raise KeyFileError(
            f"Could not write the key file {path} ({exc.strerror}); "
            "check that its directory is writable."
        ) from exc


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read the Ed25519 private key at ``path``.

    Raises :class:`KeyFileError` if the file is missing or unreadable, is not an unencrypted
    PEM Ed25519 private key, or its mode lets group or other users access it.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(
            f"There is no key file at {path}; check the path or create the key first."
        ) from None
    except OSError as exc:
        raise KeyFileError(
            f"Could not inspect the key file {path} ({exc.strerror}); check its permissions."
        ) from exc
    if not stat.S_ISREG(mode):
        raise KeyFileError(f"{path} is not a regular file; point to the key file itself.")
    if mode & 0o077:
        raise KeyFileError(
            f"The key file {path} can be accessed by other users (mode "
            f"{stat.S_IMODE(mode):04o}); run 'chmod 600 {path}' and check whether the key "
            "has leaked."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(
            f"Could not read the key file {path} ({exc.strerror}); check its owner and mode."
        ) from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyFileError(
            f"{path} does not hold an unencrypted PEM private key; "
            "restore the right key file from backup."
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(
            f"The key in {path} is not an Ed25519 key; Smart Presensi keys must be Ed25519, "
            "so create a new key with this tool."
        )
    return key


def public_key_pem(key_or_pub: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """Return the public half of ``key_or_pub`` as PEM SubjectPublicKeyInfo bytes."""
    public = key_or_pub.public_key() if isinstance(key_or_pub, Ed25519PrivateKey) else key_or_pub
    return public.public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )


def write_pem(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Atomically write ``data`` (certificates, CSRs, CRLs) to ``path`` with ``mode``
    (0600: everything under a data or CA directory is private, certs/filemodes.py).

    An existing file is replaced in one step, so a reader never sees half a file.
    """
    replace_file(path, data, mode)
