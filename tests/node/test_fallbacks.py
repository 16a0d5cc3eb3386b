"""The office fallbacks as signed records: a check-in on a colleague's phone (``witness``) and
the unit head's manual list (``manual``); who may do what, and bad input refused unstored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync.records import check_record
from testkit.factories import bearer, log_head

# The test roster (sync.demo_roster, 20 people, 9 units): person i is in unit i % 9 and
# persons 0-8 are the heads. So 0 heads the unit of 9 and 18; 1 heads the unit of 10 and 19.
HEAD, MEMBER, OTHER_MEMBER, OTHER_HEAD = 0, 9, 10, 1


def _verify(app: Any, data: bytes) -> dict[str, Any]:
    record = json.loads(data)
    check_record(record, app.extensions["presensi_node"].identity.cert.public_key())
    return record


def test_witness_checkin_is_the_owners_signed_record_made_on_the_colleagues_phone(
    client, roster, app
):
    colleague, owner = roster[12], roster[13]
    auth = bearer(client, colleague)
    r = client.post(
        "/api/v1/checkins/witness",
        headers=auth,
        json={
            "nip": owner["nip"],
            "pin": owner["pin"],
            "kind": "in",
            "client_ts": "2026-10-01T07:21:07+08:00",
        },
    )
    assert r.status_code == 201, r.json
    record = _verify(app, r.data)
    body = record["body"]
    assert (body["nip"], body["kind"], body["method"]) == (owner["nip"], "in", "witness")
    assert body["witness"] == colleague["nip"]
    assert body["client_ts"] == "2026-09-30T23:21:07.000Z"
    # The proof is the owner's: it shows up among the owner's records of today.
    mine = client.get("/api/v1/checkins/today", headers=bearer(client, owner)).json["records"]
    assert [x["hash"] for x in mine] == [record["hash"]]
    theirs = client.get("/api/v1/checkins/today", headers=auth).json["records"]
    assert theirs == []


def test_witness_wrong_pin_is_refused_unstored_and_counts_against_the_owner(client, roster, app):
    colleague, owner = roster[12], roster[14]
    auth = bearer(client, colleague)
    wrong = "000000" if owner["pin"] != "000000" else "111111"
    head = log_head(client)
    for _ in range(app.config["PIN_MAX_FAILURES"]):
        r = client.post(
            "/api/v1/checkins/witness",
            headers=auth,
            json={"nip": owner["nip"], "pin": wrong, "kind": "in"},
        )
        assert r.status_code == 401 and r.json["error"] == "pin-wrong"
    assert log_head(client) == head
    # The owner's NIP is now locked, at sign-in too: a colleague's phone is no way around it.
    r = client.post("/api/v1/session", json={"nip": owner["nip"], "pin": owner["pin"]})
    assert r.status_code == 429 and r.json["error"] == "too-many-attempts"
    r = client.post(
        "/api/v1/checkins/witness",
        headers=auth,
        json={"nip": owner["nip"], "pin": owner["pin"], "kind": "in"},
    )
    assert r.status_code == 429
    assert log_head(client) == head


def test_witness_with_cookie_session_needs_csrf(client, roster):
    colleague, owner = roster[15], roster[16]
    me = client.post(
        "/api/v1/session", json={"nip": colleague["nip"], "pin": colleague["pin"]}
    ).json
    payload = {"nip": owner["nip"], "pin": owner["pin"], "kind": "out"}
    assert client.post("/api/v1/checkins/witness", json=payload).status_code == 403
    r = client.post("/api/v1/checkins/witness", json=payload, headers={"X-CSRF-Token": me["csrf"]})
    assert r.status_code == 201
    assert json.loads(r.data)["body"]["kind"] == "out"


def test_witness_idempotency_key_returns_the_first_answer(client, roster):
    auth = bearer(client, roster[12])
    owner = roster[17]
    headers = {**auth, "Idempotency-Key": "witness-tap-0001"}
    payload = {"nip": owner["nip"], "pin": owner["pin"], "kind": "in"}
    a = client.post("/api/v1/checkins/witness", json=payload, headers=headers)
    head = log_head(client)
    b = client.post("/api/v1/checkins/witness", json=payload, headers=headers)
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.data == b.data and log_head(client) == head


def test_head_enters_manual_checkin_for_a_unit_member(client, roster, app):
    head, member = roster[HEAD], roster[MEMBER]
    auth = bearer(client, head)
    r = client.post(
        "/api/v1/checkins/manual",
        headers=auth,
        json={"nip": member["nip"], "kind": "in", "reason": "  HP rusak, hadir di apel pagi  "},
    )
    assert r.status_code == 201, r.json
    body = _verify(app, r.data)["body"]
    assert (body["nip"], body["method"], body["witness"]) == (member["nip"], "manual", head["nip"])
    assert body["reason"] == "HP rusak, hadir di apel pagi"
    assert body["client_ts"] is None
    unit = client.get("/api/v1/unit", headers=auth)
    assert unit.status_code == 200
    members = {m["nip"]: m for m in unit.json["members"]}
    assert set(members) == {roster[i]["nip"] for i in (HEAD, MEMBER, 18)}
    assert unit.json["members"][0]["nip"] == head["nip"]  # the head first
    assert [(x["kind"], x["method"], x["witness"]) for x in members[member["nip"]]["records"]] == [
        ("in", "manual", head["nip"])
    ]
    assert members[roster[18]["nip"]]["records"] == []
    me = client.get("/api/v1/me", headers=auth).json
    assert me["role"] == "head"


BAD_MANUAL = [
    # (who asks, body, status, error code)
    (MEMBER, {"nip": "MEMBER18", "kind": "in", "reason": "lupa HP"}, 403, "head-only"),
    (HEAD, {"nip": "OTHER", "kind": "in", "reason": "lupa HP"}, 403, "not-your-unit"),
    (OTHER_HEAD, {"nip": "MEMBER", "kind": "in", "reason": "lupa HP"}, 403, "not-your-unit"),
    (HEAD, {"nip": "HEAD", "kind": "in", "reason": "lupa HP"}, 400, "manual-self"),
    (
        HEAD,
        {"nip": "199001012015031999", "kind": "in", "reason": "lupa HP"},
        404,
        "employee-unknown",
    ),
    (HEAD, {"nip": "12345", "kind": "in", "reason": "lupa HP"}, 400, "nip-invalid"),
    (HEAD, {"nip": 199001012015031001, "kind": "in", "reason": "x y z"}, 400, "nip-invalid"),
    (HEAD, {"kind": "in", "reason": "lupa HP"}, 400, "nip-invalid"),
    (HEAD, {"nip": "MEMBER", "kind": "in"}, 400, "reason-invalid"),
    (HEAD, {"nip": "MEMBER", "kind": "in", "reason": "  "}, 400, "reason-invalid"),
    (HEAD, {"nip": "MEMBER", "kind": "in", "reason": "a\nb c"}, 400, "reason-invalid"),
    (HEAD, {"nip": "MEMBER", "kind": "in", "reason": "x" * 201}, 400, "reason-invalid"),
    (HEAD, {"nip": "MEMBER", "kind": "in", "reason": ["lupa"]}, 400, "reason-invalid"),
    (HEAD, {"nip": "MEMBER", "kind": "late", "reason": "lupa HP"}, 400, "kind-invalid"),
    (HEAD, {"nip": "MEMBER", "kind": "in", "reason": "lupa HP", "geo": {}}, 400, "bad-request"),
    (HEAD, {"nip": "MEMBER", "kind": "in", "reason": "lupa HP", "pin": "1"}, 400, "bad-request"),
    (
        HEAD,
        {"nip": "MEMBER", "kind": "in", "reason": "lupa HP", "client_ts": "kemarin"},
        400,
        "client-ts-invalid",
    ),
    (HEAD, ["MEMBER"], 400, "bad-request"),
]


@pytest.mark.parametrize(("who", "payload", "status", "code"), BAD_MANUAL)
def test_bad_manual_checkins_are_refused_and_nothing_is_stored(
    client, roster, who, payload, status, code
):
    names = {
        "MEMBER": roster[MEMBER]["nip"],
        "OTHER": roster[OTHER_MEMBER]["nip"],
        "HEAD": roster[HEAD]["nip"],
        "MEMBER18": roster[18]["nip"],
    }
    if isinstance(payload, dict) and payload.get("nip") in names:
        payload = {**payload, "nip": names[payload["nip"]]}
    auth = bearer(client, roster[who])
    head = log_head(client)
    r = client.post(
        "/api/v1/checkins/manual", json=payload, headers={**auth, "Accept-Language": "id"}
    )
    assert (r.status_code, r.json["error"]) == (status, code), r.json
    assert r.json["message"]  # a sentence in Bahasa Indonesia for the page to show
    assert log_head(client) == head


BAD_WITNESS = [
    ({"pin": "123456", "kind": "in"}, 400, "nip-invalid"),
    ({"nip": "OWNER", "kind": "in"}, 400, "bad-request"),
    ({"nip": "OWNER", "pin": 123456, "kind": "in"}, 400, "bad-request"),
    ({"nip": "SELF", "pin": "123456", "kind": "in"}, 400, "witness-self"),
    ({"nip": "OWNER", "pin": "PIN", "kind": "sideways"}, 400, "kind-invalid"),
    ({"nip": "OWNER", "pin": "PIN", "kind": "in", "reason": "lupa"}, 400, "bad-request"),
    (
        {"nip": "OWNER", "pin": "PIN", "kind": "in", "geo": {"lat": 1.5, "lon": 2}},
        400,
        "geo-invalid",
    ),
    ({"nip": "123", "pin": "123456", "kind": "in"}, 400, "nip-invalid"),
    ({"nip": "199001012015031999", "pin": "123456", "kind": "in"}, 401, "pin-wrong"),
    ("OWNER", 400, "bad-request"),
]


@pytest.mark.parametrize(("payload", "status", "code"), BAD_WITNESS)
def test_bad_witness_checkins_are_refused_and_nothing_is_stored(
    client, roster, payload, status, code
):
    colleague, owner = roster[12], roster[11]
    if isinstance(payload, dict):
        names = {"OWNER": owner["nip"], "SELF": colleague["nip"]}
        payload = {k: names.get(v, v) if k == "nip" else v for k, v in payload.items()}
        if payload.get("pin") == "PIN":
            payload["pin"] = owner["pin"]
    auth = bearer(client, colleague)
    head = log_head(client)
    r = client.post("/api/v1/checkins/witness", json=payload, headers=auth)
    assert (r.status_code, r.json["error"]) == (status, code), r.json
    assert log_head(client) == head


def test_bad_witness_fields_cost_no_pin_try(client, roster, app):
    """A request refused for its shape never reaches the PIN check, so it locks no one out."""
    colleague, owner = roster[12], roster[11]
    auth = bearer(client, colleague)
    for _ in range(app.config["PIN_MAX_FAILURES"] + 1):
        r = client.post(
            "/api/v1/checkins/witness",
            headers=auth,
            json={"nip": owner["nip"], "pin": "000000", "kind": "later"},
        )
        assert r.status_code == 400
    r = client.post("/api/v1/session", json={"nip": owner["nip"], "pin": owner["pin"]})
    assert r.status_code == 201


def test_unit_list_is_for_heads_only(client, roster, app):
    r = client.get("/api/v1/unit", headers=bearer(client, roster[MEMBER]))
    assert r.status_code == 403 and r.json["error"] == "head-only"
    assert app.test_client().get("/api/v1/unit").status_code == 401
