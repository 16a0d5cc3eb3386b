"""The staff API: sign-in, check-in, today's records, idempotency, CSRF, lockout."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from sync.records import check_record


def _sign_in(client: FlaskClient, person: dict[str, str]) -> dict[str, Any]:
    r = client.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]})
    assert r.status_code == 201 and isinstance(r.json, dict), r.json
    return r.json


def _log_head(client: FlaskClient) -> int:
    return client.application.extensions["presensi_node"].store.head()[0]


def test_checkin_returns_signed_record_that_verifies(client, roster, app):
    me = _sign_in(client, roster[3])
    r = client.post(
        "/api/v1/checkins",
        json={"kind": "in", "client_ts": "2026-10-01T23:21:07Z"},
        headers={"Authorization": f"Bearer {me['token']}"},
    )
    assert r.status_code == 201
    record = json.loads(r.data)
    assert record["type"] == "checkin"
    assert record["body"]["nip"] == roster[3]["nip"]
    assert record["body"]["kind"] == "in"
    assert record["body"]["method"] == "app"
    assert record["body"]["client_ts"] == "2026-10-01T23:21:07.000Z"
    assert record["body"]["device"] == me["device"]
    identity = app.extensions["presensi_node"].identity
    check_record(record, identity.cert.public_key())
    today = client.get("/api/v1/checkins/today", headers={"Authorization": f"Bearer {me['token']}"})
    assert [x["hash"] for x in today.json["records"]] == [record["hash"]]


def test_repeated_tap_is_its_own_record_but_idempotency_key_returns_first(client, roster):
    me = _sign_in(client, roster[0])
    auth = {"Authorization": f"Bearer {me['token']}"}
    first = client.post("/api/v1/checkins", json={"kind": "in"}, headers=auth)
    second = client.post("/api/v1/checkins", json={"kind": "in"}, headers=auth)
    assert first.status_code == second.status_code == 201
    assert json.loads(first.data)["seq"] != json.loads(second.data)["seq"]
    key = {**auth, "Idempotency-Key": "tap-0001-abcdef"}
    a = client.post("/api/v1/checkins", json={"kind": "out"}, headers=key)
    head = _log_head(client)
    b = client.post("/api/v1/checkins", json={"kind": "out"}, headers=key)
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.data == b.data
    assert _log_head(client) == head


def test_cookie_session_needs_csrf_header(client, roster):
    me = _sign_in(client, roster[1])
    head = _log_head(client)
    r = client.post("/api/v1/checkins", json={"kind": "in"})
    assert r.status_code == 403 and r.json["error"] == "csrf"
    r = client.post("/api/v1/checkins", json={"kind": "in"}, headers={"X-CSRF-Token": "nope"})
    assert r.status_code == 403
    assert _log_head(client) == head
    r = client.post("/api/v1/checkins", json={"kind": "in"}, headers={"X-CSRF-Token": me["csrf"]})
    assert r.status_code == 201


def test_session_cookie_is_new_on_every_sign_in(client, roster):
    a = _sign_in(client, roster[2])["token"]
    b = _sign_in(client, roster[2])["token"]
    assert a != b


def test_wrong_pins_lock_the_nip_and_message_says_when(client, roster, app):
    person = roster[4]
    wrong = "000000" if person["pin"] != "000000" else "111111"
    for _ in range(app.config["PIN_MAX_FAILURES"]):
        r = client.post("/api/v1/session", json={"nip": person["nip"], "pin": wrong})
        assert r.status_code == 401
        assert r.json["message"] == "NIP atau PIN salah."
    r = client.post(
        "/api/v1/session",
        json={"nip": person["nip"], "pin": person["pin"]},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 429
    assert "Try again in 15 minutes" in r.json["message"]
    assert int(r.headers["Retry-After"]) > 800
    # Another person on the same phone is not locked out by the first one's mistakes.
    assert (
        client.post(
            "/api/v1/session", json={"nip": roster[5]["nip"], "pin": roster[5]["pin"]}
        ).status_code
        == 201
    )


def test_lockout_survives_a_restart(node_paths, roster):
    from local_node import create_app

    person = roster[6]
    app = create_app({"DATA_DIR": str(node_paths.root), "PIN_MAX_FAILURES": 2})
    c = app.test_client()
    for _ in range(2):
        c.post(
            "/api/v1/session",
            json={"nip": person["nip"], "pin": "999999" if person["pin"] != "999999" else "888888"},
        )
    app.extensions["presensi_node"].close()
    app2 = create_app({"DATA_DIR": str(node_paths.root), "PIN_MAX_FAILURES": 2})
    r = app2.test_client().post(
        "/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]}
    )
    app2.extensions["presensi_node"].close()
    assert r.status_code == 429


def test_unknown_nip_is_rejected_like_a_wrong_pin(client):
    r = client.post("/api/v1/session", json={"nip": "199001012015031001", "pin": "123456"})
    assert r.status_code == 401 and r.json["error"] == "pin-wrong"


def test_healthz_and_metrics(client, roster):
    me = _sign_in(client, roster[7])
    client.post(
        "/api/v1/checkins", json={"kind": "in"}, headers={"Authorization": f"Bearer {me['token']}"}
    )
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["db_writable"] is True
    text = client.get("/metrics").data.decode()
    assert "presensi_checkins_total 1" in text
    head = client.application.extensions["presensi_node"].store.head()[0]
    assert f"presensi_log_head_seq {head}" in text
