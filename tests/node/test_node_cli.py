"""``presensi-node``: help for every command, offline init, refusing to serve without a valid
identity, and the roster import's all-or-nothing report."""

from __future__ import annotations

import argparse
import subprocess

import pytest

from certs.authority import cert_pem, init_ca, issue_from_csr
from certs.keys import write_pem
from local_node.cli import build_parser
from testkit.factories import PY, REPO, free_port, roster_file, run_cli


def _commands() -> list[list[str]]:
    parser = build_parser()
    sub = next(
        a
        for a in parser._actions
        if isinstance(a, argparse._SubParsersAction) and a.dest == "command"
    )
    out = []
    for name, p in sub.choices.items():
        nested = [
            a
            for a in p._actions
            if isinstance(a, argparse._SubParsersAction)
            and a.choices
            and a.dest.endswith("command")
        ]
        if nested:
            out += [[name, child] for child in nested[0].choices]
        else:
            out.append([name])
    return out


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c))
def test_every_command_has_help(command):
    result = run_cli("local_node", *command, "--help")
    assert "usage: presensi-node" in result.stdout


def test_offline_init_then_serve_needs_certificates(tmp_path):
    data = tmp_path / "node"
    out = run_cli("local_node", "init", "--data", str(data), "--name", "kec-wanaraya", "--offline")
    assert "presensi-ca issue" in out.stdout
    assert (data / "keys" / "node.key").stat().st_mode & 0o777 == 0o600
    assert (data / "certs" / "node.csr").exists()
    again = run_cli(
        "local_node",
        "init",
        "--data",
        str(data),
        "--name",
        "kec-wanaraya",
        "--offline",
        check=False,
    )
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr

    port = str(free_port())
    refused = run_cli("local_node", "serve", "--data", str(data), "--port", port, check=False)
    assert refused.returncode == 2 and "node certificate is missing" in refused.stderr

    ca = init_ca(tmp_path / "ca")
    other = init_ca(tmp_path / "other-ca")
    write_pem(
        data / "certs" / "node.pem",
        issue_from_csr(other, (data / "certs" / "node.csr").read_bytes()),
    )
    write_pem(data / "certs" / "ca.pem", cert_pem(ca.cert))
    refused = run_cli("local_node", "serve", "--data", str(data), "--port", port, check=False)
    assert refused.returncode == 2 and "error:" in refused.stderr

    # The signed certificate arrives from the district: verify and status now work.
    subprocess.run(
        [
            PY,
            "-m",
            "certs",
            "issue",
            "--dir",
            str(tmp_path / "ca"),
            "--csr",
            str(data / "certs" / "node.csr"),
            "--out",
            str(tmp_path / "node.pem"),
        ],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    (data / "certs" / "node.pem").unlink()
    write_pem(data / "certs" / "node.pem", (tmp_path / "node.pem").read_bytes())
    assert run_cli("local_node", "verify", "--data", str(data)).stdout.startswith("OK: 1 records")
    status = run_cli("local_node", "status", "--data", str(data), "--json").stdout
    assert '"node": "kec-wanaraya"' in status


@pytest.mark.parametrize(
    "args,message",
    [
        (["init", "--data", "X"], "either --central"),
        (["init", "--data", "X", "--name", "kec-a-b"], "--offline"),
        (["init", "--data", "X", "--name", "Bad Name", "--offline"], "error:"),
    ],
)
def test_init_argument_errors(tmp_path, args, message):
    args = [a if a != "X" else str(tmp_path / "n") for a in args]
    result = run_cli("local_node", *args, check=False)
    assert result.returncode == 2 and message in result.stderr


def test_roster_import_reports_every_bad_line_and_imports_nothing(tmp_path, node_paths):
    path, people = roster_file(tmp_path, 5)
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace(people[1]["nip"], "12345")  # line 3: short NIP
    lines[4] = ",".join([people[3]["nip"], "Siti", "Seksi X", "boss", "123456"])  # line 5: role
    lines.append(",".join([people[0]["nip"], "Dup", "Seksi X", "staff", "12ab56"]))  # line 7
    path.write_text("\n".join(lines) + "\n")
    result = run_cli(
        "local_node", "roster", "import", "--data", str(node_paths.root), str(path), check=False
    )
    assert result.returncode == 2
    assert "line 3: NIP must be exactly 18 digits" in result.stderr
    assert "line 5: role must be staff or head" in result.stderr
    assert "line 7: PIN must be exactly 6 digits" in result.stderr
    status = run_cli("local_node", "status", "--data", str(node_paths.root), "--json").stdout
    assert '"roster_version": null' in status


def test_roster_import_keeps_utf8_names(tmp_path, node_paths):
    path = tmp_path / "r.csv"
    path.write_text(
        "nip,name,unit,role,pin\n198501012010011001,Gusti Noor Ça'ïd,Seksi Pemerintahan,"
        "head,123456\n",
        encoding="utf-8",
    )
    run_cli("local_node", "roster", "import", "--data", str(node_paths.root), str(path))
    exported = run_cli("local_node", "export", "--data", str(node_paths.root)).stdout
    assert '"type":"roster"' in exported
