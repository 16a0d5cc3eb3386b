"""Central's identity: its data directory, the district CA, its own key and certificate.

``init_central`` creates what is missing and never overwrites a CA or a key; ``load_identity``
loads and cross-checks them. The private key is held only by ``CentralIdentity``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certs.authority import (
    CertificateAuthority,
    cert_pem,
    init_ca,
    issue_certificate,
    load_ca,
    load_cert,
    load_crl,
)
from certs.errors import CertError
from certs.filemodes import make_private_dir
from certs.keys import generate_key, load_private_key, save_private_key, write_pem
from certs.verify import check_key_matches, verify_certificate

from .database import describe, open_store
from .datadir import CentralPaths
from .errors import SetupError
from .store.protocol import CentralStore

DEFAULT_NAME = "central-batola"


@dataclass
class CentralIdentity:
    """Who central is (``name``: the ``central`` field of receipts and rosters) and its keys."""

    paths: CentralPaths
    name: str
    key: Ed25519PrivateKey
    cert: x509.Certificate
    ca_cert: x509.Certificate
    _crl_cache: tuple[float, x509.CertificateRevocationList | None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()

    def ca(self) -> CertificateAuthority:
        """The CA with its private key, loaded on demand (enrollment and revocation only)."""
        return load_ca(self.paths.ca_dir)

    def crl(self) -> x509.CertificateRevocationList | None:
        """The CA's current CRL, re-read when ``crl.pem`` changes (another process revoked)."""
        try:
            mtime = os.stat(self.paths.crl).st_mtime_ns
        except FileNotFoundError:
            return None
        with self._lock:
            if self._crl_cache is None or self._crl_cache[0] != mtime:
                self._crl_cache = (mtime, load_crl(self.paths.ca_dir))
            return self._crl_cache[1]


def init_central(paths: CentralPaths, name: str = DEFAULT_NAME) -> list[str]:
    """Create the database, the CA (unless one exists), central's key and certificate.

    Returns what was created, for the CLI to print. Existing pieces are kept as they are.
    """
    from certs.names import check_node_id

    try:
        check_node_id(name)
    except CertError as exc:
        raise SetupError(str(exc)) from exc
    created: list[str] = []
    make_private_dir(paths.root)
    store = open_store(paths)
    try:
        if store.migrate():
            created.append(describe(paths))
        existing = store.meta("central_id")
        if existing and existing != name:
            raise SetupError(
                f"{describe(paths)} already belongs to central {existing!r}; "
                f"use that name or another data directory"
            )
        if (paths.ca_dir / "ca.pem").exists() or (paths.ca_dir / "ca.key").exists():
            ca = load_ca(paths.ca_dir)
        else:
            ca = init_ca(paths.ca_dir)
            created.append(str(paths.ca_dir / "ca.pem"))
        if paths.key.exists():
            key = load_private_key(paths.key)
        else:
            key = generate_key()
            save_private_key(key, paths.key)
            created.append(str(paths.key))
        if paths.cert.exists():
            cert = load_cert(paths.cert)
            check_key_matches(cert, key)
        else:
            cert = issue_certificate(ca, key.public_key(), name, role="central")
            write_pem(paths.cert, cert_pem(cert))
            created.append(str(paths.cert))
        verify_certificate(cert, ca.cert, name=name)
        if not existing:
            store.set_meta("central_id", name)
    except CertError as exc:
        raise SetupError(str(exc)) from exc
    finally:
        store.close()
    return created


def load_identity(paths: CentralPaths, store: CentralStore | None) -> CentralIdentity:
    """Load central's key, certificate and the CA certificate; SetupError says what to fix.

    ``store`` None: the data directory names no database yet.
    """
    hint = f"run 'presensi-central init --data {paths.root}' first"
    if store is None:
        raise SetupError(f"{describe(paths)} does not exist; {hint}")
    name = store.meta("central_id")
    if not name:
        raise SetupError(f"{describe(paths)} has no central id; {hint}")
    try:
        key = load_private_key(paths.key)
        cert = load_cert(paths.cert)
        ca_cert = load_cert(paths.ca_cert)
        check_key_matches(cert, key)
        verify_certificate(cert, ca_cert, name=name)
    except CertError as exc:
        raise SetupError(f"{exc} ({hint})") from exc
    return CentralIdentity(paths=paths, name=name, key=key, cert=cert, ca_cert=ca_cert)


def central_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 key in a ``central.pem`` certificate (for tests and verifiers)."""
    public = load_cert(path).public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise SetupError(f"{path} does not hold an Ed25519 certificate")
    return public
