"""Checking certificates against the district CA, its revocation list and expected names."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import NameOID

from certs.errors import (
    CertificateExpired,
    CertificateInvalid,
    CertificateNameMismatch,
    CertificateRevoked,
    KeyMismatch,
    NotSignedByCA,
)

__all__ = [
    "cert_common_name",
    "check_key_matches",
    "fingerprint_sha256",
    "verify_certificate",
]


def cert_common_name(cert: x509.Certificate) -> str:
    """Return the certificate subject's single common name (a node id, for node certs)."""
    values = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(values) != 1 or not isinstance(values[0].value, str):
        raise CertificateInvalid(
            "The certificate does not carry exactly one common name; "
            "it was not issued by this district CA."
        )
    return values[0].value


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """Return the lowercase hex SHA-256 of the certificate's DER encoding."""
    return cert.fingerprint(hashes.SHA256()).hex()


def _ca_public_key(ca_cert: x509.Certificate) -> Ed25519PublicKey:
    try:
        constraints = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise CertificateInvalid(
            "The certificate given as the CA is not a CA certificate (no CA:TRUE); "
            "use the district ca.pem."
        )
    public = ca_cert.public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise CertificateInvalid(
            "The CA certificate's key is not Ed25519, so it is not the district CA; "
            "use the district ca.pem."
        )
    return public


def _check_dates(cert: x509.Certificate, at: dt.datetime, what: str) -> None:
    if at < cert.not_valid_before_utc:
        raise CertificateExpired(
            f"The {what} is not valid until {cert.not_valid_before_utc.isoformat()} "
            f"(checked at {at.isoformat()}); check this machine's clock."
        )
    if at > cert.not_valid_after_utc:
        raise CertificateExpired(
            f"The {what} expired at {cert.not_valid_after_utc.isoformat()} "
            f"(checked at {at.isoformat()}); issue a new one."
        )


def _check_crl(
    cert: x509.Certificate,
    ca_cert: x509.Certificate,
    ca_key: Ed25519PublicKey,
    crl: x509.CertificateRevocationList,
) -> None:
    # A CRL nobody can vouch for could hide revocations, so refuse to decide rather than pass.
    # A CRL past its next_update is still used: offline offices may hold an old one, and an
    # old list of revocations is better than none.
    if crl.issuer != ca_cert.subject or not crl.is_signature_valid(ca_key):
        raise CertificateInvalid(
            "The revocation list is not signed by the district CA, so revocation cannot be "
            "checked; fetch crl.pem again from central."
        )
    revoked = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if revoked is not None:
        raise CertificateRevoked(
            f"The certificate for {cert_common_name(cert)!r} (serial {cert.serial_number:x}) "
            f"was revoked on {revoked.revocation_date_utc.isoformat()}; "
            "the node must be enrolled again."
        )


def verify_certificate(
    cert: x509.Certificate,
    ca_cert: x509.Certificate,
    *,
    crl: x509.CertificateRevocationList | None = None,
    at: dt.datetime | None = None,
    name: str | None = None,
) -> None:
    """Check that ``cert`` is a valid certificate of the district CA ``ca_cert``.

    Checks, in order: ``ca_cert`` is a CA (CA:TRUE) with an Ed25519 key; ``cert``'s issuer is
    the CA's subject and the CA's signature over it is valid (:class:`NotSignedByCA`); both
    certificates are within their validity at ``at`` (default now; a naive datetime is taken
    as UTC) (:class:`CertificateExpired`, also when not yet valid); if ``crl`` is given, it is
    signed by the CA and does not list ``cert`` (:class:`CertificateRevoked`); if ``name`` is
    given, it equals ``cert``'s common name (:class:`CertificateNameMismatch`). Returns None
    when every check passes; every failure is a :class:`CertificateInvalid`.
    """
    ca_key = _ca_public_key(ca_cert)
    if cert.issuer != ca_cert.subject:
        raise NotSignedByCA(
            f"The certificate was issued by {cert.issuer.rfc4514_string()!r}, not by the "
            f"district CA {ca_cert.subject.rfc4514_string()!r}; get one from the district CA."
        )
    try:
        ca_key.verify(cert.signature, cert.tbs_certificate_bytes)
    except InvalidSignature:
        raise NotSignedByCA(
            "The certificate's signature was not made by the district CA's key; it comes from "
            "another CA with the same name or was altered. Get one from the district CA."
        ) from None
    when = dt.datetime.now(dt.UTC) if at is None else at
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    _check_dates(ca_cert, when, "CA certificate")
    _check_dates(cert, when, "certificate")
    if crl is not None:
        _check_crl(cert, ca_cert, ca_key, crl)
    if name is not None:
        actual = cert_common_name(cert)
        if actual != name:
            raise CertificateNameMismatch(
                f"The certificate belongs to {actual!r}, not to {name!r}; "
                "use the certificate issued for this node."
            )


def check_key_matches(cert: x509.Certificate, key: Ed25519PrivateKey) -> None:
    """Raise :class:`KeyMismatch` unless ``key`` is the private half of ``cert``'s key."""
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    cert_key = cert.public_key()
    if not isinstance(cert_key, Ed25519PublicKey) or (
        cert_key.public_bytes(*raw) != key.public_key().public_bytes(*raw)
    ):
        raise KeyMismatch(
            "The private key does not belong to the certificate; use the key that made the "
            "certificate's CSR, or enroll again."
        )
