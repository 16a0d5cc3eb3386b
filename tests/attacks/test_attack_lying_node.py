"""Issue 13 item 4, reproduced as it was found: an enrolled node signs check-ins for another
office's employees, a ``manual`` record vouched for by another unit's head, ``method:
"teleport"`` and a spreadsheet formula as NIP, and asks for the roster. Central keeps every
signed record as evidence, counts none of them, alerts on each kind, and the node's roster
holds only its own office (with only its own PIN hashes)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central.datadir import CentralPaths
from central.store.sqlite import SqliteStore
from sync.demo_roster import make_roster
from sync.timefmt import wita_day
from testkit.factories import run_cli
from tests.central.conftest import Clock, FakeNode

pytestmark = pytest.mark.faults


def test_a_node_vouching_for_anyone(
    central_client: FlaskClient,
    central_store: SqliteStore,
    central_paths: CentralPaths,
    central_clock: Clock,
    fake_node: FakeNode,
    viewer_token: str,
    tmp_path: Path,
) -> None:
    people = make_roster(12)  # units 0..8 have their head at index 0..8; 9..11 are staff
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["nip", "name", "unit", "role", "pin", "node"])
    for index, p in enumerate(people):
        node = "kec-alalak" if index in (0, 1, 9) else "kec-cerbon"
        writer.writerow([p["nip"], p["name"], p["unit"], p["role"], p["pin"], node])
    (tmp_path / "roster.csv").write_text(out.getvalue())
    run_cli(
        "central",
        "roster",
        "import",
        "--data",
        str(central_paths.root),
        str(tmp_path / "roster.csv"),
    )
    mine, other_office = people[9], people[10]  # people[9]: staff of people[0]'s unit

    r = fake_node.request(central_client, "GET", "/api/v1/roster")
    held = {e["nip"] for e in json.loads(r.get_data())["employees"]}
    assert held == {people[0]["nip"], people[1]["nip"], mine["nip"]}

    assert fake_node.push(central_client).status_code == 200
    lies = [
        fake_node.checkin(other_office["nip"]),  # another office's
        fake_node.checkin(
            mine["nip"], method="manual", witness=people[1]["nip"], reason="dititipkan"
        ),  # another unit's head
        fake_node.append(
            "checkin",
            {
                "nip": mine["nip"],
                "kind": "in",
                "method": "teleport",
                "device": "dev-12345678",
                "client_ts": None,
            },
        ),
        fake_node.checkin('=HYPERLINK("http://evil.example","x")'),  # a formula as NIP
    ]
    central_clock.advance(1)
    assert fake_node.push(central_client, 1).status_code == 200

    held_records = {r.seq for r in central_store.records_of("kec-alalak")}
    assert {lie["seq"] for lie in lies} <= held_records  # evidence is kept
    day = central_client.get(
        "/api/v1/attendance",
        query_string={"date": wita_day(lies[0]["ts"])},
        headers={"Authorization": f"Bearer {viewer_token}"},
    ).get_json()
    refs = {ref["seq"]: ref for row in day["employees"] for ref in row["records"]}
    assert [refs[lie["seq"]]["status"] for lie in lies] == [
        "foreign-node",
        "invalid-body",
        "invalid-body",
        "invalid-body",
    ]
    assert not any(refs[lie["seq"]]["counted"] for lie in lies)
    kinds = {a.kind for a in central_store.alerts("kec-alalak", 50)}
    assert {"foreign-node", "invalid-body"} <= kinds
