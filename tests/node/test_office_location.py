"""The office's location and radius (issue 18, item 9): a check-in whose ``geo`` lies outside
is recorded with its distance and marked, never refused; central lists the distance."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from central.reports import _vouching
from local_node import create_app
from local_node.datadir import NodePaths
from local_node.office_location import distance_m
from testkit.factories import REPO, bearer

PASSWORD = "kantor-alalak-2026"
OFFICE = ("-2.9987", "114.7534")
# About 100 m and 500 m north of the office (1 degree of latitude is about 111.2 km).
EDGE = ("-2.99780", "114.7534")
FAR = ("-2.99420", "114.7534")


@pytest.fixture
def located(
    node_paths: NodePaths, roster: list[dict[str, str]]
) -> Iterator[tuple[Flask, FlaskClient, int]]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "local_node",
            "admin",
            "set-password",
            "--data",
            str(node_paths.root),
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        text=True,
        capture_output=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    app = create_app({"DATA_DIR": str(node_paths.root), "TESTING": True})
    admin = app.test_client()
    admin.post("/admin/masuk", data={"password": PASSWORD})
    radius = distance_m(*OFFICE, *EDGE)  # the edge point lies exactly on the radius
    r = admin.post(
        "/admin/lokasi",
        data={"lat": OFFICE[0], "lon": OFFICE[1], "radius": str(radius), "csrf": csrf(admin)},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "Lokasi kantor disimpan" in r.get_data(as_text=True)
    yield app, admin, radius
    app.extensions["presensi_node"].close()


def csrf(client: FlaskClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin").get_data(as_text=True))
    assert found
    return found.group(1)


@pytest.mark.parametrize(
    "where, outside",
    [(OFFICE, False), (EDGE, False), (FAR, True)],
    ids=["inside", "edge", "outside"],
)
def test_checkin_geo_gets_its_distance_and_is_still_recorded(
    located: tuple[Flask, FlaskClient, int],
    roster: list[dict[str, str]],
    where: tuple[str, str],
    outside: bool,
) -> None:
    app, _, radius = located
    client = app.test_client()
    r = client.post(
        "/api/v1/checkins",
        headers=bearer(client, roster[0]),
        json={"kind": "in", "geo": {"lat": where[0], "lon": where[1], "acc_m": "12"}},
    )
    assert r.status_code == 201 and r.json is not None
    body = r.json["body"]
    assert body["geo_outside"] is outside
    assert body["geo_distance_m"] == distance_m(*OFFICE, *where)
    assert (body["geo_distance_m"] <= radius) is not outside
    if where == FAR:
        assert 480 <= body["geo_distance_m"] <= 520


def test_without_geo_or_location_nothing_is_added(
    located: tuple[Flask, FlaskClient, int], roster: list[dict[str, str]]
) -> None:
    app, _, _ = located
    client = app.test_client()
    r = client.post("/api/v1/checkins", headers=bearer(client, roster[1]), json={"kind": "in"})
    assert r.json is not None
    body = r.json["body"]
    assert "geo_distance_m" not in body and "geo_outside" not in body


def test_setting_the_location_is_an_admin_record(located: tuple[Flask, FlaskClient, int]) -> None:
    app, _, radius = located
    rows = (
        app.extensions["presensi_node"]
        .store.conn()
        .execute("SELECT record FROM log WHERE type = 'admin' ORDER BY seq DESC LIMIT 1")
        .fetchall()
    )
    body = json.loads(rows[0][0])["body"]
    assert body == {
        "action": "office-location",
        "lat": OFFICE[0],
        "lon": OFFICE[1],
        "radius_m": radius,
        "by": "admin@127.0.0.1",
    }


@pytest.mark.parametrize(
    "form",
    [
        {"lat": "91", "lon": "114", "radius": "100"},
        {"lat": "-2.9", "lon": "abc", "radius": "100"},
        {"lat": "-2.9", "lon": "114", "radius": "5"},
        {"lat": "-2.9", "lon": "114", "radius": "1e9"},
        {"lat": "NaN", "lon": "114", "radius": "100"},
    ],
)
def test_bad_locations_are_refused(
    located: tuple[Flask, FlaskClient, int], form: dict[str, str]
) -> None:
    app, admin, _ = located
    store = app.extensions["presensi_node"].store
    before = store.head()
    r = admin.post("/admin/lokasi", data={**form, "csrf": csrf(admin)})
    assert r.status_code == 400 and "Lintang" in r.get_data(as_text=True)
    assert store.head() == before


def test_central_lists_the_distance() -> None:
    body: dict[str, Any] = {
        "nip": "1" * 18,
        "kind": "in",
        "method": "app",
        "geo_distance_m": 503,
        "geo_outside": True,
    }
    shown = _vouching(SimpleNamespace(record=json.dumps({"body": body})))  # type: ignore[arg-type]
    assert shown == {"method": "app", "geo_distance_m": 503, "geo_outside": True}
