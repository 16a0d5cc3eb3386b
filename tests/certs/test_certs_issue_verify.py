"""Issuing certificates, checking them (ours and openssl's), and revocation."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from certs.authority import (
    CertificateAuthority,
    cert_pem,
    init_ca,
    issue_certificate,
    issue_from_csr,
    load_cert,
    load_crl,
    revoke,
)
from certs.csr import make_csr
from certs.errors import (
    CertError,
    CertificateExpired,
    CertificateInvalid,
    CertificateNameMismatch,
    CertificateRevoked,
    KeyMismatch,
    NotSignedByCA,
)
from certs.keys import generate_key
from certs.verify import (
    cert_common_name,
    check_key_matches,
    fingerprint_sha256,
    verify_certificate,
)

Run = Callable[..., subprocess.CompletedProcess[str]]


def _node_cert(ca: CertificateAuthority, name: str = "kec-alalak") -> x509.Certificate:
    return load_cert(issue_from_csr(ca, make_csr(generate_key(), name)))


def test_openssl_verifies_cert_issued_from_csr(
    ca: CertificateAuthority, openssl: Run, tmp_path: Path
) -> None:
    (tmp_path / "node.pem").write_bytes(issue_from_csr(ca, make_csr(generate_key(), "kec-alalak")))
    result = openssl("verify", "-CAfile", ca.dir / "ca.pem", "node.pem")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "node.pem: OK"


def test_openssl_rejects_cert_from_another_ca_with_the_same_name(
    ca: CertificateAuthority, openssl: Run, tmp_path: Path
) -> None:
    other = init_ca(tmp_path / "other")  # same subject name, different key
    (tmp_path / "node.pem").write_bytes(cert_pem(_node_cert(other)))
    result = openssl("verify", "-CAfile", ca.dir / "ca.pem", "node.pem")
    assert result.returncode != 0
    assert "verification failed" in result.stdout + result.stderr


def test_openssl_rejects_revoked_cert_with_crl(
    ca: CertificateAuthority, openssl: Run, tmp_path: Path
) -> None:
    (tmp_path / "node.pem").write_bytes(cert_pem(_node_cert(ca)))
    revoke(ca, "kec-alalak")
    ca_pem, crl_pem = ca.dir / "ca.pem", ca.dir / "crl.pem"
    result = openssl("verify", "-crl_check", "-CRLfile", crl_pem, "-CAfile", ca_pem, "node.pem")
    assert result.returncode != 0
    assert "certificate revoked" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("role", "usages"),
    [
        ("node", [ExtendedKeyUsageOID.CLIENT_AUTH]),
        ("central", [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
    ],
)
def test_issued_certificate_contents(
    ca: CertificateAuthority, role: str, usages: list[x509.ObjectIdentifier]
) -> None:
    key = generate_key()
    issued_at = dt.datetime.now(dt.UTC)
    cert = issue_certificate(ca, key.public_key(), "kec-alalak", days=10, role=role)
    assert cert_common_name(cert) == "kec-alalak"
    assert cert.issuer == ca.cert.subject
    ext = cert.extensions
    basic = ext.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and not basic.value.ca
    usage = ext.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert list(ext.get_extension_for_class(x509.ExtendedKeyUsage).value) == usages
    san = ext.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["kec-alalak"]
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    ext.get_extension_for_class(x509.SubjectKeyIdentifier)
    skew = issued_at - cert.not_valid_before_utc
    assert dt.timedelta(minutes=4) < skew < dt.timedelta(minutes=6)
    assert (cert.not_valid_after_utc - issued_at).days in (9, 10)
    check_key_matches(cert, key)
    recorded = ca.dir / "issued" / f"kec-alalak-{cert.serial_number:x}.pem"
    assert load_cert(recorded) == cert


def test_serials_are_random_and_distinct(ca: CertificateAuthority) -> None:
    serials = {_node_cert(ca).serial_number for _ in range(5)}
    assert len(serials) == 5
    assert all(s.bit_length() > 64 for s in serials)


def test_unknown_role_refused(ca: CertificateAuthority) -> None:
    with pytest.raises(CertError, match="role"):
        issue_certificate(ca, generate_key().public_key(), "kec-alalak", role="admin")


def test_fingerprint_is_sha256_of_der(ca: CertificateAuthority, openssl: Run) -> None:
    result = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", ca.dir / "ca.pem")
    expected = result.stdout.strip().split("=", 1)[1].replace(":", "").lower()
    assert fingerprint_sha256(ca.cert) == expected
    assert len(expected) == 64


def test_valid_certificate_passes_every_check(ca: CertificateAuthority) -> None:
    cert = _node_cert(ca)
    other = _node_cert(ca, "kec-bakumpai")
    crl = revoke(ca, "kec-bakumpai")  # a CRL that lists someone else
    now = dt.datetime.now(dt.UTC)
    verify_certificate(cert, ca.cert, crl=crl, at=now, name="kec-alalak")  # raises if not
    with pytest.raises(CertificateRevoked):
        verify_certificate(other, ca.cert, crl=crl)


@pytest.mark.parametrize(
    ("offset", "error", "message"),
    [
        (dt.timedelta(days=900), CertificateExpired, "expired"),
        (-dt.timedelta(hours=1), CertificateExpired, "not valid until"),
        (dt.timedelta(days=21 * 366), CertificateExpired, "CA certificate expired"),
    ],
    ids=["expired", "not-yet-valid", "ca-expired"],
)
def test_validity_dates(
    ca: CertificateAuthority, offset: dt.timedelta, error: type[Exception], message: str
) -> None:
    cert = _node_cert(ca)
    with pytest.raises(error, match=message):
        verify_certificate(cert, ca.cert, at=dt.datetime.now(dt.UTC) + offset)


def test_naive_at_is_taken_as_utc(ca: CertificateAuthority) -> None:
    cert = _node_cert(ca)
    now = dt.datetime.now(dt.UTC)
    verify_certificate(cert, ca.cert, at=now.replace(tzinfo=None))
    with pytest.raises(CertificateExpired):
        verify_certificate(cert, ca.cert, at=(now + dt.timedelta(days=900)).replace(tzinfo=None))


def test_wrong_ca_with_same_name_is_not_signed_by_ca(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    other = init_ca(tmp_path / "other")
    assert other.cert.subject == ca.cert.subject  # only the signature can tell them apart
    with pytest.raises(NotSignedByCA, match="signature"):
        verify_certificate(_node_cert(other), ca.cert)


def test_wrong_ca_with_other_name_is_not_signed_by_ca(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    other = init_ca(tmp_path / "other", common_name="Some Other CA")
    with pytest.raises(NotSignedByCA, match="Some Other CA"):
        verify_certificate(_node_cert(other), ca.cert)


def test_leaf_used_as_ca_is_refused(ca: CertificateAuthority) -> None:
    leaf = _node_cert(ca)
    with pytest.raises(CertificateInvalid, match="not a CA certificate"):
        verify_certificate(_node_cert(ca, "kec-bakumpai"), leaf)


def test_revoked_after_revoke(ca: CertificateAuthority) -> None:
    first, second = _node_cert(ca), _node_cert(ca)
    verify_certificate(first, ca.cert, crl=load_crl(ca.dir))  # no CRL yet: None
    crl = revoke(ca, "kec-alalak")
    assert load_crl(ca.dir) == crl
    for cert in (first, second):
        with pytest.raises(CertificateRevoked, match="revoked"):
            verify_certificate(cert, ca.cert, crl=crl)
    # re-enrollment after revocation gets a fresh, valid certificate
    verify_certificate(_node_cert(ca), ca.cert, crl=crl)


def test_revocation_state_and_crl(ca: CertificateAuthority) -> None:
    first = _node_cert(ca)
    crl1 = revoke(ca, "kec-alalak")
    second = _node_cert(ca)
    crl2 = revoke(ca, "kec-alalak")
    state = json.loads((ca.dir / "revoked.json").read_text())
    assert state["crl_number"] == 2
    assert sorted(e["serial"] for e in state["revoked"]) == sorted(
        f"{c.serial_number:x}" for c in (first, second)
    )
    assert {e["name"] for e in state["revoked"]} == {"kec-alalak"}
    assert len(crl1) == 1 and len(crl2) == 2
    number = crl2.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number == 2
    assert crl2.is_signature_valid(ca.key.public_key())
    assert crl2.next_update_utc is not None and crl2.last_update_utc is not None
    assert (crl2.next_update_utc - crl2.last_update_utc) == dt.timedelta(days=30)


def test_revoke_name_prefix_does_not_catch_longer_names(ca: CertificateAuthority) -> None:
    longer = _node_cert(ca, "kec-a-b")
    _node_cert(ca, "kec-a")
    crl = revoke(ca, "kec-a")
    assert len(crl) == 1
    verify_certificate(longer, ca.cert, crl=crl)


def test_revoke_unknown_name(ca: CertificateAuthority) -> None:
    _node_cert(ca)
    with pytest.raises(CertError, match="No certificate has been issued to 'kec-tamban'"):
        revoke(ca, "kec-tamban")
    assert not (ca.dir / "crl.pem").exists()


def test_crl_from_another_ca_is_refused(ca: CertificateAuthority, tmp_path: Path) -> None:
    other = init_ca(tmp_path / "other")
    _node_cert(other)
    foreign_crl = revoke(other, "kec-alalak")
    with pytest.raises(CertificateInvalid, match="revocation list is not signed"):
        verify_certificate(_node_cert(ca), ca.cert, crl=foreign_crl)


def test_name_mismatch(ca: CertificateAuthority) -> None:
    cert = _node_cert(ca, "kec-alalak")
    with pytest.raises(CertificateNameMismatch, match="'kec-alalak', not to 'kec-tamban'"):
        verify_certificate(cert, ca.cert, name="kec-tamban")


def test_key_mismatch(ca: CertificateAuthority) -> None:
    key = generate_key()
    cert = issue_certificate(ca, key.public_key(), "kec-alalak")
    check_key_matches(cert, key)
    with pytest.raises(KeyMismatch):
        check_key_matches(cert, generate_key())


@pytest.mark.parametrize(
    "error",
    [
        CertificateExpired,
        CertificateRevoked,
        CertificateNameMismatch,
        NotSignedByCA,
        KeyMismatch,
    ],
)
def test_error_hierarchy(error: type[CertError]) -> None:
    assert issubclass(error, CertificateInvalid)
    assert issubclass(error, CertError)


def test_load_cert_errors(tmp_path: Path) -> None:
    with pytest.raises(CertificateInvalid, match="not a PEM certificate"):
        load_cert(b"nope")
    with pytest.raises(CertError, match="Could not read"):
        load_cert(tmp_path / "absent.pem")
