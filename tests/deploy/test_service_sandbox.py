"""The services run under their units' restrictions: node, central and the backup job as an
unprivileged user with no capabilities, no_new_privs, the unit's umask and the unit's own
system-call filter, address families and MemoryDenyWriteExecute, loaded with libseccomp as
systemd loads them (tests/deploy/sandbox.py). Real processes: central ingests what the node
pushes, zeroconf announces, the backup verifies. And the filter bites: without AF_NETLINK,
zeroconf cannot list the interfaces.

The services run Debian's /usr/bin/python3 (what the README installs with) over this
checkout and the virtualenv's packages, so that the unprivileged user can execute it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from testkit.factories import REPO, ServerProcess, enroll_node, make_central, sign_in

pytestmark = pytest.mark.slow

UNITS = REPO / "scripts" / "systemd"
PYTHON = "/usr/bin/python3"
USER = "nobody"


def _env() -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([sysconfig.get_paths()["purelib"], str(REPO)])}


def sandboxed(unit: Path, *args: str) -> list[str]:
    if not Path(PYTHON).exists():
        pytest.fail(f"{PYTHON} is missing: apt-get install python3")
    return [sys.executable, "-m", "tests.deploy.sandbox", str(unit), USER, "--", PYTHON, *args]


def _give(path: Path) -> None:
    """Hand a data directory to the service user, as StateDirectory= does."""
    subprocess.run(["chown", "-R", f"{USER}:", str(path)], check=True)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A directory the unprivileged user can reach (pytest's own are root-only)."""
    path = Path(tempfile.mkdtemp(prefix="presensi-sandbox-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


class Sandboxed(ServerProcess):
    def __init__(self, log_dir: Path, unit: Path, args: list[str]) -> None:
        super().__init__(log_dir, None, _env())
        self.unit = unit
        self.args = [a.replace("PORT", str(self.port)) for a in args]

    def command(self) -> list[str]:
        return sandboxed(self.unit, *self.args)


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def _restricted(pid: int) -> None:
    status = _status(pid)
    assert status["Uid"].split()[0] == "65534", status["Uid"]
    assert status["CapEff"] == status["CapPrm"] == "0000000000000000"
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2" and int(status["Seccomp_filters"]) == 2  # + W^X filter


def test_zeroconf_needs_exactly_what_the_node_unit_allows(tmp_path: Path) -> None:
    unit = UNITS / "presensi-node.service"
    ok = subprocess.run(
        sandboxed(unit, "-m", "tests.deploy.zeroconf_probe"),
        env={**os.environ, **_env()},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("FOUND"), ok.stdout + ok.stderr
    narrower = tmp_path / "no-netlink.service"
    narrower.write_text(unit.read_text().replace(" AF_NETLINK", ""))
    refused = subprocess.run(
        sandboxed(narrower, "-m", "tests.deploy.zeroconf_probe"),
        env={**os.environ, **_env()},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "Operation not permitted" in refused.stderr


def _held_checkins(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return int(
            conn.execute("SELECT count(*) FROM records WHERE type = 'checkin'").fetchone()[0]
        )
    finally:
        conn.close()


def test_node_central_and_backup_under_their_units(shared: Path) -> None:
    setup = make_central(shared, people=10)
    _give(setup.data)
    central = Sandboxed(
        setup.data,
        UNITS / "presensi-central.service",
        [
            "-m",
            "central",
            "serve",
            "--data",
            str(setup.data),
            "--host",
            "127.0.0.1",
            "--port",
            "PORT",
            "--workers",
            "2",
        ],
    ).start()
    node = None
    try:
        assert central.proc is not None
        _restricted(central.proc.pid)
        paths = enroll_node(setup, central.url, shared, "kec-alalak")
        _give(paths.root)
        node = Sandboxed(
            paths.root,
            UNITS / "presensi-node.service",
            [
                "-m",
                "local_node",
                "serve",
                "--data",
                str(paths.root),
                "--host",
                "127.0.0.1",
                "--port",
                "PORT",
            ],
        ).start()  # scheduler and zeroconf on
        assert node.proc is not None
        _restricted(node.proc.pid)
        person = setup.people[0]
        token = sign_in(node.url, person["nip"], person["pin"])
        r = requests.post(
            node.url + "/api/v1/checkins",
            json={"kind": "in"},
            timeout=10,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 60
        while _held_checkins(setup.data / "central.db") < 1:
            assert time.monotonic() < deadline, (paths.root / "serve.log").read_text()
            time.sleep(0.2)
        backups = shared / "backups"
        backups.mkdir(mode=0o755)
        _give(backups)
        done = subprocess.run(
            sandboxed(
                UNITS / "presensi-node-backup.service",
                "-m",
                "local_node",
                "backup",
                "--data",
                str(paths.root),
                "--dir",
                str(backups),
                "--keep",
                "14",
                "--verify",
            ),
            env={**os.environ, **_env()},
            cwd="/",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        [copy] = list(backups.iterdir())
        assert copy.stat().st_uid == 65534 and copy.stat().st_mode & 0o777 == 0o600
    finally:
        if node is not None:
            node.kill()
        central.kill()
    log = (paths.root / "serve.log").read_text()
    assert "Operation not permitted" not in log and "Traceback" not in log, log
    # As the service's user, as an admin would run it (root is told to use runuser).
    done = subprocess.run(
        sandboxed(
            UNITS / "presensi-node.service", "-m", "local_node", "verify", "--data", str(paths.root)
        ),
        env={**os.environ, **_env()},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
