"""``presence`` holds a kiosk code or nothing, and a kiosk record names its code's window."""

from __future__ import annotations

import json
import time

import pytest

from local_node.kiosk import WINDOW_S
from testkit.factories import bearer, log_head, run_cli


@pytest.fixture
def kiosk_app(app, node_paths):
    run_cli(
        "local_node", "kiosk", "--data", str(node_paths.root), "--url", "http://192.168.1.10:8080"
    )
    return app


@pytest.mark.parametrize(
    "presence",
    [
        "wifi:kantor",
        "Kantor Camat Alalak",
        "x",
        "KIOSK:ABCDEFGH",
        " kiosk:ABCDEFGH",
        "kiosk",
        "http://192.168.1.10:8080/?kiosk=ABCDEFGH",
        '=HYPERLINK("http://x")',
    ],
)
@pytest.mark.parametrize("route", ["/api/v1/checkins", "/api/v1/checkins/witness"])
def test_presence_other_than_a_kiosk_code_is_refused_unstored(
    kiosk_app, client, roster, presence, route
):
    auth = bearer(client, roster[0])
    payload = {"kind": "in", "presence": presence}
    if route.endswith("witness"):
        payload |= {"nip": roster[1]["nip"], "pin": roster[1]["pin"]}
    head = log_head(client)
    checks = kiosk_app.extensions["presensi_node"].metrics.snapshot().get("pin_checks", 0)
    r = client.post(route, headers=auth, json=payload)
    assert (r.status_code, r.json["error"]) == (400, "presence-invalid"), r.json
    assert r.json["message"] == "Data kehadiran tidak valid."
    assert log_head(client) == head
    # Refused before the PIN check: a bad request costs the colleague no PIN try.
    assert kiosk_app.extensions["presensi_node"].metrics.snapshot().get("pin_checks", 0) == checks


def test_a_witness_checkin_with_the_office_code_names_its_window(kiosk_app, client, roster):
    svc = kiosk_app.extensions["presensi_node"]
    now = time.time()
    code = svc.kiosk.code_at(now - WINDOW_S)  # the previous window's code, still accepted
    r = client.post(
        "/api/v1/checkins/witness",
        headers=bearer(client, roster[0]),
        json={
            "nip": roster[1]["nip"],
            "pin": roster[1]["pin"],
            "kind": "in",
            "presence": f"kiosk:{code}",
        },
    )
    assert r.status_code == 201, r.json
    body = json.loads(r.data)["body"]
    assert body["method"] == "witness" and body["presence"] == f"kiosk:{code}"
    start = (now - WINDOW_S) // WINDOW_S * WINDOW_S
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    assert body["presence_window"] == {
        "from": time.strftime(fmt, time.gmtime(start)),
        "to": time.strftime(fmt, time.gmtime(start + WINDOW_S)),
    }


def test_no_presence_is_an_ordinary_app_checkin_without_a_window(kiosk_app, client, roster):
    r = client.post("/api/v1/checkins", headers=bearer(client, roster[2]), json={"kind": "in"})
    body = json.loads(r.data)["body"]
    assert body["method"] == "app" and "presence" not in body and "presence_window" not in body
