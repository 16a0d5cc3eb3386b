"""Online enrollment: ``presensi-node init --data DIR --central URL --token T``.

The token central prints for ``presensi-central node add --name NODE`` has the form
``NODE.SECRET``: the part before the first dot is the node id, so the node knows its name
before it talks to central, and central checks the CSR's CN against the token's node.

Steps: make the key, the CSR and the log (``identity.init_node``), POST
``{"token", "csr"}`` to ``/api/v1/enroll``, check what comes back (the node certificate is
issued by the returned CA to this name and matches our key; central's certificate is from the
same CA), then install ``certs/node.pem``, ``certs/ca.pem``, ``certs/central.pem`` and write
``CENTRAL_URL`` and ``CENTRAL_ID`` to ``config.json``.

If central refuses or cannot be reached, the key, CSR and log stay: run the same command
again (the existing key and CSR are reused), or take ``certs/node.csr`` the offline way.

Trust: the token authenticates the node to central, not central to the node. Use an
``https://`` central URL whose certificate the OS trusts, or compare the CA fingerprint
printed here with the district's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography import x509

from certs._atomic import replace_file
from certs.errors import CertError
from certs.filemodes import PRIVATE_FILE
from certs.keys import load_private_key, write_pem
from certs.names import check_node_id
from certs.verify import check_key_matches, fingerprint_sha256, verify_certificate
from sync.client import CentralClient
from sync.errors import SyncError

from .cli_messages import likely_cause
from .datadir import NodePaths
from .errors import IdentityError, NodeError
from .identity import init_node, node_name
from .log_commit import Clock


class EnrollmentError(NodeError):
    """Enrollment did not complete; the message says what to do next."""


def token_node(token: str) -> str:
    """The node id a ``NODE.SECRET`` token was issued for."""
    name, dot, secret = token.partition(".")
    if not dot or not secret:
        raise EnrollmentError(
            "the enrollment token must look like NODE.SECRET, as "
            "presensi-central node add prints it"
        )
    try:
        return check_node_id(name)
    except CertError as exc:
        raise EnrollmentError(f"the token names an invalid node id: {exc}") from exc


def _prepare(paths: NodePaths, name: str, boot_id: str, clock: Clock | None) -> None:
    """Create the node, or reuse one that an earlier, failed enrollment left behind."""
    if not paths.db.exists() and not paths.key.exists():
        init_node(paths, name, boot_id=boot_id, clock=clock)
        return
    existing = node_name(paths)
    if existing != name:
        raise EnrollmentError(
            f"{paths.root} already holds node {existing!r}, but the token is for {name!r}"
        )
    if paths.cert.exists():
        raise EnrollmentError(f"{paths.root} is already enrolled ({paths.cert} exists)")
    if not paths.csr.exists():
        raise EnrollmentError(f"{paths.csr} is missing; cannot enroll this data directory")


def write_config(path: Path, updates: dict[str, Any]) -> None:
    config: dict[str, Any] = {}
    if path.exists():
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise NodeError(f"{path} is not valid JSON ({exc}); fix it or remove it") from exc
    config.update(updates)
    replace_file(
        path,
        (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        PRIVATE_FILE,
    )


def _check_answer(paths: NodePaths, name: str, answer: dict[str, Any]) -> None:
    if answer["node"] != name:
        raise EnrollmentError(f"central enrolled {answer['node']!r}, expected {name!r}")
    try:
        cert = x509.load_pem_x509_certificate(answer["cert"].encode())
        ca = x509.load_pem_x509_certificate(answer["ca"].encode())
        central = x509.load_pem_x509_certificate(answer["central"].encode())
    except ValueError as exc:
        raise EnrollmentError(f"central sent a certificate that is not PEM: {exc}") from exc
    try:
        verify_certificate(cert, ca, name=name)
        check_key_matches(cert, load_private_key(paths.key))
        verify_certificate(central, ca)
    except CertError as exc:
        raise EnrollmentError(f"central's certificates do not check out: {exc}") from exc


def enroll(
    paths: NodePaths, central_url: str, token: str, *, boot_id: str, clock: Clock | None = None
) -> str:
    """Enroll a new node with central using a one-time token; return the node id.

    ``clock`` dates the genesis record (the system clock by default)."""
    name = token_node(token)
    try:
        _prepare(paths, name, boot_id, clock)
    except IdentityError as exc:
        raise EnrollmentError(str(exc)) from exc
    csr = paths.csr.read_text(encoding="ascii")
    try:
        answer = CentralClient.enroll(central_url, token, csr)
    except SyncError as exc:
        if exc.status is None:  # no HTTP answer at all: say where and the likely cause
            raise EnrollmentError(
                f"cannot reach central at {central_url}: {likely_cause(exc)} (the key and CSR "
                f"are kept in {paths.root}; run the same command again)"
            ) from exc
        raise EnrollmentError(
            f"enrollment failed: {exc}. The key and CSR are kept in {paths.root}: run the same "
            f"command again with a valid token, or take {paths.csr} to the district "
            "(presensi-ca issue) and copy the certificates into certs/."
        ) from exc
    _check_answer(paths, name, answer)
    write_pem(paths.ca, answer["ca"].encode())
    write_pem(paths.central, answer["central"].encode())
    write_pem(paths.cert, answer["cert"].encode())
    updates: dict[str, Any] = {"CENTRAL_URL": central_url.rstrip("/")}
    if isinstance(answer.get("central_id"), str):
        updates["CENTRAL_ID"] = answer["central_id"]
    # The office's name for page headers, when central gives one (an optional field).
    if isinstance(answer.get("display_name"), str) and answer["display_name"].strip():
        updates["DISPLAY_NAME"] = answer["display_name"].strip()[:80]
    write_config(paths.config, updates)
    ca = x509.load_pem_x509_certificate(answer["ca"].encode())
    print(f"event=enrolled node={name} ca_sha256={fingerprint_sha256(ca)}", flush=True)
    return name
