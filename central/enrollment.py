"""Enrollment: one-time tokens for new nodes and turning a node's CSR into its certificate.

A token printed by ``presensi-central node add`` reads ``NODE.SECRET``: the node learns its
name from it, central keeps only the SHA-256 of SECRET (it is 256 random bits, so a fast
hash is enough), it expires after 72 hours and works once. Central refuses a CSR whose name
differs from the token's node or whose key is not Ed25519 (``certs.csr.load_csr``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from certs.authority import cert_pem, issue_certificate
from certs.csr import load_csr
from certs.errors import CertError
from certs.names import check_node_id

from .errors import ApiError, Conflict, Forbidden, Unauthorized
from .identity import CentralIdentity
from .store.protocol import CentralStore

TOKEN_HOURS = 72
MAX_CSR_BYTES = 16 * 1024
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{20,200}")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_enroll_token(
    store: CentralStore, node: str, *, now: float, hours: float = TOKEN_HOURS
) -> str:
    """Register ``node`` (if new) and return a fresh one-time token ``NODE.SECRET``."""
    try:
        check_node_id(node)
    except CertError as exc:
        raise ApiError(str(exc), code="bad-node-name") from exc
    # Adding an existing node (even a quarantined one) is how an official re-enrolls it:
    # the new certificate comes with permission to start a new log.
    secret = secrets.token_urlsafe(32)
    store.add_enroll_token(node, hash_secret(secret), now + hours * 3600, now)
    return f"{node}.{secret}"


def split_token(token: Any) -> tuple[str, str]:
    """``NODE.SECRET`` -> (node, secret); Unauthorized when it is not of that form."""
    if not isinstance(token, str) or "." not in token or len(token) > 200:
        raise Unauthorized("the enrollment token must look like NODE.SECRET", code="token-invalid")
    node, _, secret = token.partition(".")
    try:
        check_node_id(node)
    except CertError as exc:
        raise Unauthorized(
            "the enrollment token names no valid node", code="token-invalid"
        ) from exc
    # The secret is token_urlsafe output; anything else (a lone surrogate such as JSON "\ud800"
    # would crash the hash) is malformed, not a server error.
    if not SECRET_RE.fullmatch(secret):
        raise Unauthorized("the enrollment token is malformed", code="token-invalid")
    return node, secret


@dataclass(frozen=True)
class Enrollment:
    node: str
    cert_pem: str
    ca_pem: str
    central_pem: str
    central_id: str

    def as_json(self) -> dict[str, str]:
        return {
            "node": self.node,
            "cert": self.cert_pem,
            "ca": self.ca_pem,
            "central": self.central_pem,
            "central_id": self.central_id,
        }


_STATE_ERRORS = {
    "unknown": Unauthorized(
        "the enrollment token is not known for this node", code="token-invalid"
    ),
    "used": Conflict("the enrollment token was already used; ask for a new one", code="token-used"),
    "expired": Forbidden(
        "the enrollment token has expired; ask for a new one", code="token-expired"
    ),
}


def enroll(
    store: CentralStore,
    identity: CentralIdentity,
    token: Any,
    csr: Any,
    *,
    now: float,
    days: int = 825,
) -> Enrollment:
    """Check token and CSR, issue the node's certificate and spend the token, atomically."""
    node, secret = split_token(token)
    if not isinstance(csr, str) or not csr.strip() or len(csr) > MAX_CSR_BYTES:
        raise ApiError("csr must be a PEM certificate signing request", code="bad-csr")
    try:
        name, public_key = load_csr(csr.encode("ascii", "replace"))
    except CertError as exc:
        raise ApiError(str(exc), code="bad-csr") from exc
    token_hash = hash_secret(secret)
    state = store.enroll_token_state(node, token_hash, now)
    if state != "ok":
        raise _STATE_ERRORS[state]
    if name != node:
        raise Forbidden(
            f"the CSR names {name!r} but the token is for {node!r}", code="name-mismatch"
        )

    def issue() -> str:
        ca = identity.ca()
        pem = cert_pem(issue_certificate(ca, public_key, node, days=days)).decode("ascii")
        return pem

    state = store.complete_enrollment(node, token_hash, now, issue)
    if state != "ok":
        raise _STATE_ERRORS[state]
    return Enrollment(
        node=node,
        cert_pem=store_cert(store, node),
        ca_pem=cert_pem(identity.ca_cert).decode("ascii"),
        central_pem=cert_pem(identity.cert).decode("ascii"),
        central_id=identity.name,
    )


def store_cert(store: CentralStore, node: str) -> str:
    row = store.node(node)
    assert row is not None and row.cert_pem is not None
    return row.cert_pem
