"""docs/local-admin.md, run as written (issue 18, item 5): every ``sh`` block in order, in a
clean temporary directory, against a real central: the district CA, offline enrollment over
a "USB stick", the central URL and office name set by command, the example roster, the admin
password, serve, the admin page, poster and cards, sync, status, backup and verify.

Substitutions, and only these: the three machine paths become temporary folders; the central
URL becomes the test's central; port 8080 becomes a free port; the ``presensi-*`` commands run
this worktree's code (``python -m``); ``runuser -u presensi --`` and ``chown presensi:`` are
no-ops (no ``presensi`` user on a test machine; everything runs as one user).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from testkit.factories import PY, REPO, CentralProcess, free_port, run_cli

pytestmark = pytest.mark.slow

GUIDE = REPO / "docs" / "local-admin.md"
CENTRAL_URL = "https://presensi.baritokualakab.go.id"
PASSWORD = "kantor-alalak-2026"


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def tool_dir(root: Path) -> Path:
    """presensi-node/-central/-ca running this code; runuser and chown as no-op stand-ins."""
    bin_dir = root / "bin"
    bin_dir.mkdir()
    for name, module in (
        ("presensi-node", "local_node"),
        ("presensi-central", "central"),
        ("presensi-ca", "certs"),
    ):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {PY} -m {module} "$@"\n')
    (bin_dir / "runuser").write_text(
        '#!/bin/sh\n[ "$1" = -u ] && shift 2\n[ "$1" = -- ] && shift\nexec "$@"\n'
    )
    (bin_dir / "chown").write_text("#!/bin/sh\nexit 0\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return bin_dir


def test_the_local_admin_guide_runs_as_written(tmp_path: Path) -> None:
    machine = {
        "/var/lib/presensi-central": tmp_path / "central",
        "/var/lib/presensi": tmp_path / "node",
        "/media/usb": tmp_path / "usb",
    }
    machine["/media/usb"].mkdir()
    env = {
        **os.environ,
        "PATH": f"{tool_dir(tmp_path)}:{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
    }
    # Diskominfo's side, set up once before the guide starts (its prose says so).
    run_cli("central", "init", "--data", str(machine["/var/lib/presensi-central"]))
    central = CentralProcess(machine["/var/lib/presensi-central"]).start()
    port = free_port()
    servers: list[subprocess.Popen[bytes]] = []
    ran: list[str] = []
    try:
        for block in sh_blocks(GUIDE.read_text(encoding="utf-8")):
            for line in block.strip().splitlines():
                command = line.replace(CENTRAL_URL, central.url).replace("8080", str(port))
                for path, real in machine.items():  # the longest path first (dict order)
                    command = command.replace(path, str(real))
                if command.endswith("&"):
                    servers.append(
                        subprocess.Popen(
                            ["bash", "-c", "exec " + command.rstrip("& ")],
                            cwd=REPO,
                            env=env,
                            start_new_session=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                        )
                    )
                    wait_for(f"http://127.0.0.1:{port}/healthz")
                    ran.append(line)
                    continue
                stdin = f"{PASSWORD}\n{PASSWORD}\n" if "set-password" in command else ""
                done = subprocess.run(
                    ["bash", "-c", command],
                    cwd=REPO,
                    env=env,
                    input=stdin,
                    capture_output=True,
                    text=True,
                    timeout=180,
                )
                assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
                ran.append(line)
        check_results(machine, port, central.url)
    finally:
        for proc in servers:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        central.stop()
    assert any("--offline" in line for line in ran) and any("backup" in line for line in ran)


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code in (200, 503):
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


def check_results(machine: dict[str, Path], port: int, central_url: str) -> None:
    node, usb = machine["/var/lib/presensi"], machine["/media/usb"]
    assert json.loads((node / "config.json").read_text()) == {
        "CENTRAL_URL": central_url,
        "DISPLAY_NAME": "Kecamatan Alalak",
    }
    # The admin page answers with the password set by the guide.
    session = requests.Session()
    r = session.post(
        f"http://127.0.0.1:{port}/admin/masuk", data={"password": PASSWORD}, timeout=30
    )
    assert r.status_code == 200 and "Kesehatan node" in r.text and "Kecamatan Alalak" in r.text
    assert (usb / "poster.pdf").read_bytes().startswith(b"%PDF")
    assert (usb / "kartu-alalak.pdf").read_bytes().startswith(b"%PDF")
    backups = list(usb.glob("presensi-*.db"))
    assert len(backups) == 1
    rows = sqlite3.connect(backups[0]).execute("SELECT count(*) FROM employees").fetchone()
    assert rows[0] == 5  # docs/roster-example.csv
    # The offline-enrolled node's sync reached central: it holds the node's log.
    status = json.loads(run_cli("local_node", "status", "--data", str(node), "--json").stdout)
    assert status["unsynced_records"] == 0 and status["last_sync_ok"]
