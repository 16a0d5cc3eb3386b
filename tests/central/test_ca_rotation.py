"""Central's list of trusted CAs (central/rotation.py), in process: after ``ca rotate`` a node of
the old CA is still accepted (also one signed offline before the rotation and never seen),
new enrollments get the new CA, a foreign CA is still refused, and ``ca retire`` ends it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from flask.testing import FlaskClient

from central import create_app
from central.database import open_store
from central.datadir import CentralPaths
from central.identity import load_identity
from central.rotation import list_cas, retire_ca, rotate_ca
from certs.authority import init_ca, load_ca, load_cert
from certs.keys import load_private_key
from certs.verify import fingerprint_sha256, verify_certificate
from testkit.factories import make_node
from tests.central.conftest import Clock, FakeNode, enroll


def _rotate(paths: CentralPaths) -> tuple[str, str]:
    store = open_store(paths)
    try:
        old, new, _ = rotate_ca(paths, load_identity(paths, store))
    finally:
        store.close()
    return old, new


@pytest.fixture
def restart(central_paths: CentralPaths, clock: Clock) -> Iterator:
    """A fresh app over the same data directory: what a restart of central gives."""
    apps: list[Flask] = []

    def start() -> FlaskClient:
        app = create_app({"DATA_DIR": str(central_paths.root), "TESTING": True, "CLOCK": clock})
        apps.append(app)
        return app.test_client()

    yield start
    for app in apps:
        app.extensions["presensi_central"].close()


def _ok(client: FlaskClient, node: FakeNode) -> int:
    r = node.request(client, "GET", f"/api/v1/nodes/{node.name}/checkpoint")
    return r.status_code


def test_rotation_keeps_old_nodes_and_enrolls_new_ones(
    central_paths: CentralPaths, clock: Clock, restart, tmp_path: Path
) -> None:
    client = restart()
    store = client.application.extensions["presensi_central"].store
    old_node = enroll(client, store, clock, "kec-alalak")
    # Signed offline under the old CA, carried back on a USB stick after the rotation.
    offline = make_node(tmp_path, load_ca(central_paths.ca_dir), "kec-wanaraya")
    old_fp, new_fp = _rotate(central_paths)
    assert fingerprint_sha256(load_cert(central_paths.ca_cert)) == new_fp != old_fp
    central_cert = load_cert(central_paths.cert)
    verify_certificate(central_cert, load_cert(central_paths.ca_cert), name="central-batola")
    raw = Encoding.Raw, PublicFormat.Raw
    assert central_cert.public_key().public_bytes(*raw) == load_private_key(
        central_paths.key
    ).public_key().public_bytes(*raw)  # same receipt key

    client = restart()
    store = client.application.extensions["presensi_central"].store
    assert _ok(client, old_node) == 200
    assert _ok(client, FakeNode("kec-wanaraya", clock, load_private_key(offline.key))) == 200
    new_node = enroll(client, store, clock, "kec-tamban")
    assert _ok(client, new_node) == 200
    row = store.node("kec-tamban")
    verify_certificate(load_cert(row.cert_pem.encode()), load_cert(central_paths.ca_cert))
    assert [r["state"] for r in list_cas(central_paths)] == ["current", "previous"]

    retire_ca(central_paths, old_fp[:12])
    client = restart()
    r = old_node.request(client, "GET", "/api/v1/nodes/kec-alalak/checkpoint")
    assert r.status_code == 403 and r.get_json()["error"] == "certificate-invalid"
    assert _ok(client, new_node) == 200


def test_a_foreign_ca_is_not_trusted_by_the_overlap(
    central_paths: CentralPaths, clock: Clock, restart, tmp_path: Path
) -> None:
    _rotate(central_paths)
    foreign = make_node(tmp_path, init_ca(tmp_path / "foreign-ca"), "kec-alalak")
    client = restart()
    store = client.application.extensions["presensi_central"].store
    enroll(client, store, clock, "kec-alalak")  # the name exists, with our certificate
    impostor = FakeNode("kec-alalak", clock, load_private_key(foreign.key))
    assert _ok(client, impostor) == 401


@pytest.mark.parametrize(
    "fingerprint, message", [("abc", "at least 8"), ("00000000", "0 previous CAs match")]
)
def test_retire_needs_one_match(
    central_paths: CentralPaths, fingerprint: str, message: str
) -> None:
    _rotate(central_paths)
    from central.errors import SetupError

    with pytest.raises(SetupError, match=message):
        retire_ca(central_paths, fingerprint)
