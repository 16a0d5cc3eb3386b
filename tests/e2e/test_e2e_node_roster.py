"""Real processes: a node gets only its own office's employees from central (six-column
roster), an event opens it to another office's unit, and the check-ins made there count."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
import requests

from sync.demo_roster import make_roster
from sync.timefmt import WITA
from testkit.factories import CentralProcess, CentralSetup, NodeProcess, enroll_node, run_cli
from tests.e2e.conftest import CentralView, Staff, check_in

pytestmark = pytest.mark.slow


def _sign_in(url: str, person: dict[str, str]) -> requests.Response:
    return requests.post(
        url + "/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]}, timeout=10
    )


def test_a_node_serves_its_own_office_and_an_event(tmp_path: Path) -> None:
    data = tmp_path / "central"
    run_cli("central", "init", "--data", str(data))
    people = make_roster(8)
    for index, person in enumerate(people):
        person["node"] = "kec-alalak" if index % 2 == 0 else "kec-cerbon"
        person["unit"] = "Kecamatan Alalak" if index % 2 == 0 else "Kecamatan Cerbon"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["nip", "name", "unit", "role", "pin", "node"])
    writer.writeheader()
    writer.writerows(people)
    (tmp_path / "roster.csv").write_text(out.getvalue())
    run_cli("central", "roster", "import", "--data", str(data), str(tmp_path / "roster.csv"))
    token = run_cli(
        "central", "token", "create", "--data", str(data), "--role", "viewer"
    ).stdout.strip()
    setup = CentralSetup(data, people, token)
    alalak, cerbon = people[0::2], people[1::2]
    central = CentralProcess(data, workers=1).start()
    try:
        paths = enroll_node(setup, central.url, tmp_path, "kec-alalak")  # syncs: roster pulled
        node = NodeProcess(paths, extra_env={"CENTRAL_URL": central.url}).start()
        try:
            assert _sign_in(node.url, alalak[1]).status_code == 201
            refused = _sign_in(node.url, cerbon[0])  # not this office's employee
            assert refused.status_code == 401
        finally:
            node.stop()

        today = datetime.now(WITA).strftime("%Y-%m-%d")
        run_cli(
            "central",
            "event",
            "add",
            "--data",
            str(data),
            "--node",
            "kec-alalak",
            "--date",
            today,
            "--from",
            "00:00",
            "--to",
            "23:59",
            "--unit",
            "Kecamatan Cerbon",
            "--reason",
            "Rapat koordinasi camat",
        )
        run_cli("local_node", "sync", "--data", str(paths.root))  # pulls the wider roster
        node = NodeProcess(paths, extra_env={"CENTRAL_URL": central.url}).start()
        try:
            signed = _sign_in(node.url, cerbon[0])
            assert signed.status_code == 201, signed.text
            record, _ = check_in(node.url, Staff(cerbon[0]["nip"], signed.json()["token"]))
        finally:
            node.stop()
        run_cli("local_node", "sync", "--data", str(paths.root))
        view = CentralView(central.url, token, data / "central.db")
        row = next(r for r in view.attendance(today) if r["nip"] == cerbon[0]["nip"])
        (ref,) = row["records"]
        assert ref["seq"] == record["seq"] and ref["node"] == "kec-alalak"
        assert ref["counted"] and ref["status"] in ("ok", "unanchored")
    finally:
        central.stop()
