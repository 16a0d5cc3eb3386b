"""Certificate signing requests: how a node asks the district CA for its certificate."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import NameOID

from certs.errors import CSRError
from certs.names import check_node_id

__all__ = ["ORGANIZATION", "load_csr", "make_csr"]

ORGANIZATION = "Pemerintah Kabupaten Barito Kuala"
"""The organization (O) in every subject name the district issues."""


def make_csr(key: Ed25519PrivateKey, name: str) -> bytes:
    """Return a PEM CSR for node ``name`` (CN=name, O=the regency), signed by ``key``."""
    check_node_id(name)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, None)
    return csr.public_bytes(serialization.Encoding.PEM)


def load_csr(pem: bytes) -> tuple[str, Ed25519PublicKey]:
    """Parse and check a PEM CSR; return ``(node id, public key)``.

    The CSR must be signed by its own key (proof that the requester holds the private key),
    the key must be Ed25519, and the CN must be a valid node id. Anything else raises
    :class:`CSRError`.
    """
    try:
        csr = x509.load_pem_x509_csr(pem)
    except ValueError:
        raise CSRError(
            "The file is not a PEM certificate signing request; "
            "send the node.csr file that 'presensi-node init --offline' wrote."
        ) from None
    public = csr.public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise CSRError(
            "The CSR's key must be Ed25519; create the request again with presensi-node."
        )
    if not csr.is_signature_valid:
        raise CSRError(
            "The CSR's signature does not match its key, so it may have been altered; "
            "create the request again."
        )
    common_names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(common_names) != 1 or not isinstance(common_names[0].value, str):
        raise CSRError("The CSR must name exactly one common name (the node id); create it again.")
    return check_node_id(common_names[0].value), public
