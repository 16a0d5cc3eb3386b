"""Session fixation and session lifetime on the node."""

from __future__ import annotations

import pytest

from local_node.web import SESSION_COOKIE

pytestmark = pytest.mark.faults

PLANTED = "attacker-chosen-session-value-0123456789"


def _cookie(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def test_planted_cookie_is_never_a_session(client, roster):
    client.set_cookie(SESSION_COOKIE, PLANTED)
    assert client.get("/api/v1/me").status_code == 401
    person = roster[0]
    r = client.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]})
    assert r.status_code == 201
    issued = r.json["token"]
    assert issued != PLANTED
    assert _cookie(client, SESSION_COOKIE) == issued
    # The attacker's copy of the value they planted is worth nothing after the victim signs in.
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {PLANTED}"}).status_code == 401
    )


def test_sign_in_always_issues_a_new_token_even_when_already_signed_in(client, roster):
    person = roster[1]
    first = client.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]})
    second = client.post(
        "/api/v1/session",
        json={"nip": person["nip"], "pin": person["pin"]},
        headers={"Authorization": f"Bearer {first.json['token']}"},
    )
    assert second.json["token"] != first.json["token"]
    assert second.json["csrf"] != first.json["csrf"]


def test_sign_out_kills_the_token_on_the_server(client, roster):
    person = roster[2]
    token = client.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]}).json[
        "token"
    ]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/session", headers=bearer).status_code == 200
    # A stolen copy of the token (or the cookie) no longer works anywhere.
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert client.post("/api/v1/checkins", json={"kind": "in"}, headers=bearer).status_code == 401


def test_session_cookie_flags(client, roster):
    person = roster[3]
    r = client.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]})
    header = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in header and "SameSite=Strict" in header
    https = client.post(
        "/api/v1/session",
        json={"nip": person["nip"], "pin": person["pin"]},
        base_url="https://localhost",
    )
    header = next(h for h in https.headers.getlist("Set-Cookie") if h.startswith(SESSION_COOKIE))
    assert "Secure" in header
