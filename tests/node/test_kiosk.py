"""The office kiosk: a rotating code on the office screen that makes a check-in ``kiosk``."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime

import pytest

from local_node.kiosk import GRACE_WINDOWS, WINDOW_S, Kiosk
from sync.records import check_record
from testkit.factories import bearer, log_head, run_cli

URL_RE = re.compile(r"(http://[^\s#]+)/kiosk#t=([A-Za-z0-9_=-]+)")


def _set_up(node_paths, *extra: str) -> str:
    out = run_cli(
        "local_node",
        "kiosk",
        "--data",
        str(node_paths.root),
        "--url",
        "http://192.168.1.10:8080",
        *extra,
    ).stdout
    match = URL_RE.search(out)
    assert match and match.group(1) == "http://192.168.1.10:8080", out
    return match.group(2)


def test_without_setup_there_is_no_code_and_kiosk_presence_is_refused(client, roster):
    r = client.get("/api/v1/kiosk/code", headers={"Authorization": "Bearer x"})
    assert r.status_code == 409 and r.json["error"] == "kiosk-not-set-up"
    auth = bearer(client, roster[3])
    head = log_head(client)
    r = client.post(
        "/api/v1/checkins", headers=auth, json={"kind": "in", "presence": "kiosk:ABCDEFGH"}
    )
    assert r.status_code == 400 and r.json["error"] == "kiosk-code-invalid"
    assert log_head(client) == head


def test_screen_code_makes_a_kiosk_checkin(client, roster, app, node_paths):
    head = log_head(client)
    token = _set_up(node_paths)
    svc = app.extensions["presensi_node"]
    # Making the key is itself a signed admin record.
    rows = (
        svc.store.conn()
        .execute("SELECT record FROM log WHERE seq > ? ORDER BY seq", (head,))
        .fetchall()
    )
    assert [json.loads(r[0])["type"] for r in rows] == ["admin"]
    assert json.loads(rows[0][0])["body"]["action"] == "kiosk-key"

    screen = client.get(
        "/api/v1/kiosk/code",
        headers={"Authorization": f"Bearer {token}"},
        base_url="http://192.168.1.10:8080",
    )
    assert screen.status_code == 200
    code = screen.json["code"]
    assert re.fullmatch(r"[A-Z2-7]{8}", code)
    assert screen.json["url"] == f"http://192.168.1.10:8080/?kiosk={code}"
    svg = screen.json["qr_svg"]
    assert svg.startswith("data:image/svg+xml")
    assert 0 <= screen.json["expires_in"] <= WINDOW_S
    assert screen.headers["Cache-Control"] == "no-store"

    r = client.post(
        "/api/v1/checkins",
        headers=bearer(client, roster[4]),
        json={"kind": "in", "presence": f"kiosk:{code}"},
    )
    assert r.status_code == 201, r.json
    record = json.loads(r.data)
    check_record(record, svc.identity.cert.public_key())
    assert (record["body"]["method"], record["body"]["presence"]) == ("kiosk", f"kiosk:{code}")
    # The record names the window the screen showed the code in (how old it was when used).
    window = record["body"]["presence_window"]
    shown = datetime.fromisoformat(window["from"].replace("Z", "+00:00")).timestamp()
    assert (
        datetime.fromisoformat(window["to"].replace("Z", "+00:00")).timestamp() == shown + WINDOW_S
    )
    assert (
        shown
        <= datetime.fromisoformat(record["ts"].replace("Z", "+00:00")).timestamp()
        < shown + WINDOW_S * (GRACE_WINDOWS + 1)
    )
    assert svc.kiosk.code_at(shown) == code
    # Any other presence text is refused (issue 13 item 8: it used to be stored on an app record).
    r = client.post(
        "/api/v1/checkins",
        headers=bearer(client, roster[4]),
        json={"kind": "out", "presence": "wifi:kantor"},
    )
    assert (r.status_code, r.json["error"]) == (400, "presence-invalid")


def test_stale_foreign_and_malformed_codes_are_refused_unstored(client, roster, app, node_paths):
    _set_up(node_paths)
    svc = app.extensions["presensi_node"]
    now = time.time()
    oldest_ok = svc.kiosk.code_at(now - GRACE_WINDOWS * WINDOW_S)
    stale = svc.kiosk.code_at(now - (GRACE_WINDOWS + 2) * WINDOW_S)
    other_node = Kiosk(svc.store, "kec-lain").code_at(now)
    auth = bearer(client, roster[5])
    head = log_head(client)
    for code in (stale, other_node, "ABCDEFG", "abcdefgh", "ABCDEFG1", "", "A" * 300):
        presence = f"kiosk:{code}"[:200]
        r = client.post("/api/v1/checkins", headers=auth, json={"kind": "in", "presence": presence})
        assert (r.status_code, r.json["error"]) == (400, "kiosk-code-invalid"), code
    assert log_head(client) == head
    r = client.post(
        "/api/v1/checkins", headers=auth, json={"kind": "in", "presence": f"kiosk:{oldest_ok}"}
    )
    assert r.status_code == 201


def test_only_the_screen_gets_the_code_and_rotation_retires_screen_and_codes(
    client, roster, app, node_paths
):
    token = _set_up(node_paths)
    for bad in ("", "Bearer nope", f"Basic {token}", f"Bearer {token}x"):
        r = client.get("/api/v1/kiosk/code", headers={"Authorization": bad} if bad else {})
        assert r.status_code == 401 and r.json["error"] == "kiosk-token", bad
    # A staff session is not the screen's key either.
    staff = bearer(client, roster[6])
    assert client.get("/api/v1/kiosk/code", headers=staff).status_code == 401
    old_code = client.get("/api/v1/kiosk/code", headers={"Authorization": f"Bearer {token}"}).json[
        "code"
    ]
    assert _set_up(node_paths) == token  # asking again shows the same address
    new_token = _set_up(node_paths, "--rotate")
    assert new_token != token
    assert (
        client.get("/api/v1/kiosk/code", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    new_code = client.get(
        "/api/v1/kiosk/code", headers={"Authorization": f"Bearer {new_token}"}
    ).json["code"]
    r = client.post(
        "/api/v1/checkins", headers=staff, json={"kind": "in", "presence": f"kiosk:{old_code}"}
    )
    assert r.status_code == 400 and r.json["error"] == "kiosk-code-invalid"
    r = client.post(
        "/api/v1/checkins", headers=staff, json={"kind": "in", "presence": f"kiosk:{new_code}"}
    )
    assert r.status_code == 201


def test_witness_checkin_with_a_stale_code_costs_no_pin_try(client, roster, app, node_paths):
    _set_up(node_paths)
    svc = app.extensions["presensi_node"]
    colleague, owner = roster[7], roster[8]
    auth = bearer(client, colleague)
    stale = svc.kiosk.code_at(time.time() - 10 * WINDOW_S)
    for _ in range(app.config["PIN_MAX_FAILURES"] + 1):
        r = client.post(
            "/api/v1/checkins/witness",
            headers=auth,
            json={"nip": owner["nip"], "pin": "000000", "kind": "in", "presence": f"kiosk:{stale}"},
        )
        assert r.status_code == 400 and r.json["error"] == "kiosk-code-invalid"
    fresh = svc.kiosk.code_at(time.time())
    r = client.post(
        "/api/v1/checkins/witness",
        headers=auth,
        json={"nip": owner["nip"], "pin": owner["pin"], "kind": "in", "presence": f"kiosk:{fresh}"},
    )
    assert r.status_code == 201
    body = json.loads(r.data)["body"]
    assert (body["method"], body["presence"]) == ("witness", f"kiosk:{fresh}")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_kiosk_page_is_served_with_strict_headers(client, lang):
    r = client.get(f"/kiosk?lang={lang}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f'<html lang="{lang}">' in html
    assert "/static/kiosk.js?v=" in html and "<script>" not in html
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["Referrer-Policy"] == "no-referrer"
