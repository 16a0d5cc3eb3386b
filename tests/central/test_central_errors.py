"""Anything a client gets wrong is a 4xx with a JSON ``{error, message}``; never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from sync import records
from sync.batches import encode_batch

from .conftest import FakeNode


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"", "application/json", 400, "bad-json"),
        (b"{", "application/json", 400, "bad-json"),
        (b"[]", "application/json", 400, "bad-json"),
        (b'{"token": 5, "csr": "x"}', "application/json", 401, "token-invalid"),
        (b'{"token": "no-dot", "csr": "x"}', "application/json", 401, "token-invalid"),
        (
            b'{"token": "BAD NAME.xxxxxxxxxxxxxxxxxxxxxxxxx", "csr": "x"}',
            "application/json",
            401,
            "token-invalid",
        ),
        (
            b'{"token": "kec-alalak.xxxxxxxxxxxxxxxxxxxxxxxxx", "csr": 7}',
            "application/json",
            400,
            "bad-csr",
        ),
        (
            b'{"token": "kec-alalak.xxxxxxxxxxxxxxxxxxxxxxxxx", "csr": "not pem"}',
            "application/json",
            400,
            "bad-csr",
        ),
        (b'{"token": "x"}', "text/plain", 415, "unsupported-media-type"),
        (b'{"token": "' + b"x" * 70000 + b'"}', "application/json", 413, "too-large"),
    ],
)
def test_bad_enroll_requests(
    client: FlaskClient, body: bytes, content_type: str, status: int, code: str
) -> None:
    r = client.post("/api/v1/enroll", data=body, content_type=content_type)
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.get_json()["error"] == code and r.get_json()["message"]


def _mutate(node: FakeNode, change: dict[str, Any]) -> bytes:
    batch = json.loads(node.batch())
    batch.update(change)
    return json.dumps(batch).encode()


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (lambda n: b"not json", 400, "bad-batch"),
        (lambda n: b"[1, 2]", 400, "bad-batch"),
        (lambda n: _mutate(n, {"v": 2}), 400, "bad-batch"),
        (lambda n: _mutate(n, {"records": []}), 400, "bad-batch"),
        (lambda n: _mutate(n, {"records": [1]}), 400, "bad-batch"),
        (lambda n: _mutate(n, {"epoch": "XYZ"}), 400, "bad-batch"),
        (lambda n: _mutate(n, {"clock": {"wall_ts": 5}}), 400, "bad-batch"),
        (lambda n: _mutate(n, {"records": [{"seq": 0}]}), 422, "invalid-record"),
        (lambda n: _mutate(n, {"records": [dict(n.records[0], seq=True)]}), 422, "invalid-record"),
        (lambda n: _mutate(n, {"records": [dict(n.records[0], extra=1)]}), 422, "invalid-record"),
        (lambda n: _mutate(n, {"records": [n.records[0], n.records[0]]}), 400, "bad-batch"),
        (lambda n: b"\x1f\x8bnot really gzip", 400, "bad-batch"),
    ],
)
def test_bad_batches(
    client: FlaskClient, node: FakeNode, make: Any, status: int, code: str
) -> None:
    r = node.request(client, "POST", "/api/v1/batches", make(node))
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.get_json()["error"] == code


def test_batch_out_of_order_after_new_records(client: FlaskClient, node: FakeNode) -> None:
    node.checkin("198501012010011001")
    assert node.push(client).status_code == 200
    node.checkin("198501012010011001", "out")
    recs = [records.serialize(r) for r in (node.records[2], node.records[0])]
    body = encode_batch(
        node.name, node.epoch, recs, {"wall_ts": node.records[0]["ts"], "mono_us": 1}
    )
    r = node.request(client, "POST", "/api/v1/batches", body)
    assert r.status_code == 400 and r.get_json()["error"] == "bad-batch"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "bad-date"),
        ("date=2026-13-01", "bad-date"),
        ("date=02-10-2026", "bad-date"),
        # The edges of the calendar have no UTC bounds (an OverflowError, 500, found by the fuzz).
        ("date=9999-12-31", "bad-date"),
        ("date=0001-01-01", "bad-date"),
        ("date=2026-10-02&format=xml", "bad-format"),
        ("date=2026-10-02&unit=" + "u" * 121, "bad-unit"),
    ],
)
def test_bad_attendance_queries(
    client: FlaskClient, viewer_token: str, query: str, code: str
) -> None:
    r = client.get(
        f"/api/v1/attendance?{query}", headers={"Authorization": f"Bearer {viewer_token}"}
    )
    assert r.status_code == 400 and r.get_json()["error"] == code


@pytest.mark.parametrize("query", ["since=abc", "since=-1", "since=1.5", "since=" + "9" * 20])
def test_bad_roster_since(client: FlaskClient, node: FakeNode, query: str) -> None:
    r = node.request(client, "GET", f"/api/v1/roster?{query}")
    assert r.status_code == 400 and r.get_json()["error"] == "bad-since"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/nope", 404),
        ("DELETE", "/api/v1/batches", 405),
        ("GET", "/api/v1/enroll", 405),
        ("POST", "/api/v1/nodes/kec-alalak/checkpoint", 405),
    ],
)
def test_unknown_routes(client: FlaskClient, method: str, path: str, status: int) -> None:
    r = client.open(path, method=method)
    assert r.status_code == status and r.get_json()["error"]


@pytest.mark.parametrize("payload", [{}, {"name": 5}, {"name": "Bad Name"}, {"name": "ab"}])
def test_bad_node_names(client: FlaskClient, admin_token: str, payload: dict[str, Any]) -> None:
    r = client.post(
        "/api/v1/nodes", json=payload, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert r.status_code == 400 and r.get_json()["error"] == "bad-node-name"
