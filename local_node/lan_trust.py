"""Is a node seen on the LAN one of ours? What ``presensi-node discover`` asks each one.

A zeroconf announcement is unauthenticated: anyone on the Wi-Fi can announce any name and
fingerprint. So for each node seen, when this node has the district CA (``certs/ca.pem``):
fetch its ``GET /api/v1/node?challenge=NONCE`` over the LAN and check that
1. its certificate chains to our CA and names the node id it announces,
2. the certificate's SHA-256 is the fingerprint it announces (and reports),
3. it signed our fresh nonce with that certificate's key (a copy of the public certificate
   is not enough: only the key holder can sign).
Any failure marks it untrusted, with the reason.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from pathlib import Path
from typing import Any

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certs.errors import CertError
from certs.verify import fingerprint_sha256, verify_certificate

__all__ = ["CHALLENGE_RE", "challenge_message", "check_node", "load_ca"]

CHALLENGE_RE = re.compile(r"[A-Za-z0-9_-]{16,128}")
_PREFIX = b"presensi-node-challenge:"


def challenge_message(challenge: str) -> bytes:
    """The bytes a node signs for ``?challenge=``: domain-separated, so the signature can
    never be mistaken for a record's or a request's."""
    return _PREFIX + challenge.encode("ascii")


def load_ca(path: Path) -> x509.Certificate | None:
    """The district CA certificate at ``path``, or None when there is none."""
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return None


class _Untrusted(Exception):
    pass


def _fetch(item: dict[str, Any], challenge: str, timeout: float) -> dict[str, Any]:
    address = item["address"]
    host = f"[{address}]" if ":" in address else address
    url = f"http://{host}:{item['port']}/api/v1/node"
    try:
        response = requests.get(url, params={"challenge": challenge}, timeout=timeout)
        answer = response.json()
    except requests.RequestException as exc:
        raise _Untrusted(f"cannot reach {url} ({type(exc).__name__})") from exc
    except ValueError as exc:
        raise _Untrusted(f"{url} did not answer JSON") from exc
    if response.status_code != 200 or not isinstance(answer, dict):
        raise _Untrusted(f"{url} answered HTTP {response.status_code}")
    return answer


def _check(item: dict[str, Any], ca: x509.Certificate, timeout: float) -> None:
    challenge = secrets.token_urlsafe(24)
    answer = _fetch(item, challenge, timeout)
    pem, sig = answer.get("certificate_pem"), answer.get("challenge_sig")
    if not isinstance(pem, str) or not isinstance(sig, str):
        raise _Untrusted("it did not send its certificate and a signed challenge")
    try:
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise _Untrusted("its certificate is not PEM") from exc
    try:
        verify_certificate(cert, ca, name=str(item["node"]))
    except CertError as exc:
        raise _Untrusted(f"certificate not issued by our CA for {item['node']}: {exc}") from exc
    fingerprint = fingerprint_sha256(cert)
    if fingerprint != item["fingerprint"] or answer.get("fingerprint") != fingerprint:
        raise _Untrusted("the announced fingerprint is not its certificate's")
    public = cert.public_key()
    try:
        if not isinstance(public, Ed25519PublicKey):
            raise InvalidSignature
        public.verify(base64.b64decode(sig, validate=True), challenge_message(challenge))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise _Untrusted(
            "it does not hold the certificate's key (challenge signature does not verify)"
        ) from exc


def check_node(
    item: dict[str, Any], ca: x509.Certificate | None, timeout: float = 3.0
) -> dict[str, Any]:
    """``item`` (from ``discovery.browse``) with ``trusted`` (True, False, or None when
    there is no CA to check against) and ``trust`` (why, in words)."""
    if ca is None:
        return {
            **item,
            "trusted": None,
            "trust": "not checked: no certs/ca.pem (give --data of an enrolled node)",
        }
    try:
        _check(item, ca, timeout)
    except _Untrusted as exc:
        return {**item, "trusted": False, "trust": f"UNTRUSTED: {exc}"}
    return {**item, "trusted": True, "trust": "certificate issued by our CA; key verified"}
