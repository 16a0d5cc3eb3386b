"""A staff member's own sessions: the list and "end my other sessions" (API)."""

from __future__ import annotations

import pytest

from local_node.my_sessions import device_label
from testkit.factories import bearer

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"
)


def test_list_shows_only_my_sessions_and_which_is_this_one(client, roster):
    me, other = roster[0], roster[1]
    phone = bearer(client, me)
    second_phone = client.application.test_client()  # its own device cookie
    r = second_phone.post(
        "/api/v1/session",
        json={"nip": me["nip"], "pin": me["pin"]},
        headers={"User-Agent": ANDROID_CHROME},
    )
    assert r.status_code == 201
    bearer(client, other)
    client.post("/api/v1/checkins", json={"kind": "in"}, headers=phone)
    r = client.get("/api/v1/sessions", headers=phone)
    assert r.status_code == 200
    sessions = r.json["sessions"]
    assert len(sessions) == 2  # not the colleague's
    assert [s["current"] for s in sessions].count(True) == 1
    this = next(s for s in sessions if s["current"])
    assert this["last_used"] is not None and this["created"].endswith("Z")
    other_phone = next(s for s in sessions if not s["current"])
    assert other_phone["label"] == "Chrome · Android" and other_phone["last_used"] is None
    assert set(this) == {"device", "label", "created", "expires", "last_used", "current"}


def test_end_others_keeps_this_session_only(client, roster):
    me = roster[2]
    keep, lost, lent = bearer(client, me), bearer(client, me), bearer(client, me)
    colleague = bearer(client, roster[3])
    r = client.post("/api/v1/sessions/end-others", headers=keep)
    assert r.status_code == 200 and r.json == {"ended": 2}
    for gone in (lost, lent):
        assert client.post("/api/v1/checkins", json={"kind": "in"}, headers=gone).status_code == 401
    assert client.post("/api/v1/checkins", json={"kind": "in"}, headers=keep).status_code == 201
    assert (
        client.post("/api/v1/checkins", json={"kind": "in"}, headers=colleague).status_code == 201
    )
    assert len(client.get("/api/v1/sessions", headers=keep).json["sessions"]) == 1


def test_end_others_with_the_cookie_needs_the_csrf_header(client, roster):
    me = roster[4]
    csrf = client.post("/api/v1/session", json={"nip": me["nip"], "pin": me["pin"]}).json["csrf"]
    phone = bearer(client.application.test_client(), me)
    r = client.post("/api/v1/sessions/end-others")
    assert r.status_code == 403 and r.json["error"] == "csrf"
    assert client.get("/api/v1/sessions", headers=phone).status_code == 200
    r = client.post("/api/v1/sessions/end-others", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json["ended"] == 1


@pytest.mark.parametrize(
    "method,path", [("GET", "/api/v1/sessions"), ("POST", "/api/v1/sessions/end-others")]
)
def test_without_a_session_it_is_401(client, method, path):
    r = client.open(path, method=method, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json["error"] == "unauthorized"


@pytest.mark.parametrize(
    "ua,label",
    [
        (ANDROID_CHROME, "Chrome · Android"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Safari · iPhone",
        ),
        (
            "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/23.0 Chrome/115.0 Mobile Safari/537.36",
            "Samsung Internet · Android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox · Windows",
        ),
        ("curl/8.5.0", None),
        ("", None),
        (None, None),
    ],
)
def test_device_label(ua, label):
    assert device_label(ua) == label
