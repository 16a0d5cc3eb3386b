"""A roster change ends sessions at once, through the real roster pull from central.

Central imports a new roster without one employee and with a new PIN for another; the node
pulls it (``presensi-node sync`` in a process of its own, or the serving process's own push
job). From then on neither employee's old token is accepted by the serving process, whose
session cache held both; everyone else's sessions keep working.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import requests

from testkit.factories import CentralSetup, NodeProcess, run_cli, sign_in
from tests.e2e.conftest import Staff, check_in, sign_in_all, wait_for


def _reimport(central: CentralSetup, tmp_path: Path, gone: str, new_pin: tuple[str, str]) -> None:
    """``presensi-central roster import`` of everyone but ``gone``, with ``new_pin`` (nip,
    pin); an empty PIN keeps an employee's PIN (and its hash) as it is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["nip", "name", "unit", "role", "pin"])
    for p in central.people:
        if p["nip"] != gone:
            pin = new_pin[1] if p["nip"] == new_pin[0] else ""
            writer.writerow([p["nip"], p["name"], p["unit"], p["role"], pin])
    path = tmp_path / "roster-v2.csv"
    path.write_text(out.getvalue())
    run_cli("central", "roster", "import", "--data", str(central.data), str(path))


def _status(url: str, staff: Staff) -> int:
    r = requests.post(
        url + "/api/v1/checkins",
        json={"kind": "in"},
        timeout=10,
        headers={"Authorization": f"Bearer {staff.token}"},
    )
    return r.status_code


def _changed_pin(pin: str) -> str:
    return f"{(int(pin) + 1) % 10**6:06d}"


@pytest.mark.parametrize("puller", ["cli", "server"])
def test_removed_or_repinned_employee_loses_every_session(
    puller: str, node_paths, central_setup: CentralSetup, tmp_path: Path
) -> None:
    node = NodeProcess(node_paths, scheduler=(puller == "server")).start()
    try:
        people = central_setup.people[:4]
        staff = sign_in_all(node.url, people)
        # A second session (another phone) of the employee whose PIN changes.
        staff.append(Staff(people[1]["nip"], sign_in(node.url, people[1]["nip"], people[1]["pin"])))
        for s in staff:  # every token is in the serving process's cache now
            check_in(node.url, s)
        gone, repinned, kept = staff[0], staff[1], staff[2:4]
        new_pin = _changed_pin(people[1]["pin"])
        _reimport(central_setup, tmp_path, gone.nip, (repinned.nip, new_pin))
        if puller == "cli":
            run_cli("local_node", "sync", "--data", str(node_paths.root))
            statuses = [_status(node.url, s) for s in staff]
        else:  # the serving process's push job pulls the roster central announces
            check_in(node.url, kept[0], "out")  # wakes the pusher
            statuses = wait_for(
                lambda: (lambda got: got if got[0] == 401 else None)(
                    [_status(node.url, s) for s in staff]
                ),
                60,
                "the server to pull the new roster",
            )
        assert statuses[0] == 401 and statuses[1] == 401 and statuses[4] == 401, statuses
        assert statuses[2] == 201 and statuses[3] == 201, statuses
        r = requests.get(
            node.url + "/api/v1/checkins/today",
            timeout=10,
            headers={"Authorization": f"Bearer {repinned.token}"},
        )
        assert r.status_code == 401
        # The new PIN works; the old one and the removed employee do not.
        assert (
            requests.post(
                node.url + "/api/v1/session", timeout=30, json={"nip": repinned.nip, "pin": new_pin}
            ).status_code
            == 201
        )
        assert (
            requests.post(
                node.url + "/api/v1/session",
                timeout=30,
                json={"nip": repinned.nip, "pin": people[1]["pin"]},
            ).status_code
            == 401
        )
        assert (
            requests.post(
                node.url + "/api/v1/session",
                timeout=30,
                json={"nip": gone.nip, "pin": people[0]["pin"]},
            ).status_code
            == 401
        )
    finally:
        node.kill()
