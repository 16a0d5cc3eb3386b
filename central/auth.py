"""Who is asking: nodes (HTTP Message Signatures over their Ed25519 key) and officials
(API bearer tokens with the role ``viewer`` or ``admin``, owned by an account). No Flask here.

A node's key comes from its current certificate, checked against the district CA and its
CRL on every request. A certificate issued on the offline path (``presensi-ca issue`` in
central's ``ca/``) is found in the CA's ``issued/`` directory and installed on first use.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certs.authority import cert_pem, load_cert
from certs.errors import CertError, CertificateRevoked
from sync.errors import SignatureError
from sync.httpsig import MAX_FUTURE, verify_request

from .accounts import Principal, principal_of
from .errors import Forbidden, Unauthorized, from_sync_error
from .identity import CentralIdentity
from .rotation import TrustList
from .store.protocol import CentralStore
from .store.rows import ACCOUNT_ROLES, API_ROLES, MACHINE_ACCOUNT, ApiToken

TOKEN_PREFIX = "pct_"
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 3660


# --- API bearer tokens ------------------------------------------------------------------
# A token belongs to an account (the built-in machine account unless made with --user) and
# acts with that account's units and the lower of its own role and the account's role. Every
# token expires; a revoked or expired token, or one of a disabled account, is unknown (401).


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_api_token(
    store: CentralStore,
    role: str,
    *,
    now: float,
    account: str | None = None,
    days: float = DEFAULT_TOKEN_DAYS,
) -> str:
    """A new random bearer token for ``role``; only its hash is stored."""
    if role not in API_ROLES:
        raise ValueError(f"role must be one of {', '.join(API_ROLES)}")
    if not 0 < days <= MAX_TOKEN_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_TOKEN_DAYS}")
    owner = store.account(account or MACHINE_ACCOUNT)
    if owner is None or owner.disabled:
        raise ValueError(
            f"there is no account {account!r}; add it with 'presensi-central user add' first"
        )
    if ACCOUNT_ROLES.index(role) > ACCOUNT_ROLES.index(owner.role):
        raise ValueError(f"account {owner.name!r} is {owner.role}; its tokens cannot be {role}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    store.add_token(ApiToken(hash_token(token), role, owner.name, now, now + days * 86400, None))
    return token


def token_principal(
    store: CentralStore, token: str | None, now: float | None = None
) -> Principal | None:
    """Who a bearer token acts as, or None when it is unknown, revoked or expired."""
    if not token or len(token) > 200:
        return None
    row = store.api_token(hash_token(token))
    moment = time.time() if now is None else now
    if row is None or row.revoked_at is not None or row.expires_at <= moment:
        return None
    owner = store.account(row.account)
    if owner is None or owner.disabled:
        return None
    return principal_of(owner, cap=row.role)


def token_role(store: CentralStore, token: str | None) -> str | None:
    """The role of a bearer token, or None when it is unknown."""
    who = token_principal(store, token)
    return who.role if who else None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_principal(
    store: CentralStore, token: str | None, role: str, now: float | None = None
) -> Principal:
    """Check a bearer token acts with ``role`` or above (admin > approver > viewer)."""
    who = token_principal(store, token, now)
    if who is None:
        raise Unauthorized("send a valid API token: Authorization: Bearer TOKEN")
    if not who.can(role):
        raise Forbidden(f"this action needs an {role} token", code="forbidden-role")
    return who


def require_role(
    store: CentralStore, token: str | None, role: str, now: float | None = None
) -> str:
    """Check a bearer token has ``role`` (admin includes viewer); return its role."""
    return require_principal(store, token, role, now).role


# --- node requests ----------------------------------------------------------------------


class NodeAuth:
    """Verifies node-signed requests: signature, certificate, revocation and replay."""

    def __init__(
        self,
        store: CentralStore,
        identity: CentralIdentity,
        *,
        max_age: int,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.identity = identity
        self.max_age = max_age
        self.clock = clock
        self.trust = TrustList(identity)  # the current district CA and those kept trusted

    def _issued_cert(self, node: str) -> x509.Certificate | None:
        """The newest Ed25519 certificate the CA issued to ``node`` (offline path)."""
        best: x509.Certificate | None = None
        for path in self.trust.issued(node):
            if path.stem.rsplit("-", 1)[0] != node:
                continue
            try:
                cert = load_cert(path)
            except CertError:
                continue
            if not isinstance(cert.public_key(), Ed25519PublicKey):
                continue  # an HTTPS certificate, not the node's signing key
            if best is None or cert.not_valid_before_utc > best.not_valid_before_utc:
                best = cert
        return best

    def node_key(self, node: str) -> Ed25519PublicKey:
        """The public key of ``node``'s current certificate.

        KeyError for an unknown node (401); Forbidden for a revoked node or a certificate
        that does not verify against the district CA (403).
        """
        if node == self.identity.name:
            raise KeyError(node)
        row = self.store.node(node)
        if row is not None and row.status == "revoked":
            raise Forbidden(f"node {node!r} was revoked", code="revoked")
        cert = load_cert(row.cert_pem.encode("ascii")) if row and row.cert_pem else None
        offline = self._issued_cert(node)
        if offline is not None and (
            cert is None
            or (
                offline.serial_number != cert.serial_number
                and offline.not_valid_before_utc > cert.not_valid_before_utc
            )
        ):
            try:
                self.trust.verify(offline, node)
            except CertError:
                pass  # a revoked or expired offline certificate is no replacement
            else:
                self.store.install_cert(node, cert_pem(offline).decode("ascii"), self.clock())
                cert = offline
        if cert is None:
            raise KeyError(node)
        try:
            self.trust.verify(cert, node)
        except CertificateRevoked as exc:
            self.store.set_status(node, "revoked")
            raise Forbidden(str(exc), code="revoked") from exc
        except CertError as exc:
            raise Forbidden(str(exc), code="certificate-invalid") from exc
        public = cert.public_key()
        if not isinstance(public, Ed25519PublicKey):
            raise Forbidden("the node certificate's key is not Ed25519", code="certificate-invalid")
        return public

    def verify(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[str, Ed25519PublicKey]:
        """Verify a node request; return (node id, its public key).

        401 for a missing, malformed, expired or non-verifying signature, an unknown node or
        a replayed nonce; 403 for a revoked node or invalid certificate.
        """
        keys: dict[str, Ed25519PublicKey] = {}

        def resolve(key_id: str) -> Ed25519PublicKey:
            keys[key_id] = self.node_key(key_id)
            return keys[key_id]

        now = self.clock()
        try:
            verified = verify_request(
                method, url, headers, body, resolve, now=int(now), max_age=self.max_age
            )
        except SignatureError as exc:
            raise from_sync_error(exc) from exc
        keep = self.max_age + MAX_FUTURE + 60
        if not self.store.remember_nonce(
            verified.key_id, verified.nonce, verified.created, now, keep
        ):
            raise Unauthorized(
                "this request was already received (nonce replayed)",
                code="replayed",
                reason="replayed",
            )
        return verified.key_id, keys[verified.key_id]


def same_node(signed_by: str, node: str) -> None:
    """A node may only act on its own resources."""
    if not hmac.compare_digest(signed_by.encode(), node.encode()):
        raise Forbidden(f"signed by {signed_by!r}, not by {node!r}", code="wrong-node")
