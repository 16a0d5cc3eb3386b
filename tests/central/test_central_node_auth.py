"""Node-signed requests: unknown, revoked, replayed, tampered and old requests are refused."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from central.datadir import CentralPaths
from central.store.sqlite import SqliteStore
from certs.authority import load_ca, revoke
from certs.keys import generate_key
from testkit.factories import make_node

from .conftest import Clock, FakeNode

CHECKPOINT = "/api/v1/nodes/kec-alalak/checkpoint"


def test_signed_checkpoint_of_a_new_node(client: FlaskClient, node: FakeNode) -> None:
    r = node.request(client, "GET", CHECKPOINT)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json() == {
        "node": "kec-alalak",
        "epoch": None,
        "seq": -1,
        "head": "0" * 64,
        "quarantined": False,
        "new_epoch_allowed": True,
    }


def test_unsigned_request_is_401(client: FlaskClient, node: FakeNode) -> None:
    r = client.get(CHECKPOINT)
    assert r.status_code == 401 and r.get_json()["error"] == "signature-missing"


def test_unknown_node_is_401(client: FlaskClient, clock: Clock) -> None:
    stranger = FakeNode("kec-tamban", clock)
    r = stranger.request(client, "GET", "/api/v1/nodes/kec-tamban/checkpoint")
    assert r.status_code == 401 and r.get_json()["error"] == "unknown-node"


def test_wrong_key_for_a_known_node_is_401(
    client: FlaskClient, node: FakeNode, clock: Clock
) -> None:
    impostor = FakeNode("kec-alalak", clock, generate_key())
    r = impostor.request(client, "GET", CHECKPOINT)
    assert r.status_code == 401 and r.get_json()["error"] == "signature-bad-signature"


def test_revoked_node_is_403(
    client: FlaskClient, node: FakeNode, store: SqliteStore, central_paths: CentralPaths
) -> None:
    revoke(load_ca(central_paths.ca_dir), "kec-alalak")
    r = node.request(client, "GET", CHECKPOINT)
    assert r.status_code == 403 and r.get_json()["error"] == "revoked"
    row = store.node("kec-alalak")
    assert row is not None and row.status == "revoked"


def test_replayed_nonce_is_401(client: FlaskClient, node: FakeNode) -> None:
    headers = node.headers("GET", CHECKPOINT)
    assert client.get(CHECKPOINT, headers=headers).status_code == 200
    r = client.get(CHECKPOINT, headers=headers)
    assert r.status_code == 401 and r.get_json()["error"] == "replayed"


def test_tampered_body_is_401(client: FlaskClient, node: FakeNode) -> None:
    body = node.batch()
    headers = node.headers("POST", "/api/v1/batches", body)
    r = client.post(
        "/api/v1/batches", data=body.replace(b'"genesis"', b'"genesiz"'), headers=headers
    )
    assert r.status_code == 401 and r.get_json()["error"] == "signature-bad-digest"


def test_old_request_is_401(client: FlaskClient, node: FakeNode, clock: Clock) -> None:
    headers = node.headers("GET", CHECKPOINT)
    clock.advance(301)
    r = client.get(CHECKPOINT, headers=headers)
    assert r.status_code == 401 and r.get_json()["error"] == "signature-expired"


def test_other_nodes_checkpoint_is_403(
    client: FlaskClient, node: FakeNode, store: SqliteStore, clock: Clock
) -> None:
    from .conftest import enroll

    enroll(client, store, clock, "kec-tamban")
    r = node.request(client, "GET", "/api/v1/nodes/kec-tamban/checkpoint")
    assert r.status_code == 403 and r.get_json()["error"] == "wrong-node"


def test_offline_enrolled_node_is_recognised(
    client: FlaskClient,
    central_paths: CentralPaths,
    store: SqliteStore,
    tmp_path: Path,
    clock: Clock,
) -> None:
    """The offline path: a real node whose CSR was signed with central's CA directory."""
    from certs.keys import load_private_key

    paths = make_node(tmp_path, load_ca(central_paths.ca_dir), "kec-wanaraya")
    node = FakeNode("kec-wanaraya", clock, load_private_key(paths.key))
    r = node.request(client, "GET", "/api/v1/nodes/kec-wanaraya/checkpoint")
    assert r.status_code == 200, r.get_data(as_text=True)
    row = store.node("kec-wanaraya")
    assert row is not None and row.status == "active"
