"""HTTPS certificates: ECDSA P-256 keys signed by the Ed25519 district CA."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from certs.authority import CertificateAuthority, load_cert, load_crl, revoke
from certs.errors import CertError, CertificateRevoked, CSRError
from certs.tls import issue_tls_certificate
from certs.verify import verify_certificate

Run = Callable[..., subprocess.CompletedProcess[str]]
HOSTS = ["kec-alalak.local", "127.0.0.1", "::1", "localhost"]


def _issue(ca: CertificateAuthority, tmp_path: Path) -> tuple[Path, Path]:
    cert_pem, key_pem = issue_tls_certificate(ca, "kec-alalak", HOSTS)
    cert_path, key_path = tmp_path / "tls.pem", tmp_path / "tls.key"
    cert_path.write_bytes(cert_pem)
    key_path.write_bytes(key_pem)
    return cert_path, key_path


def test_openssl_verifies_tls_certificate(
    ca: CertificateAuthority, openssl: Run, tmp_path: Path
) -> None:
    _issue(ca, tmp_path)
    result = openssl("verify", "-CAfile", ca.dir / "ca.pem", "-purpose", "sslserver", "tls.pem")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tls.pem: OK"


def test_tls_certificate_contents(ca: CertificateAuthority, tmp_path: Path) -> None:
    cert_path, key_path = _issue(ca, tmp_path)
    cert = load_cert(cert_path)
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert isinstance(public.curve, ec.SECP256R1)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key() == public
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["kec-alalak.local", "localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    verify_certificate(cert, ca.cert, name="kec-alalak")


def test_revoking_the_node_revokes_its_tls_certificate(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    cert_path, _ = _issue(ca, tmp_path)
    revoke(ca, "kec-alalak")
    with pytest.raises(CertificateRevoked):
        verify_certificate(load_cert(cert_path), ca.cert, crl=load_crl(ca.dir))


@pytest.mark.parametrize(
    ("name", "hosts", "error"),
    [
        ("kec-alalak", [], CertError),
        ("Bad Name", ["x.local"], CSRError),
        ("kec-alalak", ["has space"], CertError),
    ],
)
def test_bad_requests_refused(
    ca: CertificateAuthority, name: str, hosts: list[str], error: type[CertError]
) -> None:
    with pytest.raises(error):
        issue_tls_certificate(ca, name, hosts)


def test_real_tls_handshake_with_the_ca(ca: CertificateAuthority, tmp_path: Path) -> None:
    """A Python (OpenSSL) client that trusts only ca.pem completes a handshake on loopback."""
    cert_path, key_path = _issue(ca, tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_path, key_path)
    client_ctx = ssl.create_default_context(cafile=str(ca.dir / "ca.pem"))

    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)
        port = listener.getsockname()[1]
        errors: list[BaseException] = []

        def serve() -> None:
            try:
                conn, _ = listener.accept()
                with server_ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(tls.recv(5))
            except (OSError, ssl.SSLError) as exc:
                errors.append(exc)

        thread = threading.Thread(target=serve)
        thread.start()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with client_ctx.wrap_socket(raw, server_hostname="kec-alalak.local") as tls:
                tls.sendall(b"hello")
                assert tls.recv(5) == b"hello"
                peer = tls.getpeercert()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert errors == []
    assert peer is not None
    assert ("DNS", "kec-alalak.local") in peer["subjectAltName"]
