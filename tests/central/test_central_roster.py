"""The roster at central: CSV import with generated PINs, signed versions, the pull endpoint."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from flask.testing import FlaskClient

from central.datadir import CentralPaths
from central.identity import central_public_key
from central.store.sqlite import SqliteStore
from sync.demo_roster import make_roster, roster_csv
from sync.pins import verify_pin
from sync.rosterdoc import verify_roster_doc
from testkit.factories import run_cli

from .conftest import FakeNode


def _csv_with_blank_pins(tmp_path: Path, count: int = 6, blank: int = 2) -> tuple[Path, list]:
    people = make_roster(count)
    for person in people[:blank]:
        person["pin"] = ""
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv(people))
    return path, people


def test_import_generates_pins_on_slips_and_signs_a_version(
    client: FlaskClient,
    node: FakeNode,
    store: SqliteStore,
    central_paths: CentralPaths,
    tmp_path: Path,
) -> None:
    path, people = _csv_with_blank_pins(tmp_path)
    result = run_cli("central", "roster", "import", "--data", str(central_paths.root), str(path))
    assert "Roster version 1: 6 employees (2 new PINs generated" in result.stdout
    slips = tmp_path / "roster.slips.csv"
    assert slips.stat().st_mode & 0o077 == 0
    slip_rows = list(csv.DictReader(io.StringIO(slips.read_text())))
    assert [r["nip"] for r in slip_rows] == [p["nip"] for p in people[:2]]

    r = node.request(client, "GET", "/api/v1/roster")
    assert r.status_code == 200
    doc = verify_roster_doc(json.loads(r.get_data()), central_public_key(central_paths.cert))
    assert doc["version"] == 1 and doc["central"] == "central-batola"
    by_nip = {e["nip"]: e for e in doc["employees"]}
    for row in slip_rows:
        assert verify_pin(row["pin"], by_nip[row["nip"]]["pin_hash"])
    assert verify_pin(people[3]["pin"], by_nip[people[3]["nip"]]["pin_hash"])
    assert node.request(client, "GET", "/api/v1/roster?since=1").status_code == 304
    assert node.request(client, "GET", "/api/v1/roster?since=0").status_code == 200


def test_reimport_keeps_existing_pins_for_blank_cells(
    central_paths: CentralPaths, store: SqliteStore, tmp_path: Path
) -> None:
    path, people = _csv_with_blank_pins(tmp_path)
    run_cli("central", "roster", "import", "--data", str(central_paths.root), str(path))
    before = {e.nip: e.pin_hash for e in store.employees()}
    out = tmp_path / "second-slips.csv"
    result = run_cli(
        "central",
        "roster",
        "import",
        "--data",
        str(central_paths.root),
        str(path),
        "--slips",
        str(out),
    )
    assert "Roster version 2" in result.stdout and "2 kept their PIN" in result.stdout
    assert not out.exists()
    after = {e.nip: e.pin_hash for e in store.employees()}
    assert all(after[p["nip"]] == before[p["nip"]] for p in people[:2])


def test_bad_roster_file_lists_every_line_and_imports_nothing(
    central_paths: CentralPaths, store: SqliteStore, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "nip,name,unit,role,pin\n123,Ani,Seksi,staff,123456\n"
        "198501012010011001,Budi,Seksi,boss,123456\n"
    )
    result = run_cli(
        "central", "roster", "import", "--data", str(central_paths.root), str(path), check=False
    )
    assert result.returncode == 2
    assert "line 2:" in result.stderr and "line 3:" in result.stderr
    assert store.latest_roster() is None


def test_no_roster_yet(client: FlaskClient, node: FakeNode) -> None:
    r = node.request(client, "GET", "/api/v1/roster")
    assert r.status_code == 404 and r.get_json()["error"] == "no-roster"
    assert node.request(client, "GET", "/api/v1/roster?since=0").status_code == 304
