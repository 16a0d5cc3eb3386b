"""JSON nested 1,000 deep and lone UTF-16 surrogates, sent to every route of both apps
(issue 13 item 11): a route that reads a JSON body answers 400 ``bad-json`` with a message,
every other route answers as it would without the body, and nothing is a 5xx or stored.

Every route is taken from the app's own URL map, so a route added later is attacked too.
Requests carry valid credentials (a head's session on the node; an admin token or a real
node signature at central) so the bodies reach the parsers behind the checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from central.store.sqlite import SqliteStore
from testkit.factories import log_head
from tests.central.conftest import FakeNode

from .conftest import central_counts

DEEP = 1000
BODIES: dict[str, bytes] = {
    "array-1000-deep": b"[" * DEEP + b"]" * DEEP,
    "object-1000-deep": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "deep-inside-field": b'{"kind":"in","geo":' + b"[" * DEEP + b"]" * DEEP + b"}",
    "surrogate-presence": b'{"kind":"in","presence":"x\\ud800y"}',
    "surrogate-reason": (b'{"nip":"198501012010011001","kind":"in","reason":"lupa \\udfff absen"}'),
    "surrogate-key": b'{"kind":"in","\\udc00":"x"}',
    "surrogate-nested": b'{"kind":"in","geo":{"lat":"\\ud83d","lon":"1","acc_m":"2"}}',
    "surrogate-token": b'{"token":"kec-alalak.\\ud800","csr":"x"}',
}
SKIP_METHODS = {"HEAD", "OPTIONS"}
# A real value for each path parameter, so every route is reached past its URL converter.
PATH_VALUES = {
    "<node>": "kec-alalak",
    "<ext>": "pdf",
    "<target_id>": "1",
    "<any(approve, reject):action>": "approve",
    "<month>": "2026-10",
    "<int:alert_id>": "1",
    "<name>": "budi",
    "<link>": "x" * 43,
    "<int:objection_id>": "1",
    "<action>": "accept",
    "<nip>": "198501012010011001",
    "<any(pengecualian, gangguan):kind>": "pengecualian",
    "<int:target_id>": "1",
    "<any(setujui, tolak):action>": "setujui",
}


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """(method, path, endpoint) of every rule, path parameters filled with a real value."""
    out: list[tuple[str, str, str]] = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for param, value in PATH_VALUES.items():
            path = path.replace(param, value)
        assert "<" not in path, f"give {rule.rule} a parameter value here"
        out.extend((m, path, rule.endpoint) for m in sorted((rule.methods or set()) - SKIP_METHODS))
    return out


def _check(response: Any, reads_json: bool, where: str) -> None:
    assert response.status_code < 500, (where, response.status_code, response.data[:300])
    if reads_json:
        assert response.status_code == 400, (where, response.status_code, response.data[:300])
    if response.status_code >= 400 and response.mimetype == "application/json":
        body = response.get_json()
        assert body["error"] and body["message"], where
    if reads_json:  # batches keep their own code (docs/protocol.md section 10)
        assert response.get_json()["error"] in ("bad-json", "bad-batch"), where


# Node routes that parse a JSON body (the session route reads it before any check).
NODE_JSON = {
    "api.create_session",
    "api.create_checkin",
    "api.create_witness_checkin",
    "api.create_manual_checkin",
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_node_route(
    app: Flask, client: FlaskClient, roster: list[dict[str, str]], name: str
) -> None:
    head = next(p for p in roster if p["role"] == "head")
    routes = _routes(app)
    assert {endpoint for _, _, endpoint in routes} >= NODE_JSON
    before = log_head(client)
    for method, path, endpoint in routes:
        # A fresh session each time: DELETE /api/v1/session ends the one it is given.
        r = client.post("/api/v1/session", json={"nip": head["nip"], "pin": head["pin"]})
        assert r.status_code == 201 and r.json is not None, r.data
        headers = {"Authorization": f"Bearer {r.json['token']}", "Idempotency-Key": name}
        response = client.open(
            path, method=method, data=BODIES[name], headers=headers, content_type="application/json"
        )
        _check(response, endpoint in NODE_JSON, f"{method} {path} {name}")
    assert log_head(client) == before, "a refused body reached the log"


CENTRAL_JSON = {"api.post_enroll", "api.post_node"}
SIGNED = {"api.post_batch", "api.get_roster", "api.get_checkpoint"}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_central_route(
    central_app: Flask,
    central_client: FlaskClient,
    central_store: SqliteStore,
    fake_node: FakeNode,
    admin_token: str,
    name: str,
) -> None:
    routes = _routes(central_app)
    endpoints = {endpoint for _, _, endpoint in routes}
    assert "api.post_enroll" in endpoints and "api.post_batch" in endpoints, endpoints
    json_routes = {e for e in endpoints if e in CENTRAL_JSON or e == "api.post_batch"}
    for method, path, endpoint in routes:
        before = central_counts(central_store)
        body = BODIES[name]
        headers = {"Content-Type": "application/json"}
        if endpoint in SIGNED or endpoint == "api.post_batch":
            headers.update(fake_node.headers(method, path, body))
        else:
            headers["Authorization"] = f"Bearer {admin_token}"
        response = central_client.open(path, method=method, data=body, headers=headers)
        _check(response, endpoint in json_routes, f"{method} {path} {name}")
        after = central_counts(central_store)
        before.pop("nonces", None), after.pop("nonces", None)
        if response.status_code >= 400:
            assert after == before, f"{method} {path} {name} stored something"


def test_enroll_without_any_credentials(central_client: FlaskClient) -> None:
    """The one unauthenticated JSON route, exactly as issue 13 found it (a 500 before)."""
    for name in ("array-1000-deep", "object-1000-deep", "surrogate-token"):
        response = central_client.post(
            "/api/v1/enroll", data=BODIES[name], content_type="application/json"
        )
        _check(response, True, name)
