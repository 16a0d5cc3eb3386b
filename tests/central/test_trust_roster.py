"""Each node gets only its own employees (and only their PIN hashes) when the roster CSV has
the ``node`` column; the five-column form keeps giving every node everyone."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central.datadir import CentralPaths
from central.identity import central_public_key
from central.store.sqlite import SqliteStore
from sync.demo_roster import make_roster
from sync.errors import RosterFileError
from sync.rostercsv import parse_roster_csv
from sync.rosterdoc import verify_roster_doc
from testkit.factories import run_cli

from .conftest import Clock, FakeNode, body_json, enroll


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue())


def _six_column(tmp_path: Path, moved: str | None = None) -> tuple[Path, dict[str, list[str]]]:
    """Nine employees over three nodes; ``moved``: that NIP served by kec-alalak instead."""
    homes: dict[str, list[str]] = {"kec-alalak": [], "kec-cerbon": [], "kec-tamban": []}
    rows = []
    for index, p in enumerate(make_roster(9)):
        home = "kec-alalak" if p["nip"] == moved else list(homes)[index % 3]
        homes[home].append(p["nip"])
        rows.append([p["nip"], p["name"], p["unit"], p["role"], p["pin"], home])
    path = tmp_path / "roster6.csv"
    _write(path, ["nip", "name", "unit", "role", "pin", "node"], rows)
    return path, homes


def _pull(
    client: FlaskClient, node: FakeNode, paths: CentralPaths, since: int | None = None
) -> dict:
    r = node.request(client, "GET", "/api/v1/roster" + (f"?since={since}" if since else ""))
    assert r.status_code == 200, r.get_data(as_text=True)
    return verify_roster_doc(json.loads(r.get_data()), central_public_key(paths.cert))


def test_a_node_gets_only_its_own_employees(
    client: FlaskClient,
    node: FakeNode,
    store: SqliteStore,
    central_paths: CentralPaths,
    clock: Clock,
    tmp_path: Path,
) -> None:
    path, homes = _six_column(tmp_path)
    out = run_cli("central", "roster", "import", "--data", str(central_paths.root), str(path))
    assert "Roster version 1: 9 employees" in out.stdout
    cerbon = enroll(client, store, clock, "kec-cerbon")
    alalak_doc = _pull(client, node, central_paths)
    cerbon_doc = _pull(client, cerbon, central_paths)
    assert sorted(e["nip"] for e in alalak_doc["employees"]) == sorted(homes["kec-alalak"])
    assert sorted(e["nip"] for e in cerbon_doc["employees"]) == sorted(homes["kec-cerbon"])
    assert alalak_doc["version"] != cerbon_doc["version"]  # versions are shared, each grows
    # The same content is not re-issued: the node asking again gets 304.
    again = node.request(client, "GET", f"/api/v1/roster?since={alalak_doc['version']}")
    assert again.status_code == 304
    # The batch answer announces the node's own version, so the node does not pull in vain.
    assert body_json(node.push(client))["roster_version"] == alalak_doc["version"]

    # A re-import (a move to another office) gives the node a newer, different document.
    moved_nip = homes["kec-cerbon"][0]
    path, _ = _six_column(tmp_path, moved=moved_nip)
    run_cli(
        "central",
        "roster",
        "import",
        "--data",
        str(central_paths.root),
        str(path),
        "--slips",
        str(tmp_path / "s2.csv"),
    )
    announced = body_json(node.push(client))["roster_version"]
    newer = _pull(client, node, central_paths, since=alalak_doc["version"])
    assert newer["version"] == announced > alalak_doc["version"]
    assert moved_nip in {e["nip"] for e in newer["employees"]}
    assert moved_nip not in {e["nip"] for e in _pull(client, cerbon, central_paths)["employees"]}


def test_five_columns_give_every_node_everyone(
    client: FlaskClient, node: FakeNode, central_paths: CentralPaths, tmp_path: Path
) -> None:
    path = tmp_path / "roster5.csv"
    _write(
        path,
        ["nip", "name", "unit", "role", "pin"],
        [[p["nip"], p["name"], p["unit"], p["role"], p["pin"]] for p in make_roster(5)],
    )
    run_cli("central", "roster", "import", "--data", str(central_paths.root), str(path))
    doc = _pull(client, node, central_paths)
    assert len(doc["employees"]) == 5 and doc["version"] == 1


def test_a_node_with_no_employees_gets_no_roster(
    client: FlaskClient,
    node: FakeNode,
    store: SqliteStore,
    clock: Clock,
    central_paths: CentralPaths,
    tmp_path: Path,
) -> None:
    path, _ = _six_column(tmp_path)
    run_cli("central", "roster", "import", "--data", str(central_paths.root), str(path))
    other = enroll(client, store, clock, "kec-jejangkit")
    r = other.request(client, "GET", "/api/v1/roster")
    assert r.status_code == 404 and r.get_json()["error"] == "no-roster"
    assert body_json(other.push(client))["roster_version"] == 0


GOOD = "nip,name,unit,role,pin,node\n198501012010011001,Ani,Seksi,staff,123456,kec-alalak\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD.replace(",kec-alalak", ","), "node must be the id"),
        (GOOD.replace(",kec-alalak", ",Kec Alalak"), "node must be the id"),
        (GOOD.replace(",kec-alalak", ",k"), "node must be the id"),
        (GOOD.replace(",kec-alalak", ""), "expected 6 columns, found 5"),
        (GOOD.replace("pin,node", "pin,kantor"), "unknown column(s) kantor"),
    ],
)
def test_bad_node_column_is_refused_whole(text: str, problem: str) -> None:
    with pytest.raises(RosterFileError) as caught:
        parse_roster_csv(text.encode(), allow_empty_pin=True)
    assert problem in str(caught.value)


def test_six_columns_parse() -> None:
    (row,) = parse_roster_csv(GOOD.encode())
    assert row.node == "kec-alalak"
    (row,) = parse_roster_csv(b"nip,name,unit,role,pin\n198501012010011001,Ani,S,staff,123456\n")
    assert row.node == ""
