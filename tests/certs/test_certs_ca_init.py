"""Creating and loading the district CA."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certs.authority import CertificateAuthority, init_ca, load_ca
from certs.errors import CAExistsError, CertError, KeyFileError, KeyMismatch
from certs.keys import generate_key, save_private_key

Run = Callable[..., subprocess.CompletedProcess[str]]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_private_key_0600_and_certificate(tmp_path: Path) -> None:
    ca = init_ca(tmp_path / "new" / "ca")
    assert _mode(ca.dir / "ca.key") == 0o600
    assert _mode(ca.dir) == 0o700
    pem = (ca.dir / "ca.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert x509.load_pem_x509_certificate(pem) == ca.cert
    assert b"PRIVATE" not in pem


def test_ca_certificate_extensions(ca: CertificateAuthority) -> None:
    cert = ca.cert
    assert isinstance(cert.public_key(), Ed25519PublicKey)
    assert cert.issuer == cert.subject
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature
    cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 20 * 365 <= lifetime.days <= 20 * 366
    cert.verify_directly_issued_by(cert)  # self-signed, signature valid


@pytest.mark.parametrize("existing", [("ca.key", "ca.pem"), ("ca.key",), ("ca.pem",)])
def test_reinit_refuses_and_leaves_files_untouched(
    ca: CertificateAuthority, existing: tuple[str, ...]
) -> None:
    for name in {"ca.key", "ca.pem"} - set(existing):
        (ca.dir / name).unlink()
    before = {name: (ca.dir / name).read_bytes() for name in existing}
    with pytest.raises(CAExistsError, match="left untouched"):
        init_ca(ca.dir)
    assert {name: (ca.dir / name).read_bytes() for name in existing} == before
    assert sorted(p.name for p in ca.dir.glob("ca.*")) == sorted(existing)


def test_openssl_shows_ca_true(ca: CertificateAuthority, openssl: Run) -> None:
    result = openssl("x509", "-noout", "-text", "-in", ca.dir / "ca.pem")
    assert result.returncode == 0, result.stderr
    assert "CA:TRUE" in result.stdout
    assert "Certificate Sign, CRL Sign" in result.stdout
    assert "ED25519" in result.stdout


def test_load_ca_round_trip(ca: CertificateAuthority) -> None:
    loaded = load_ca(ca.dir)
    assert loaded.cert == ca.cert
    assert loaded.dir == ca.dir


def test_load_ca_without_ca_says_run_init(tmp_path: Path) -> None:
    with pytest.raises(CertError, match="presensi-ca init"):
        load_ca(tmp_path)


def test_load_ca_refuses_key_of_another_ca(ca: CertificateAuthority) -> None:
    (ca.dir / "ca.key").unlink()
    save_private_key(generate_key(), ca.dir / "ca.key")
    with pytest.raises(KeyMismatch):
        load_ca(ca.dir)


def test_load_ca_refuses_readable_key(ca: CertificateAuthority) -> None:
    (ca.dir / "ca.key").chmod(0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_ca(ca.dir)
