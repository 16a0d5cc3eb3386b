"""Central's receipt key can change: a key announcement, signed by the old key, names the new.

``{"v":1,"type":"central-key","central":ID,"old_key":B64,"new_key":B64,"cert":PEM,
"issued_ts":T,"sig":B64}``: ``old_key`` and ``new_key`` are raw Ed25519 public keys in
standard padded base64, ``cert`` the new key's certificate (CN = central's id), ``sig`` the
OLD key's signature over the canonical bytes of the rest (the same rule as receipts,
docs/protocol.md). Central publishes every announcement it made, oldest first
(``GET /api/v1/central-keys``); a node that trusts key K follows the chain from K, each step
checked with the key before it, and from then on accepts receipts and rosters from the last
key. The old key's signature is the whole of the trust: no announcement can be made without
the key the node already trusts.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from ._signed import check_signature, fields_problem, is_int, sign_document
from .errors import KeyAnnouncementError
from .timefmt import TS_RE

__all__ = [
    "ANNOUNCEMENT_FIELDS",
    "KeyAnnouncementError",
    "follow_announcements",
    "make_announcement",
    "raw_key",
    "verify_announcement",
]

ANNOUNCEMENT_FIELDS = ("v", "type", "central", "old_key", "new_key", "cert", "issued_ts")
MAX_CHAIN = 64


def raw_key(public: Ed25519PublicKey) -> str:
    """Standard padded base64 of the raw 32-byte public key."""
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def _public(text: Any, what: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise KeyAnnouncementError(f"{what} must be a base64 raw Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw)


def make_announcement(
    *, central: str, old_key: Ed25519PrivateKey, new_cert: x509.Certificate, issued_ts: str
) -> dict[str, Any]:
    """The announcement of ``new_cert``'s key, signed with ``old_key``."""
    new_public = new_cert.public_key()
    if not isinstance(new_public, Ed25519PublicKey):
        raise KeyAnnouncementError("the new certificate's key is not Ed25519")
    doc = {
        "v": 1,
        "type": "central-key",
        "central": central,
        "old_key": raw_key(old_key.public_key()),
        "new_key": raw_key(new_public),
        "cert": new_cert.public_bytes(Encoding.PEM).decode("ascii"),
        "issued_ts": issued_ts,
    }
    return sign_document(doc, old_key)


def verify_announcement(doc: Any, central: str | None = None) -> Ed25519PublicKey:
    """Check an announcement's form and the old key's signature; return the new key."""
    problem = fields_problem(doc, ANNOUNCEMENT_FIELDS, signed=True)
    if problem:
        raise KeyAnnouncementError(f"key announcement {problem}")
    if not is_int(doc["v"]) or doc["v"] != 1 or doc["type"] != "central-key":
        raise KeyAnnouncementError("not a version 1 central-key announcement")
    if not isinstance(doc["central"], str) or (central is not None and doc["central"] != central):
        raise KeyAnnouncementError(f"announcement is for central {doc['central']!r}")
    if not isinstance(doc["issued_ts"], str) or not TS_RE.match(doc["issued_ts"]):
        raise KeyAnnouncementError("issued_ts must be RFC 3339 UTC with three fraction digits")
    old = _public(doc["old_key"], "old_key")
    new = _public(doc["new_key"], "new_key")
    problem = check_signature(doc, old)
    if problem is not None:
        raise KeyAnnouncementError(f"announcement rejected: {problem}")
    try:
        cert = x509.load_pem_x509_certificate(str(doc["cert"]).encode("ascii", "replace"))
    except ValueError as exc:
        raise KeyAnnouncementError("cert is not a PEM certificate") from exc
    cert_key = cert.public_key()
    if not isinstance(cert_key, Ed25519PublicKey) or raw_key(cert_key) != doc["new_key"]:
        raise KeyAnnouncementError("cert does not hold new_key")
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if [n.value for n in names] != [doc["central"]]:
        raise KeyAnnouncementError("cert is not issued to the announcing central")
    return new


def follow_announcements(
    trusted: Ed25519PublicKey, docs: Any, central: str | None = None
) -> list[dict[str, Any]]:
    """The announcements leading from ``trusted`` to central's newest key, in order; each
    checked with the key before it. Announcements that do not continue the chain (another
    branch, a forgery) are ignored; a bad one that claims to continue it is an error."""
    if not isinstance(docs, list) or len(docs) > 10 * MAX_CHAIN:
        raise KeyAnnouncementError("announcements must be a JSON list")
    chain: list[dict[str, Any]] = []
    current = raw_key(trusted)
    seen = {current}
    for _ in range(MAX_CHAIN):
        step = [d for d in docs if isinstance(d, dict) and d.get("old_key") == current]
        good = []
        for doc in step:
            try:
                verify_announcement(doc, central)
            except KeyAnnouncementError:
                continue
            good.append(doc)
        if not good:
            if step:
                raise KeyAnnouncementError(
                    "an announcement claims to replace the trusted key but is not signed by it"
                )
            return chain
        if len({d["new_key"] for d in good}) > 1:
            raise KeyAnnouncementError("the trusted key announced two different successors")
        doc = good[0]
        if doc["new_key"] in seen:
            raise KeyAnnouncementError("announcements go round in a circle")
        chain.append(doc)
        current = doc["new_key"]
        seen.add(current)
    raise KeyAnnouncementError(f"more than {MAX_CHAIN} key changes")
