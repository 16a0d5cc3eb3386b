"""Node ids and certificate signing requests."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.x509.oid import NameOID

from certs.csr import ORGANIZATION, load_csr, make_csr
from certs.errors import CSRError
from certs.keys import generate_key, public_key_pem
from certs.names import check_node_id

BAD_NAMES = [
    "Kec-Alalak",  # uppercase
    "ab",  # too short
    "kec alalak",  # space
    "a" * 41,  # too long
    "../x",  # path traversal
    "kec_alalak",  # underscore
    "kec-alalak\n",  # trailing newline ($ would allow it)
    "",
    "kéc-alalak",  # non-ASCII
]


@pytest.mark.parametrize("name", ["abc", "kec-alalak", "a" * 40, "central", "123"])
def test_good_node_ids(name: str) -> None:
    assert check_node_id(name) == name


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_node_ids_refused(name: str) -> None:
    with pytest.raises(CSRError, match="not a valid node id"):
        check_node_id(name)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_make_csr_refuses_bad_names(name: str) -> None:
    with pytest.raises(CSRError):
        make_csr(generate_key(), name)


def _raw_csr(key: ec.EllipticCurvePrivateKey | Ed448PrivateKey, cn: str) -> bytes:
    """A CSR built without make_csr's checks, as a hostile or buggy client might send."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        csr = builder.sign(key, hashes.SHA256())
    else:
        csr = builder.sign(key, None)
    return csr.public_bytes(serialization.Encoding.PEM)


def test_csr_round_trip() -> None:
    key = generate_key()
    pem = make_csr(key, "kec-alalak")
    csr = x509.load_pem_x509_csr(pem)
    assert csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == ORGANIZATION
    name, public = load_csr(pem)
    assert name == "kec-alalak"
    assert public_key_pem(public) == public_key_pem(key)


@pytest.mark.parametrize(
    "make_key",
    [lambda: ec.generate_private_key(ec.SECP256R1()), Ed448PrivateKey.generate],
    ids=["ecdsa-p256", "ed448"],
)
def test_csr_with_non_ed25519_key_refused(
    make_key: Callable[[], ec.EllipticCurvePrivateKey | Ed448PrivateKey],
) -> None:
    with pytest.raises(CSRError, match="key must be Ed25519"):
        load_csr(_raw_csr(make_key(), "kec-alalak"))


@pytest.mark.parametrize("name", BAD_NAMES[:5])
def test_csr_with_bad_common_name_refused(name: str) -> None:
    key = generate_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, None)
    with pytest.raises(CSRError, match="not a valid node id"):
        load_csr(csr.public_bytes(serialization.Encoding.PEM))


def test_csr_without_common_name_refused() -> None:
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(generate_key(), None)
    with pytest.raises(CSRError, match="exactly one common name"):
        load_csr(csr.public_bytes(serialization.Encoding.PEM))


def test_tampered_csr_refused() -> None:
    """A CSR whose subject was changed after signing fails its self-signature check."""
    pem = make_csr(generate_key(), "kec-alalak")
    der = x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER)
    tampered = der.replace(b"kec-alalak", b"kec-alalax")  # same length, so DER stays valid
    assert tampered != der
    body = base64.encodebytes(tampered).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    tampered_pem = (
        "-----BEGIN CERTIFICATE REQUEST-----\n"
        + "\n".join(lines)
        + "\n-----END CERTIFICATE REQUEST-----\n"
    ).encode()
    with pytest.raises(CSRError, match="signature"):
        load_csr(tampered_pem)


@pytest.mark.parametrize("pem", [b"", b"garbage", b"-----BEGIN CERTIFICATE REQUEST-----\n"])
def test_garbage_csr_refused(pem: bytes) -> None:
    with pytest.raises(CSRError, match="not a PEM certificate signing request"):
        load_csr(pem)
