"""The node's identity: its key, its certificate, the district CA; and creating a new node.

The node refuses to serve until ``certs/node.pem`` and ``certs/ca.pem`` are present, valid,
issued to this node's name, and match ``keys/node.key``.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from certs.csr import make_csr
from certs.errors import CertError
from certs.filemodes import make_private_dir
from certs.keys import generate_key, load_private_key, save_private_key, write_pem
from certs.names import check_node_id
from certs.verify import check_key_matches, fingerprint_sha256, verify_certificate

from .datadir import NodePaths
from .errors import IdentityError
from .log_commit import Clock
from .store import Store
from .writer import LogWriter

SOFTWARE = "smart-presensi/0.1.0"


@dataclass
class NodeIdentity:
    name: str
    key: Ed25519PrivateKey
    cert: x509.Certificate
    ca: x509.Certificate
    central: x509.Certificate | None

    @property
    def fingerprint(self) -> str:
        return fingerprint_sha256(self.cert)


def _load_cert(path: Path, what: str, hint: str) -> x509.Certificate:
    if not path.exists():
        raise IdentityError(f"{what} is missing: {path}. {hint}")
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError as exc:
        raise IdentityError(f"{what} at {path} is not a PEM certificate") from exc


def load_identity(paths: NodePaths, name: str) -> NodeIdentity:
    """Load and check the key and certificates; IdentityError says what to fix."""
    hint = (
        "Enroll the node (presensi-node init --central URL --token T) or copy the "
        f"certificate signed from {paths.csr} into place."
    )
    try:
        key = load_private_key(paths.key)
    except CertError as exc:
        raise IdentityError(str(exc)) from exc
    cert = _load_cert(paths.cert, "node certificate", hint)
    ca = _load_cert(paths.ca, "district CA certificate", hint)
    central = None
    if paths.central.exists():
        central = _load_cert(paths.central, "central certificate", hint)
    try:
        verify_certificate(cert, ca, name=name)
        check_key_matches(cert, key)
        if central is not None:
            verify_certificate(central, ca)
    except CertError as exc:
        raise IdentityError(f"{exc} ({paths.cert})") from exc
    return NodeIdentity(name, key, cert, ca, central)


def node_name(paths: NodePaths) -> str:
    """The node id stored in the database at init."""
    if not paths.db.exists():
        raise IdentityError(f"{paths.root} is not a node data directory; run presensi-node init")
    store = Store(paths.db)
    try:
        name = store.meta("node")
    finally:
        store.close()
    if not name:
        raise IdentityError(f"{paths.db} has no node name; run presensi-node init")
    return name


def init_node(
    paths: NodePaths, name: str, *, boot_id: str, clock: Clock | None = None
) -> Ed25519PrivateKey:
    """Create the key, the CSR and the log with its genesis record. Never overwrites.

    ``clock``: the time the genesis record carries (the demo's simulated month); the
    system clock by default."""
    try:
        check_node_id(name)
    except CertError as exc:
        raise IdentityError(str(exc)) from exc
    if paths.db.exists() or paths.key.exists():
        raise IdentityError(f"{paths.root} already holds a node; refusing to overwrite it")
    make_private_dir(paths.root)
    key = generate_key()
    try:
        save_private_key(key, paths.key)
        write_pem(paths.csr, make_csr(key, name))
    except CertError as exc:
        raise IdentityError(str(exc)) from exc
    store = Store(paths.db)
    store.migrate()
    conn = store.conn()
    epoch = secrets.token_hex(16)
    conn.execute("INSERT INTO meta VALUES ('node', ?), ('epoch', ?)", (name, epoch))
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    writer = LogWriter(store, key, boot_id=boot_id, clock=clock)
    writer.append(
        "genesis",
        {"software": SOFTWARE, "node": name, "public_key": base64.b64encode(raw).decode("ascii")},
    )
    writer.stop()
    store.close()
    return key
