"""``presensi-central`` as real processes: the CLI, and ``serve`` with several workers."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
import requests

from central.datadir import CentralPaths
from central.identity import central_public_key
from certs.csr import make_csr
from sync.receipts import verify_receipt
from sync.timefmt import WITA
from testkit.factories import PY, REPO, free_port, run_cli

from .conftest import Clock, FakeNode
from .officials import browser_session

COMMANDS = [
    ["init"],
    ["serve"],
    ["node", "add"],
    ["node", "revoke"],
    ["roster", "import"],
    ["token", "create"],
    ["token", "list"],
    ["token", "revoke"],
    ["user", "add"],
    ["user", "list"],
    ["user", "reset"],
    ["migrate"],
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: list[str]) -> None:
    result = run_cli("central", *command, "--help")
    assert "--data" in result.stdout


def test_cli_errors_exit_2(tmp_path: Path) -> None:
    result = run_cli(
        "central",
        "token",
        "create",
        "--data",
        str(tmp_path / "none"),
        "--role",
        "admin",
        check=False,
    )
    assert result.returncode == 2 and "presensi-central init" in result.stderr


@pytest.fixture
def central_dir(tmp_path: Path, central_database: str | None) -> Path:
    root = tmp_path / "central"
    database = ["--database", central_database] if central_database else []
    run_cli("central", "init", "--data", str(root), *database)
    return root


@pytest.fixture
def server(central_dir: Path) -> Iterator[str]:
    port = free_port()
    log = open(central_dir / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            PY,
            "-m",
            "central",
            "serve",
            "--data",
            str(central_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError((central_dir / "serve.log").read_text())
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("central did not come up")
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(10)
        log.close()


class LiveNode(FakeNode):
    """A FakeNode that talks to a real server."""

    url = ""

    def call(self, method: str, path: str, body: bytes = b"") -> requests.Response:
        headers = {"Content-Type": "application/json"}
        headers.update(self._sign(method, path, body))
        return requests.request(method, self.url + path, data=body, headers=headers, timeout=30)

    def _sign(self, method: str, path: str, body: bytes) -> dict[str, str]:
        from sync.httpsig import sign_request

        return sign_request(method, self.url + path, body, self.key, self.name)


@pytest.mark.slow
def test_real_server_enroll_push_report(central_dir: Path, server: str) -> None:
    token = run_cli(
        "central", "node", "add", "--data", str(central_dir), "--name", "kec-alalak"
    ).stdout.strip()
    api = run_cli(
        "central", "token", "create", "--data", str(central_dir), "--role", "viewer"
    ).stdout.strip()
    clock = Clock()
    node = LiveNode("kec-alalak", clock)
    node.url = server
    r = requests.post(
        server + "/api/v1/enroll",
        json={"token": token, "csr": make_csr(node.key, "kec-alalak").decode()},
        timeout=10,
    )
    assert r.status_code == 201, r.text

    nip = "198501012010011001"
    for _ in range(200):
        node.checkin(nip)
    body = node.batch()
    # The same batch from several threads at once (retries racing): stored exactly once.
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: node.call("POST", "/api/v1/batches", body), range(8)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert sum(a.json()["accepted"] for a in answers) == 201
    assert {a.json()["receipt"]["seq"] for a in answers} == {200}
    receipt = answers[0].json()["receipt"]
    verify_receipt(receipt, central_public_key(CentralPaths(central_dir).cert))

    cp = node.call("GET", "/api/v1/nodes/kec-alalak/checkpoint").json()
    assert cp["seq"] == 200 and cp["head"] == node.records[-1]["hash"]

    day = datetime.now(WITA).strftime("%Y-%m-%d")
    report = requests.get(
        server + f"/api/v1/attendance?date={day}",
        headers={"Authorization": f"Bearer {api}"},
        timeout=10,
    ).json()
    (row,) = report["employees"]
    assert row["nip"] == nip and len(row["records"]) == 200

    nodes = requests.get(
        server + "/api/v1/nodes", headers={"Authorization": f"Bearer {api}"}, timeout=10
    ).json()
    assert nodes["nodes"][0]["records"] == 201

    # Revocation from the CLI takes effect in the running workers.
    run_cli("central", "node", "revoke", "--data", str(central_dir), "--name", "kec-alalak")
    r = node.call("GET", "/api/v1/nodes/kec-alalak/checkpoint")
    assert r.status_code == 403 and r.json()["error"] == "revoked"
    link = run_cli(
        "central",
        "user",
        "add",
        "--data",
        str(central_dir),
        "--name",
        "budi",
        "--role",
        "viewer",
        "--url",
        server,
    ).stdout.strip()
    official = browser_session(server, link, "budi")
    page = official.get(server + "/dashboard", timeout=10)
    assert page.status_code == 200 and "dicabut" in page.text
