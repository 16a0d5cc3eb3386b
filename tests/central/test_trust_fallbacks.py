"""Witnessing at scale is visible at central: per node and day, the witness and manual
check-ins in ``GET /api/v1/nodes`` and on the dashboard, and one alert when they pass
``FALLBACK_ALERT_PER_DAY``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from central import create_app
from central.auth import create_api_token
from central.datadir import CentralPaths

from .conftest import Clock, FakeNode, enroll
from .officials import make_official, sign_in
from .trustkit import at, install, nip, person

DAY = "2026-10-08"
UNIT = "Seksi Pemerintahan"


@pytest.fixture
def central(central_paths: CentralPaths, clock: Clock) -> Iterator[Flask]:
    app = create_app(
        {
            "DATA_DIR": str(central_paths.root),
            "TESTING": True,
            "CLOCK": clock,
            "FALLBACK_ALERT_PER_DAY": 4,
        }
    )
    clock.now = at(DAY, "06:00")
    install(
        app,
        [person(0, UNIT, "kec-alalak", "head")]
        + [person(i, UNIT, "kec-alalak") for i in range(1, 12)]
        + [person(50, UNIT, "kec-cerbon", "head")],
        clock.now,
    )
    yield app
    app.extensions["presensi_central"].close()


def _nodes(client: FlaskClient, token: str) -> dict[str, dict]:
    r = client.get("/api/v1/nodes", headers={"Authorization": f"Bearer {token}"})
    return {n["node"]: n for n in r.get_json()["nodes"]}


def test_daily_witness_and_manual_counts_and_the_alert(central: Flask, clock: Clock) -> None:
    client = central.test_client()
    store = central.extensions["presensi_central"].store
    token = create_api_token(store, "viewer", now=clock.now)
    node: FakeNode = enroll(client, store, clock, "kec-alalak")
    enroll(client, store, clock, "kec-cerbon")
    node.anchor(node.push(client).get_json()["receipt"])
    sent = len(node.records) - 1
    for i in (1, 2):
        node.checkin(nip(i), ts=at(DAY, "07:10"), method="witness", witness=nip(i + 5))
    for i in (3, 4, 5):
        node.checkin(
            nip(i),
            ts=at(DAY, "07:15"),
            method="manual",
            witness=nip(0),
            reason="HP tertinggal di rumah",
        )
    node.checkin(nip(6), ts=at(DAY, "07:16"))
    clock.now = at(DAY, "07:20")
    assert node.push(client, sent).status_code == 200

    nodes = _nodes(client, token)
    assert nodes["kec-alalak"]["fallbacks"] == {
        "day": DAY,
        "witness": 2,
        "manual": 3,
        "threshold": 4,
        "over": True,
    }
    assert nodes["kec-cerbon"]["fallbacks"]["witness"] == 0
    assert not nodes["kec-cerbon"]["fallbacks"]["over"]
    (alert,) = [a for a in store.alerts("kec-alalak") if a.kind == "fallback-volume"]
    assert DAY in alert.message
    # More the same day: still one alert (it is open until an official looks).
    sent = len(node.records)
    node.checkin(nip(7), ts=at(DAY, "07:25"), method="witness", witness=nip(8))
    clock.now = at(DAY, "07:30")
    assert node.push(client, sent).status_code == 200
    assert len([a for a in store.alerts("kec-alalak", 50) if a.kind == "fallback-volume"]) == 1
    assert _nodes(client, token)["kec-alalak"]["fallbacks"]["witness"] == 3

    make_official(store, "budi.bkpsdm", "viewer", clock.now)
    assert sign_in(client, "budi.bkpsdm").status_code == 303
    page = client.get(f"/dashboard?date={DAY}").get_data(as_text=True)
    assert "Lewat rekan / manual tanggal ini" in page
    assert "3 / 3" in page and "di atas batas 4" in page


def test_below_the_threshold_there_is_no_alert(central: Flask, clock: Clock) -> None:
    client = central.test_client()
    store = central.extensions["presensi_central"].store
    node = enroll(client, store, clock, "kec-alalak")
    node.anchor(node.push(client).get_json()["receipt"])
    for i in (1, 2, 3, 4):
        node.checkin(nip(i), ts=at(DAY, "07:10"), method="witness", witness=nip(9))
    clock.now = at(DAY, "07:20")
    assert node.push(client, 1).status_code == 200
    assert not [a for a in store.alerts("kec-alalak") if a.kind == "fallback-volume"]
