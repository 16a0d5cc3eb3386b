"""A node that never anchors cannot backdate freely: once its log has had a working link for
longer than ``ANCHOR_GRACE_S`` (1 hour by default), check-ins with no anchor before them are
``anchor-missing``, not counted, alerted. ``REQUIRE_ANCHOR`` excludes every unanchored one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from central import create_app
from central.auth import create_api_token
from central.datadir import CentralPaths
from central.reports import ReportSettings, record_status
from central.store.sqlite import SqliteStore
from central.trust import TrustFacts

from .conftest import Clock, FakeNode, enroll
from .trustkit import at, install, nip, person

DAY = "2026-10-07"


def _app(paths: CentralPaths, clock: Clock, **config: object) -> Flask:
    return create_app({"DATA_DIR": str(paths.root), "TESTING": True, "CLOCK": clock, **config})


@pytest.fixture(params=[False, True], ids=["default", "require-anchor"])
def require_anchor(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def setup(
    central_paths: CentralPaths, clock: Clock, require_anchor: bool
) -> Iterator[tuple[Flask, FlaskClient, SqliteStore, FakeNode]]:
    app = _app(central_paths, clock, REQUIRE_ANCHOR=require_anchor)
    client = app.test_client()
    store = app.extensions["presensi_central"].store
    clock.now = at(DAY, "06:00")
    install(app, [person(i, "Seksi Pemerintahan", "kec-alalak") for i in range(4)], clock.now)
    node = enroll(client, store, clock, "kec-alalak")
    yield app, client, store, node
    app.extensions["presensi_central"].close()


def _statuses(client: FlaskClient, token: str) -> dict[str, list[tuple[str, bool]]]:
    rows = client.get(
        f"/api/v1/attendance?date={DAY}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()["employees"]
    return {r["nip"]: [(ref["status"], ref["counted"]) for ref in r["records"]] for r in rows}


def test_a_node_that_never_anchors(setup: tuple, clock: Clock, require_anchor: bool) -> None:
    _, client, store, node = setup
    token = create_api_token(store, "admin", now=clock.now)
    assert node.push(client).status_code == 200  # 06:00: the link works from here
    # In its first hour: the node's first records have no anchor yet; counted (marked
    # unanchored) unless REQUIRE_ANCHOR.
    node.checkin(nip(0), ts=at(DAY, "06:40"))
    clock.now = at(DAY, "06:41")
    assert node.push(client, 1).status_code == 200
    # Two hours on, still no anchor: a record claimed for 07:20 and pushed at 08:10, which it
    # could have signed at 08:09.
    node.checkin(nip(1), ts=at(DAY, "07:20"))
    clock.now = at(DAY, "08:10")
    assert node.push(client, 2).status_code == 200

    statuses = _statuses(client, token)
    assert statuses[nip(0)] == [("unanchored", not require_anchor)]
    assert statuses[nip(1)] == [("anchor-missing", False)]
    (alert,) = [a for a in store.alerts("kec-alalak") if a.kind == "anchor-missing"]
    assert "seq 2" in alert.message

    # An official who knows better (the node's link log, the employee's saved proof) accepts.
    ref = f"kec-alalak/{node.epoch}/2"
    r = client.post(
        "/api/v1/records/accept",
        headers={"Authorization": f"Bearer {token}"},
        json={"ref": ref, "by": "Camat Alalak", "reason": "bukti di HP pegawai"},
    )
    assert r.status_code == 201 and r.get_json()["status"] == "anchor-missing"
    assert _statuses(client, token)[nip(1)] == [("accepted", True)]
    # The first hour's unanchored record: acceptable only where REQUIRE_ANCHOR excludes it.
    r = client.post(
        "/api/v1/records/accept",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "ref": f"kec-alalak/{node.epoch}/1",
            "by": "Camat Alalak",
            "reason": "node baru, belum ada jangkar",
        },
    )
    if require_anchor:
        assert r.status_code == 201 and r.get_json()["status"] == "unanchored"
        assert _statuses(client, token)[nip(0)] == [("accepted", True)]
    else:
        assert r.status_code == 409 and r.get_json()["error"] == "not-acceptable"


def test_an_honest_node_that_anchors_is_counted(setup: tuple, clock: Clock) -> None:
    _, client, store, node = setup
    token = create_api_token(store, "viewer", now=clock.now)
    first = node.push(client)
    node.anchor(first.get_json()["receipt"])
    node.checkin(nip(2), ts=at(DAY, "07:20"))
    clock.now = at(DAY, "08:10")
    assert node.push(client, 1).status_code == 200
    assert _statuses(client, token)[nip(2)] == [("ok", True)]
    assert not [a for a in store.alerts("kec-alalak") if a.kind == "anchor-missing"]


def test_the_grace_is_configurable(central_paths: CentralPaths, clock: Clock) -> None:
    app = _app(central_paths, clock, ANCHOR_GRACE_S=600)
    try:
        client = app.test_client()
        store = app.extensions["presensi_central"].store
        clock.now = at(DAY, "06:00")
        install(app, [person(0, "Seksi Pemerintahan", "kec-alalak")], clock.now)
        node = enroll(client, store, clock, "kec-alalak")
        assert node.push(client).status_code == 200
        node.checkin(nip(0), ts=at(DAY, "06:20"))
        clock.now = at(DAY, "06:21")  # 21 minutes on: past a 10-minute grace
        assert node.push(client, 1).status_code == 200
        (rec,) = [r for r in store.records_of("kec-alalak") if r.type == "checkin"]
        facts = TrustFacts.load(store)
        assert record_status(rec, facts, ReportSettings(anchor_grace_s=600)) == (
            "anchor-missing",
            False,
        )
        assert record_status(rec, facts, ReportSettings()) == ("unanchored", True)
        assert record_status(rec, facts, ReportSettings(require_anchor=True)) == (
            "unanchored",
            False,
        )
    finally:
        app.extensions["presensi_central"].close()
