"""HTTP Message Signatures (RFC 9421) with Ed25519 on node-to-central requests.

Every node request carries three headers:

- ``Content-Digest: sha-256=:BASE64:`` (RFC 9530) of the body bytes as sent (an empty body
  for GET has the digest of ``b""``), so the body is covered by the signature;
- ``Signature-Input: presensi=("@method" "@target-uri" "content-digest");created=...;
  keyid="NODE";alg="ed25519";nonce="..."``;
- ``Signature: presensi=:BASE64:``.

``keyid`` is the node id (the CN of its certificate). ``nonce`` is 18 random bytes in
base64url; replay detection (a nonce seen before) is the verifier's job, using its store.

``@target-uri`` is the absolute URL. The node signs the exact URL it requests (scheme, host,
port, path and query, ASCII, percent-encoded); the server rebuilds it from the request it
received (Flask: ``request.url``), so a reverse proxy in front of central must preserve the
Host header and scheme (or central must be configured with its public base URL).
Both sides sign and verify ``target_uri(url)``: the URL normalised as RFC 3986 section 6.2.2.1
and 6.2.3 say (lower-case scheme and host, the default port dropped, a host's trailing dot
dropped, an empty path as ``/``), because the client names its URL one way
(``http://Central.:80``) and the server rebuilds it from the Host header another way.

The signature format comes from the ``http-message-signatures`` library; this module fixes
our policy on top of it: the covered components, the clock window and the error reasons.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import http_sf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from .errors import SignatureError

__all__ = [
    "COVERED",
    "LABEL",
    "VerifiedRequest",
    "content_digest",
    "sign_request",
    "target_uri",
    "verify_request",
]

COVERED = ("@method", "@target-uri", "content-digest")
LABEL = "presensi"
MAX_FUTURE = 60
NONCE_BYTES = 18


@dataclass(frozen=True)
class VerifiedRequest:
    """What a verified signature proves: who signed, when, and its nonce (for replay checks)."""

    key_id: str
    created: int
    nonce: str


@dataclass
class _Message:
    """The minimal request shape the library reads: method, absolute URL, headers."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


class _OneKey(HTTPSignatureKeyResolver):
    """Hands the library the one key we already resolved (or hold, when signing)."""

    def __init__(
        self, *, private: Ed25519PrivateKey | None = None, public: Ed25519PublicKey | None = None
    ) -> None:
        self.private = private
        self.public = public

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        assert self.private is not None
        return self.private

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        return self.public


class _Verifier(HTTPMessageVerifier):
    """The library's verifier without its own clock checks: ours use the injectable ``now``."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def target_uri(url: str) -> str:
    """``url`` in the one form both sides sign and verify (RFC 3986 sections 6.2.2.1, 6.2.3).

    Scheme and host in lower case, the scheme's default port and the host's trailing dot
    dropped, an empty path written ``/``; path and query stay byte for byte as sent.
    SignatureError ("malformed") for a URL that is not absolute http(s).
    """
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SignatureError("malformed", f"the target URI is not a URL: {exc}") from exc
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        raise SignatureError("malformed", f"the target URI {url!r} is not an absolute http(s) URL")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        raise SignatureError("malformed", "the target URI must not carry user information")
    query = f"?{parts.query}" if parts.query or url.endswith("?") else ""
    return f"{scheme}://{netloc}{parts.path or '/'}{query}"


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value of ``body``: ``sha-256=:BASE64:``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def sign_request(
    method: str,
    url: str,
    body: bytes,
    key: Ed25519PrivateKey,
    key_id: str,
    *,
    created: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """Return the headers to add to a request: Content-Digest, Signature-Input, Signature.

    ``url`` must be the exact absolute URL that will be requested; ``body`` the exact bytes
    sent (after any gzip). ``created`` defaults to now, ``nonce`` to 18 random bytes.
    """
    message = _Message(method.upper(), target_uri(url), {"Content-Digest": content_digest(body)})
    when = int(time.time()) if created is None else created
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(private=key)
    )
    try:
        signer.sign(
            message,
            key_id=key_id,
            created=datetime.fromtimestamp(when, UTC),
            nonce=nonce if nonce is not None else secrets.token_urlsafe(NONCE_BYTES),
            label=LABEL,
            covered_component_ids=COVERED,
            body=body,
            use_existing_digest=True,
        )
    except HTTPMessageSignaturesException as exc:
        raise SignatureError("malformed", f"cannot sign this request: {exc}") from exc
    return dict(message.headers)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _check_digest(value: str, body: bytes) -> None:
    try:
        parsed: Any = http_sf.parse(value.encode("latin-1"), tltype="dictionary")
    except (ValueError, UnicodeEncodeError) as exc:
        raise SignatureError("malformed", "Content-Digest is not a structured dictionary") from exc
    member = parsed.get("sha-256") if isinstance(parsed, dict) else None
    if member is None:
        raise SignatureError("bad-digest", "Content-Digest has no sha-256 member")
    digest = member[0]
    if not isinstance(digest, bytes | bytearray):
        raise SignatureError("malformed", "Content-Digest sha-256 is not a byte sequence")
    if not hmac.compare_digest(bytes(digest), hashlib.sha256(body).digest()):
        raise SignatureError("bad-digest", "Content-Digest does not match the body")


def _signature_params(signature_input: str) -> tuple[list[str], dict[str, Any]]:
    """Parse Signature-Input; return the covered component names and the parameters."""
    try:
        parsed: Any = http_sf.parse(signature_input.encode("latin-1"), tltype="dictionary")
    except (ValueError, UnicodeEncodeError) as exc:
        raise SignatureError("malformed", "Signature-Input is not a structured dictionary") from exc
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise SignatureError("malformed", "Signature-Input must hold exactly one signature")
    ((_label, (members, params)),) = parsed.items()
    if not isinstance(members, list):
        raise SignatureError("malformed", "Signature-Input member is not an inner list")
    names = [m[0] for m in members]
    if not all(isinstance(n, str) for n in names):
        raise SignatureError("malformed", "covered components must be strings")
    return names, dict(params)


def _check_signature_field(signature: str) -> None:
    try:
        parsed: Any = http_sf.parse(signature.encode("latin-1"), tltype="dictionary")
    except (ValueError, UnicodeEncodeError) as exc:
        raise SignatureError("malformed", "Signature is not a structured dictionary") from exc
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise SignatureError("malformed", "Signature must hold exactly one signature")
    ((_label, (value, _params)),) = parsed.items()
    if not isinstance(value, bytes | bytearray):
        raise SignatureError("malformed", "Signature member is not a byte sequence")


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    resolve_key: Callable[[str], Ed25519PublicKey],
    *,
    now: int | None = None,
    max_age: int = 300,
) -> VerifiedRequest:
    """Verify a node request's signature; return who signed it, when, and the nonce.

    Checks, in order: the headers are present and well formed; ``Content-Digest`` matches
    ``body``; the signature covers ``@method``, ``@target-uri`` and ``content-digest``; it has
    ``keyid``, ``nonce``, ``created`` and ``alg="ed25519"``; ``created`` is at most
    ``max_age`` seconds old and at most 60 s in the future; the key ``resolve_key(keyid)``
    verifies it. ``resolve_key`` raises KeyError (or SignatureError) for an unknown node.
    Raises SignatureError with ``reason`` set. Replay (nonce seen) is the caller's check.
    """
    signature_input = _header(headers, "Signature-Input")
    signature = _header(headers, "Signature")
    digest = _header(headers, "Content-Digest")
    if signature_input is None or signature is None:
        raise SignatureError("missing", "the request is not signed (Signature-Input, Signature)")
    if digest is None:
        raise SignatureError("missing", "the request has no Content-Digest")
    names, params = _signature_params(signature_input)
    _check_signature_field(signature)
    missing = [c for c in COVERED if c not in names]
    if missing:
        raise SignatureError("malformed", f"the signature does not cover {', '.join(missing)}")
    key_id, created, nonce = params.get("keyid"), params.get("created"), params.get("nonce")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("malformed", "the signature has no keyid")
    if not isinstance(nonce, str) or len(nonce) < 16:
        raise SignatureError("malformed", "the signature has no nonce (16+ characters)")
    if type(created) is not int:
        raise SignatureError("malformed", "the signature has no integer created time")
    if params.get("alg") != "ed25519":
        raise SignatureError("malformed", 'the signature must declare alg="ed25519"')
    if "expires" in params and (type(params["expires"]) is not int):
        raise SignatureError("malformed", "expires must be an integer")
    _check_digest(digest, body)
    current = int(time.time()) if now is None else now
    if created > current + MAX_FUTURE:
        raise SignatureError(
            "expired", "the signature was created in the future (check the node's clock)"
        )
    if created < current - max_age:
        raise SignatureError("expired", f"the signature is older than {max_age} s")
    if "expires" in params and params["expires"] < current:
        raise SignatureError("expired", "the signature has expired")
    try:
        public = resolve_key(key_id)
    except KeyError as exc:
        raise SignatureError("unknown-key", f"unknown node {key_id!r}") from exc
    message = _Message(method.upper(), target_uri(url), {k: v for k, v in headers.items()})
    verifier = _Verifier(
        signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(public=public)
    )
    try:
        verifier.verify(message, max_age=None, require_components=COVERED)
    except HTTPMessageSignaturesException as exc:
        detail = f": {exc}" if str(exc) else ""
        raise SignatureError("bad-signature", f"the signature does not verify{detail}") from exc
    except (ValueError, binascii.Error) as exc:
        raise SignatureError("malformed", f"the signature headers are malformed: {exc}") from exc
    return VerifiedRequest(key_id=key_id, created=created, nonce=nonce)
