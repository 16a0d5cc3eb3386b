"""Events: the ceremony in the Bupati's office yard. 300 staff of 5 offices check in at one
node: inside the declared window all count and none is flagged; the same check-ins outside it
are ``foreign-node``. The node's roster holds them from the day before until the window ends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from central.datadir import CentralPaths
from central.events import EventError, add_event
from central.store.rows import Employee
from central.store.sqlite import SqliteStore
from testkit.factories import run_cli

from .conftest import Clock, FakeNode, enroll
from .trustkit import at, install, person

DAY = "2026-10-09"  # a Friday; the day before is 2026-10-08
OFFICES = ["kec-alalak", "kec-cerbon", "kec-tamban", "kec-belawang", "kec-wanaraya"]
UNITS = [f"Kantor Kecamatan {o[4:].title()}" for o in OFFICES]


@pytest.fixture
def regency(app: Flask, clock: Clock) -> dict[str, list[Employee]]:
    """10 staff served by kab-setda, 60 by each of the five kecamatan offices."""
    clock.now = at("2026-10-06", "10:00")
    staff = {"kab-setda": [person(i, "Sekretariat Daerah", "kab-setda") for i in range(10)]}
    for n, (office, unit) in enumerate(zip(OFFICES, UNITS, strict=True)):
        staff[office] = [
            person(100 + 60 * n + i, unit, office, "head" if i == 0 else "staff") for i in range(60)
        ]
    install(app, [e for people in staff.values() for e in people], clock.now)
    return staff


class Setda:
    """kab-setda, an honest-looking node: pushes, then anchors each receipt."""

    def __init__(self, client: FlaskClient, node: FakeNode) -> None:
        self.client, self.node, self.sent = client, node, 0

    def sync(self) -> dict[str, Any]:
        r = self.node.push(self.client, self.sent)
        assert r.status_code == 200, r.get_data(as_text=True)
        self.sent = len(self.node.records)
        self.node.anchor(r.get_json()["receipt"])
        return r.get_json()

    def roster(self, since: int) -> dict[str, Any] | None:
        r = self.node.request(self.client, "GET", f"/api/v1/roster?since={since}")
        assert r.status_code in (200, 304), r.get_data(as_text=True)
        return json.loads(r.get_data()) if r.status_code == 200 else None


def _declare(paths: CentralPaths) -> str:
    args = [
        "central",
        "event",
        "add",
        "--data",
        str(paths.root),
        "--node",
        "kab-setda",
        "--date",
        DAY,
        "--from",
        "07:00",
        "--to",
        "09:00",
        "--reason",
        "Upacara Hari Jadi Kabupaten Barito Kuala",
        "--by",
        "Kabag Umum Setda",
    ]
    for unit in UNITS:
        args += ["--unit", unit]
    return run_cli(*args).stdout


def test_a_ceremony_of_300_staff_from_5_offices(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    central_paths: CentralPaths,
    regency: dict[str, list[Employee]],
    viewer_token: str,
) -> None:
    setda = Setda(client, enroll(client, store, clock, "kab-setda"))
    setda.sync()
    first = setda.roster(0)
    assert first is not None and len(first["employees"]) == 10
    assert "Event 1 at kab-setda" in _declare(central_paths)
    listed = run_cli("central", "event", "list", "--data", str(central_paths.root)).stdout
    assert listed.startswith(f"1\tkab-setda\t{DAY}\t") and "Kantor Kecamatan Alalak" in listed

    # Two days before: nothing changes for the node yet.
    clock.now = at("2026-10-07", "12:00")
    assert setda.sync()["roster_version"] == first["version"]
    assert setda.roster(first["version"]) is None
    # From 00:00 WITA the day before, the node's roster holds the attending units.
    clock.now = at("2026-10-08", "00:05")
    announced = setda.sync()["roster_version"]
    opened = setda.roster(first["version"])
    assert opened is not None and opened["version"] == announced > first["version"]
    assert len(opened["employees"]) == 310
    visitors = [e for office in OFFICES for e in regency[office]]

    # Before the window (06:30) the same check-ins are the node vouching for other offices.
    alerts_before = [a.message for a in store.alerts("kab-setda", 100) if a.kind == "foreign-node"]
    assert alerts_before == []
    for i, emp in enumerate(visitors):
        setda.node.checkin(emp.nip, ts=at(DAY, "06:30", i % 60))
    clock.now = at(DAY, "06:45")
    setda.sync()
    early = [a.message for a in store.alerts("kab-setda", 100) if a.kind == "foreign-node"]
    assert len(early) == 1 and early[0].startswith("300 check-in(s)")
    # Inside the window, 07:00-09:00: they count like the node's own staff.
    for i, emp in enumerate(visitors):
        setda.node.checkin(emp.nip, ts=at(DAY, "07:10", i % 60) + 60 * (i % 40))
    clock.now = at(DAY, "08:55")
    setda.sync()
    assert [
        a.message for a in store.alerts("kab-setda", 100) if a.kind == "foreign-node"
    ] == early  # no new alert

    rows = {
        r["nip"]: r
        for r in client.get(
            f"/api/v1/attendance?date={DAY}", headers={"Authorization": f"Bearer {viewer_token}"}
        ).get_json()["employees"]
    }
    counted = flagged = 0
    for emp in visitors:
        row = rows[emp.nip]
        outside, inside = row["records"]
        assert (outside["status"], outside["counted"]) == ("foreign-node", False)
        assert (inside["status"], inside["counted"]) == ("ok", True)
        assert row["first_in"] == inside["ts"] and row["status"] == "ok"
        counted += inside["counted"]
        flagged += outside["status"] == "foreign-node"
    assert (counted, flagged) == (300, 300)

    # After the window the visitors leave the node's roster again.
    clock.now = at(DAY, "09:30")
    closed = setda.roster(opened["version"])
    assert closed is not None and len(closed["employees"]) == 10


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"node": "Kab Setda"}, "node must be a node id"),
        ({"day": "9/10/2026"}, "date must be YYYY-MM-DD"),
        ({"start": "7:00"}, "from must be HH:MM"),
        ({"end": "24:00"}, "to must be HH:MM"),
        ({"end": "06:59"}, "must end after it starts"),
        ({"units": []}, "at least one attending unit"),
        ({"units": ["Kantor Kecamatan Atlantis"]}, "not a unit of the roster"),
        ({"reason": "x"}, "reason must be"),
        ({"by": ""}, "say who declares"),
    ],
)
def test_bad_events_are_refused(
    change: dict[str, Any],
    problem: str,
    store: SqliteStore,
    clock: Clock,
    regency: dict[str, list[Employee]],
) -> None:
    args: dict[str, Any] = {
        "node": "kab-setda",
        "day": DAY,
        "start": "07:00",
        "end": "09:00",
        "units": UNITS[:2],
        "reason": "Upacara",
        "by": "Kabag Umum",
    }
    args.update(change)
    with pytest.raises(EventError, match=problem):
        add_event(store, now=clock.now, **args)
    assert store.events() == []
