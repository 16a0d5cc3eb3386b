"""A table of bad input: every one gets a 4xx JSON error with a message, and the log does not
change."""

from __future__ import annotations

import pytest

BIG = "x" * 20_000


@pytest.fixture
def auth(client, roster):
    r = client.post("/api/v1/session", json={"nip": roster[0]["nip"], "pin": roster[0]["pin"]})
    return {"Authorization": f"Bearer {r.json['token']}"}


CHECKIN_CASES = [
    ("malformed json", b"{kind: in", "application/json", 400, "bad-json"),
    ("not an object", b'["in"]', "application/json", 400, "bad-request"),
    ("missing kind", b"{}", "application/json", 400, "kind-invalid"),
    ("wrong kind", b'{"kind": "lunch"}', "application/json", 400, "kind-invalid"),
    ("kind as number", b'{"kind": 1}', "application/json", 400, "kind-invalid"),
    (
        "unknown field",
        b'{"kind": "in", "nip": "198501012010011001"}',
        "application/json",
        400,
        "bad-request",
    ),
    (
        "float geo",
        b'{"kind": "in", "geo": {"lat": -2.99, "lon": 114.7}}',
        "application/json",
        400,
        "geo-invalid",
    ),
    (
        "geo out of range",
        b'{"kind": "in", "geo": {"lat": "-95", "lon": "114"}}',
        "application/json",
        400,
        "geo-invalid",
    ),
    (
        "geo sql",
        b'{"kind": "in", "geo": {"lat": "1; DROP TABLE log", "lon": "1"}}',
        "application/json",
        400,
        "geo-invalid",
    ),
    (
        "client_ts garbage",
        b'{"kind": "in", "client_ts": "<script>alert(1)</script>"}',
        "application/json",
        400,
        "client-ts-invalid",
    ),
    (
        "client_ts float",
        b'{"kind": "in", "client_ts": 1700000000.5}',
        "application/json",
        400,
        "client-ts-invalid",
    ),
    (
        "client_ts naive",
        b'{"kind": "in", "client_ts": "2026-10-01T07:30:00"}',
        "application/json",
        400,
        "client-ts-invalid",
    ),
    (
        "presence object",
        b'{"kind": "in", "presence": {"a": 1}}',
        "application/json",
        400,
        "presence-invalid",
    ),
    (
        "oversized",
        ('{"kind": "in", "presence": "' + BIG + '"}').encode(),
        "application/json",
        413,
        "too-large",
    ),
    (
        "form encoded",
        b"kind=in",
        "application/x-www-form-urlencoded",
        415,
        "unsupported-media-type",
    ),
    ("invalid utf-8", b'{"kind": "\xff"}', "application/json", 400, "bad-json"),
]


@pytest.mark.parametrize(
    "name,data,ctype,status,code", CHECKIN_CASES, ids=[c[0] for c in CHECKIN_CASES]
)
def test_bad_checkins_are_refused(client, auth, name, data, ctype, status, code):
    store = client.application.extensions["presensi_node"].store
    head = store.head()
    r = client.post("/api/v1/checkins", data=data, content_type=ctype, headers=auth)
    assert r.status_code == status, r.data
    assert r.json["error"] == code
    assert r.json["message"]
    assert store.head() == head


AUTH_CASES = [
    ("no auth", {}),
    ("forged token", {"Authorization": "Bearer forged-token-value"}),
    ("basic auth", {"Authorization": "Basic dXNlcjpwYXNz"}),
    ("empty bearer", {"Authorization": "Bearer "}),
    ("sql token", {"Authorization": "Bearer ' OR 1=1 --"}),
    ("huge token", {"Authorization": "Bearer " + "a" * 5000}),
]


@pytest.mark.parametrize("name,headers", AUTH_CASES, ids=[c[0] for c in AUTH_CASES])
def test_checkins_without_a_valid_session_are_refused(client, roster, name, headers):
    store = client.application.extensions["presensi_node"].store
    head = store.head()
    r = client.post("/api/v1/checkins", json={"kind": "in"}, headers=headers)
    assert r.status_code == 401, r.data
    assert r.json["error"] == "unauthorized"
    assert store.head() == head


SESSION_CASES = [
    ("nip too short", {"nip": "12345", "pin": "123456"}, 400, "nip-invalid"),
    ("nip letters", {"nip": "19850101201001100X", "pin": "123456"}, 400, "nip-invalid"),
    ("nip bad date", {"nip": "198513452010011001", "pin": "123456"}, 400, "nip-invalid"),
    ("nip bad sex digit", {"nip": "198501012010013001", "pin": "123456"}, 400, "nip-invalid"),
    ("nip as number", {"nip": 198501012010011001, "pin": "123456"}, 400, "bad-request"),
    ("pin as number", {"nip": "198501012010011001", "pin": 123456}, 400, "bad-request"),
    ("missing pin", {"nip": "198501012010011001"}, 400, "bad-request"),
    ("sql nip", {"nip": "' OR '1'='1", "pin": "123456"}, 400, "nip-invalid"),
    ("script nip", {"nip": "<script>x</script>", "pin": "1"}, 400, "nip-invalid"),
]


@pytest.mark.parametrize(
    "name,payload,status,code", SESSION_CASES, ids=[c[0] for c in SESSION_CASES]
)
def test_bad_sign_ins_are_refused(client, roster, name, payload, status, code):
    r = client.post("/api/v1/session", json=payload)
    assert r.status_code == status, r.data
    assert r.json["error"] == code
    assert "token" not in r.json


def test_bad_idempotency_key_is_refused(client, auth):
    r = client.post(
        "/api/v1/checkins",
        json={"kind": "in"},
        headers={**auth, "Idempotency-Key": "bad key with spaces"},
    )
    assert r.status_code == 400 and r.json["error"] == "idempotency-key-invalid"


def test_unknown_route_and_method_are_json_4xx(client):
    assert client.get("/api/v1/nope").status_code == 404
    r = client.put("/api/v1/checkins", json={})
    assert r.status_code == 405 and r.json["error"] == "method-not-allowed"


def test_english_messages_on_request(client):
    r = client.post(
        "/api/v1/session",
        json={"nip": "1", "pin": "1"},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert r.json["message"] == "NIP must be 18 valid digits."
