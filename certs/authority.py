"""The district CA: creating it, issuing node and central certificates, and revocation.

The CA lives in one directory (central's ``ca/``)::

    ca.key          the CA's Ed25519 private key, mode 0600
    ca.pem          the self-signed CA certificate
    issued/         every certificate issued, as <name>-<serial hex>.pem
    revoked.json    what has been revoked, and the CRL number
    crl.pem         the current certificate revocation list, signed by the CA
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certs._atomic import create_file
from certs.csr import ORGANIZATION, load_csr
from certs.errors import CAExistsError, CertError, CertificateInvalid
from certs.filemodes import make_private_dir
from certs.keys import generate_key, load_private_key, save_private_key, write_pem
from certs.names import check_node_id
from certs.verify import check_key_matches

__all__ = [
    "CertificateAuthority",
    "cert_pem",
    "init_ca",
    "issue_certificate",
    "issue_from_csr",
    "load_ca",
    "load_cert",
    "load_crl",
    "revoke",
]

CA_VALIDITY = dt.timedelta(days=20 * 365 + 5)  # 20 years, counting the leap days
CLOCK_SKEW = dt.timedelta(minutes=5)  # back-date not_before so a slightly slow clock accepts it
CRL_VALIDITY = dt.timedelta(days=30)

_ROLE_USAGES = {
    "node": [ExtendedKeyUsageOID.CLIENT_AUTH],
    "central": [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
}


@dataclass(frozen=True)
class CertificateAuthority:
    """A loaded district CA: its private key, its certificate and its directory."""

    key: Ed25519PrivateKey
    cert: x509.Certificate
    dir: Path


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _subject(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )


def init_ca(dir: Path, common_name: str = "Barito Kuala District CA") -> CertificateAuthority:
    """Create a new district CA in ``dir``: ``ca.key`` (mode 0600) and ``ca.pem``.

    The certificate is self-signed Ed25519, CA:TRUE (path length 0: the CA signs only end
    entities), may sign certificates and CRLs, and is valid for 20 years. An existing CA is
    never overwritten (:class:`CAExistsError`): every certificate in the district hangs on it.
    """
    key_path, cert_path = dir / "ca.key", dir / "ca.pem"
    for path in (key_path, cert_path):
        if path.exists():
            raise CAExistsError(
                f"A CA already exists in {dir} ({path.name} is there); it was left untouched. "
                "Use that CA, or choose an empty directory for a new one."
            )
    make_private_dir(dir)
    key = generate_key()
    now = _now()
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_subject(common_name))
        .issuer_name(_subject(common_name))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, None)
    )
    save_private_key(key, key_path)
    try:
        create_file(cert_path, cert_pem(cert), 0o600, dir_mode=0o700)
    except FileExistsError:
        key_path.unlink()  # the key we just made has no certificate; another init won
        raise CAExistsError(
            f"A CA certificate appeared in {dir} while this one was being created; "
            "nothing was changed. Use the existing CA."
        ) from None
    (dir / "issued").mkdir(mode=0o700, exist_ok=True)
    return CertificateAuthority(key=key, cert=cert, dir=dir)


def load_ca(dir: Path) -> CertificateAuthority:
    """Load the CA in ``dir``, checking that ``ca.key`` belongs to ``ca.pem``."""
    cert_path = dir / "ca.pem"
    if not cert_path.exists():
        raise CertError(
            f"There is no CA in {dir} (no ca.pem); run 'presensi-ca init --dir {dir}' first "
            "or point to the right directory."
        )
    key = load_private_key(dir / "ca.key")
    cert = load_cert(cert_path)
    check_key_matches(cert, key)
    return CertificateAuthority(key=key, cert=cert, dir=dir)


def _key_usage_digital_signature() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _sign_leaf(
    ca: CertificateAuthority,
    public_key: Ed25519PublicKey | EllipticCurvePublicKey,
    name: str,
    *,
    days: int,
    sans: list[x509.GeneralName],
    usages: list[x509.ObjectIdentifier],
) -> x509.Certificate:
    """Sign an end-entity certificate for ``name`` and record it in ``issued/``.

    Shared by node/central certificates and HTTPS certificates, so both are revocable by name.
    """
    check_node_id(name)
    if days < 1:
        raise CertError(f"A certificate must be valid for at least 1 day, not {days}.")
    now = _now()
    # Never outlive the CA: a verifier would reject the tail end anyway.
    not_after = min(now + dt.timedelta(days=days), ca.cert.not_valid_after_utc)
    ca_ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_subject(name))
        .issuer_name(ca.cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage_digital_signature(), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(ca.key, None)
    )
    write_pem(ca.dir / "issued" / f"{name}-{cert.serial_number:x}.pem", cert_pem(cert))
    return cert


def issue_certificate(
    ca: CertificateAuthority,
    public_key: Ed25519PublicKey,
    name: str,
    *,
    days: int = 825,
    role: str = "node",
) -> x509.Certificate:
    """Issue a certificate for the Ed25519 ``public_key`` of node or central ``name``.

    ``role`` "node" gets extended key usage clientAuth; "central" gets serverAuth and
    clientAuth. The certificate is recorded in ``issued/`` so :func:`revoke` can find it.
    """
    if role not in _ROLE_USAGES:
        raise CertError(f"Unknown certificate role {role!r}; use 'node' or 'central'.")
    if not isinstance(public_key, Ed25519PublicKey):
        raise CertError("Node and central certificates need an Ed25519 public key.")
    return _sign_leaf(
        ca, public_key, name, days=days, sans=[x509.DNSName(name)], usages=_ROLE_USAGES[role]
    )


def issue_from_csr(ca: CertificateAuthority, csr_pem: bytes, *, days: int = 825) -> bytes:
    """Check a node's PEM CSR and return the PEM certificate issued for it."""
    name, public_key = load_csr(csr_pem)
    return cert_pem(issue_certificate(ca, public_key, name, days=days))


def _read_revocations(path: Path) -> dict[str, object]:
    if not path.exists():
        return {"crl_number": 0, "revoked": []}
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CertError(
            f"Could not read the revocation list {path} ({exc}); restore it from backup."
        ) from exc
    if not isinstance(data, dict):
        raise CertError(f"{path} is not a revocation list; restore it from backup.")
    return data


def revoke(ca: CertificateAuthority, name: str) -> x509.CertificateRevocationList:
    """Revoke every certificate issued to ``name`` and write a new ``crl.pem``.

    Revocations accumulate in ``revoked.json``; the CRL lists all of them, is signed by the
    CA, carries an increasing CRL number and is valid for 30 days.
    """
    check_node_id(name)
    issued = ca.dir / "issued"
    serials: list[int] = []
    for path in sorted(issued.glob(f"{name}-*.pem")):
        if path.stem.rsplit("-", 1)[0] != name:
            continue  # e.g. "kec-a-b-1f.pem" when revoking "kec-a"
        serials.append(load_cert(path).serial_number)
    if not serials:
        raise CertError(
            f"No certificate has been issued to {name!r} by the CA in {ca.dir}; check the node id."
        )
    state_path = ca.dir / "revoked.json"
    state = _read_revocations(state_path)
    entries = state.get("revoked")
    crl_number = state.get("crl_number")
    if not isinstance(entries, list) or not isinstance(crl_number, int):
        raise CertError(f"{state_path} is damaged; restore it from backup.")
    now = _now()
    known = {int(entry["serial"], 16) for entry in entries}
    for serial in serials:
        if serial not in known:
            entries.append({"name": name, "serial": f"{serial:x}", "revoked_at": now.isoformat()})
    crl_number += 1
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now)
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    for entry in entries:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(int(entry["serial"], 16))
            .revocation_date(dt.datetime.fromisoformat(entry["revoked_at"]))
            .build()
        )
    crl = builder.sign(ca.key, None)
    body = json.dumps({"crl_number": crl_number, "revoked": entries}, indent=2) + "\n"
    write_pem(state_path, body.encode(), 0o600)
    write_pem(ca.dir / "crl.pem", crl.public_bytes(serialization.Encoding.PEM))
    return crl


def load_crl(dir: Path) -> x509.CertificateRevocationList | None:
    """Return the CA's current revocation list from ``dir/crl.pem``, or None if none yet."""
    path = dir / "crl.pem"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CertError(f"Could not read {path} ({exc.strerror}); check its mode.") from exc
    try:
        return x509.load_pem_x509_crl(data)
    except ValueError:
        raise CertificateInvalid(
            f"{path} is not a PEM revocation list; fetch crl.pem again from central."
        ) from None


def cert_pem(cert: x509.Certificate) -> bytes:
    """Return ``cert`` as PEM bytes."""
    return cert.public_bytes(serialization.Encoding.PEM)


def load_cert(pem_or_path: bytes | os.PathLike[str]) -> x509.Certificate:
    """Load a PEM certificate from bytes or from a file path."""
    if isinstance(pem_or_path, bytes):
        data, source = pem_or_path, "The data"
    else:
        path = Path(pem_or_path)
        source = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CertError(
                f"Could not read the certificate file {path} ({exc.strerror}); check the path."
            ) from exc
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise CertificateInvalid(
            f"{source} is not a PEM certificate; use the .pem file the CA issued."
        ) from None
