"""The recap's commands as real processes over a real central data directory, and the same
recap from a real ``presensi-central serve``; on SQLite and on PostgreSQL (one central per
backend for the module)."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook

from central.database import open_store
from central.datadir import CentralPaths
from testkit.factories import CentralProcess, CentralSetup, make_central, run_cli

from .conftest import BACKENDS

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "rules-example.toml"


@pytest.fixture(scope="module", params=BACKENDS)
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CentralSetup]:
    root = tmp_path_factory.mktemp("recap-cli")
    cluster, name = None, None
    if request.param == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        name = cluster.create_database()
    setup = make_central(root, people=10, database=cluster.url(name) if cluster else None)
    run_cli(
        "central",
        "rules",
        "import",
        "--data",
        str(setup.data),
        str(EXAMPLE),
        "--by",
        "Kabid Disiplin",
    )
    yield setup
    if cluster is not None:
        cluster.drop_database(name)


def cli(central: CentralSetup, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run_cli("central", *args, "--data", str(central.data), check=check)


def test_rules_list_and_duplicate_import(central: CentralSetup) -> None:
    out = cli(central, "rules", "list", "--json").stdout
    (row,) = json.loads(out)
    assert (row["id"], row["effective_from"], row["imported_by"]) == (
        "contoh-perbup-2026",
        "2026-01-01",
        "Kabid Disiplin",
    )
    again = run_cli(
        "central", "rules", "import", "--data", str(central.data), str(EXAMPLE), check=False
    )
    assert again.returncode == 2
    assert again.stderr.startswith("error: id: a rule version named 'contoh-perbup-2026'")
    assert len(again.stderr.strip().splitlines()) == 1


def test_exception_add_approve_and_recap(central: CentralSetup, tmp_path: Path) -> None:
    nip = central.people[0]["nip"]
    added = cli(
        central,
        "exception",
        "add",
        "--nip",
        nip,
        "--kind",
        "dinas_luar",
        "--from",
        "2026-10-05",
        "--to",
        "2026-10-09",
        "--reason",
        "bimtek Banjarmasin",
        "--by",
        "Operator",
    )
    new_id = added.stdout.strip().splitlines()[-1]
    assert new_id.isdigit()
    same = cli(central, "exception", "approve", "--id", new_id, "--by", "Operator", check=False)
    assert same.returncode == 2 and same.stderr.startswith("error: Operator proposed")
    cli(central, "exception", "approve", "--id", new_id, "--by", "Kabid")
    # Both steps are in the audit log under the officials named by --by (the refused
    # self-approval is not).
    store = open_store(CentralPaths(central.data))
    try:
        entries = [
            (e.actor, e.action, e.target)
            for e in store.audit_page(0, 50)[0]
            if e.target == f"exception {new_id}"
        ]
    finally:
        store.close()
    assert entries == [
        ("Kabid", "exception-approve", f"exception {new_id}"),
        ("Operator", "exception-add", f"exception {new_id}"),
    ]
    out = cli(central, "recap", "--month", "2026-10", "--nip", nip).stdout
    result = json.loads(out)
    (emp,) = result["employees"]
    assert emp["exception_days"] == {"dinas_luar": 5}
    assert emp["absent_days"] == 17 and emp["deduction"] == "51.00"
    assert emp["attendance_percent"] == "19.60"
    xlsx = tmp_path / "rekap.xlsx"
    cli(central, "recap", "--month", "2026-10", "--format", "xlsx", "--out", str(xlsx))
    book = load_workbook(xlsx)
    assert book.sheetnames[0] == "Ringkasan" and len(book.sheetnames) > 2
    csv_out = cli(central, "recap", "--month", "2026-10", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("nip,name,unit,working_days")
    assert len(csv_out.splitlines()) == 11
    year = json.loads(cli(central, "discipline", "--year", "2026", "--nip", nip).stdout)
    (d,) = year["employees"]
    assert (
        d["longest_absent_run"] >= 10
        and d["level"] == "pemberhentian dengan hormat tidak atas permintaan sendiri"
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (("recap", "--month", "2026-13"), "error: month must be YYYY-MM"),
        (("discipline", "--year", "26"), "error: year must be YYYY"),
        (
            (
                "exception",
                "add",
                "--nip",
                "1",
                "--kind",
                "cuti",
                "--from",
                "2026-10-01",
                "--to",
                "2026-10-01",
                "--reason",
                "cuti",
                "--by",
                "A",
            ),
            "error: nip must be 18 digits",
        ),
        (("exception", "approve", "--id", "999", "--by", "A"), "error: exception 999 does not"),
        (
            (
                "incident",
                "add",
                "--from",
                "2026-10-01T07:00:00+08:00",
                "--to",
                "kemarin",
                "--reason",
                "mati",
                "--by",
                "A",
            ),
            "error: to must be a time",
        ),
        (
            ("month", "reopen", "--month", "2026-09", "--reason", "salah", "--by", "A"),
            "error: 2026-09 is not closed",
        ),
        (
            ("day", "close", "--date", "2026-10-32", "--reason", "node hilang", "--by", "A"),
            "error: date is not a calendar date",
        ),
    ],
)
def test_known_errors_are_one_line_exit_2(
    central: CentralSetup, args: tuple[str, ...], message: str
) -> None:
    result = cli(central, *args, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1


def test_month_close_reopen_and_the_served_recap(central: CentralSetup, tmp_path: Path) -> None:
    cli(central, "month", "close", "--month", "2026-09", "--by", "Kepala BKPSDM")
    again = cli(central, "month", "close", "--month", "2026-09", "--by", "X", check=False)
    assert again.returncode == 2 and "already closed" in again.stderr
    cli(
        central,
        "month",
        "reopen",
        "--month",
        "2026-09",
        "--reason",
        "rekaman terlambat",
        "--by",
        "Admin Diskominfo",
    )
    cli(central, "month", "close", "--month", "2026-09", "--by", "Kepala BKPSDM")
    local = json.loads(cli(central, "recap", "--month", "2026-09").stdout)
    assert local["final"] is True and local["closed"]["inputs_unchanged"] is True
    server = CentralProcess(central.data, workers=1)
    server.start()
    try:
        headers = {"Authorization": f"Bearer {central.viewer_token}"}
        r = requests.get(f"{server.url}/api/v1/recap?month=2026-09", headers=headers, timeout=30)
        assert r.status_code == 200
        assert r.json() == local
        r = requests.get(
            f"{server.url}/api/v1/recap?month=2026-09&format=xlsx", headers=headers, timeout=30
        )
        assert r.status_code == 200
        assert load_workbook(io.BytesIO(r.content)).sheetnames[0] == "Ringkasan"
        r = requests.get(f"{server.url}/api/v1/recap?month=2026-9", headers=headers, timeout=30)
        assert r.status_code == 400 and r.json()["error"] == "bad-month"
    finally:
        server.stop()


RECAP_COMMANDS = [
    ["rules", "import"],
    ["rules", "list"],
    ["exception", "add"],
    ["exception", "approve"],
    ["exception", "reject"],
    ["incident", "add"],
    ["incident", "approve"],
    ["incident", "reject"],
    ["recap"],
    ["discipline"],
    ["month", "close"],
    ["month", "reopen"],
    ["day", "close"],
]


@pytest.mark.parametrize("command", RECAP_COMMANDS)
def test_every_recap_command_has_help(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from central.cli import build_parser

    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([*command, "--help"])
    assert done.value.code == 0 and "--data" in capsys.readouterr().out
