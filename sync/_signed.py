"""Shared helpers for the small signed JSON documents central issues (receipts, rosters).

Both are plain objects plus ``sig``: standard padded base64 of an Ed25519 signature over the
RFC 8785 canonical bytes of the object without ``sig`` (the same rule as records).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .canonical import canonical_bytes
from .errors import CanonicalError


def signed_bytes(document: dict[str, Any]) -> bytes:
    """The canonical bytes a document's ``sig`` covers: the document without ``sig``."""
    return canonical_bytes({k: v for k, v in document.items() if k != "sig"})


def sign_document(document: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """Return ``document`` with ``sig`` added."""
    signed = dict(document)
    signed["sig"] = base64.b64encode(key.sign(signed_bytes(document))).decode("ascii")
    return signed


def check_signature(document: dict[str, Any], public_key: Ed25519PublicKey) -> str | None:
    """Verify ``sig``; return None when it verifies, else the reason as a sentence."""
    sig = document.get("sig")
    if not isinstance(sig, str):
        return "sig is missing or not a string"
    try:
        raw = base64.b64decode(sig, validate=True)
    except (binascii.Error, ValueError):
        return "sig is not valid base64"
    if len(raw) != 64:
        return "sig is not 64 bytes"
    try:
        public_key.verify(raw, signed_bytes(document))
    except CanonicalError as exc:
        return f"the document cannot be canonicalised: {exc}"
    except InvalidSignature:
        return "the signature does not verify with central's key"
    return None


def fields_problem(document: Any, fields: tuple[str, ...], *, signed: bool) -> str | None:
    """None when ``document`` is an object with exactly ``fields`` (plus ``sig`` when signed),
    else what is wrong, as the end of a sentence."""
    if not isinstance(document, dict):
        return "is not a JSON object"
    expected = set(fields) | ({"sig"} if signed else set())
    if set(document) == expected:
        return None
    missing, extra = sorted(expected - set(document)), sorted(set(document) - expected)
    return f"fields wrong: missing {missing}, unknown {extra}"


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
