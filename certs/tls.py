"""HTTPS certificates for a node, issued by the district CA.

Browsers do not accept Ed25519 keys in TLS, so the node's HTTPS key is ECDSA P-256 (separate
from its Ed25519 signing key). The certificate is still signed by the Ed25519 district CA.
"""

from __future__ import annotations

import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from certs.authority import CertificateAuthority, _sign_leaf, cert_pem
from certs.errors import CertError

__all__ = ["issue_tls_certificate"]


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        pass  # not an IP address literal: a DNS name
    if not host or any(c.isspace() for c in host) or not host.isascii():
        raise CertError(f"{host!r} is not a host name or IP address; use e.g. 'node.local'.")
    return x509.DNSName(host.lower())


def issue_tls_certificate(
    ca: CertificateAuthority, name: str, hosts: list[str], days: int = 825
) -> tuple[bytes, bytes]:
    """Issue an HTTPS server certificate for node ``name``; return ``(cert PEM, key PEM)``.

    A new ECDSA P-256 key is made; the certificate has CN=name, one SAN per entry of
    ``hosts`` (IP addresses as IPAddress SANs, anything else as a DNS name) and extended key
    usage serverAuth. It is recorded in the CA's ``issued/`` under ``name``, so revoking the
    node also revokes its HTTPS certificate. The key PEM is unencrypted PKCS #8: store it
    with mode 0600.

    Caveat: clients must trust the district CA (``ca.pem``) for this to help. Browsers also
    need to verify the CA's Ed25519 signature on the certificate, and Chromium (Chrome, Edge,
    Android WebView) does not verify Ed25519 signatures in certificate chains, so Chromium
    will reject it even when the CA is installed. This certificate is therefore for curl,
    API clients and tests (OpenSSL verifies Ed25519 chains); a browser-facing deployment
    needs an ECDSA or RSA CA instead.
    """
    if not hosts:
        raise CertError("An HTTPS certificate needs at least one host name or IP address.")
    sans = [_san(host) for host in hosts]
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _sign_leaf(
        ca,
        key.public_key(),
        name,
        days=days,
        sans=sans,
        usages=[ExtendedKeyUsageOID.SERVER_AUTH],
    )
    key_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return cert_pem(cert), key_pem
