"""Disk full: check-ins are refused with 507 and a message, nothing is
corrupted, and service comes back by itself once the disk does."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.factories import NodeProcess, make_ca, make_node, roster_file, run_cli, sign_in

pytestmark = pytest.mark.faults


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs the test can fill and remount read-only (the tests run as root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def _checkin(url: str, token: str) -> requests.Response:
    return requests.post(url + "/api/v1/checkins", json={"kind": "in"},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_disk_full_then_space_returns(tmp_path, small_disk):
    ca = make_ca(tmp_path)
    paths = make_node(small_disk, ca)
    csv_path, people = roster_file(tmp_path, 3)
    run_cli("local_node", "roster", "import", "--data", str(paths.root), str(csv_path))
    node = NodeProcess(paths).start()
    try:
        token = sign_in(node.url, people[0]["nip"], people[0]["pin"])
        assert _checkin(node.url, token).status_code == 201
        filler = _fill(small_disk)
        refused = [_checkin(node.url, token) for _ in range(5)]
        statuses = {r.status_code for r in refused}
        assert statuses == {507}, [r.text for r in refused]
        body = refused[-1].json()
        assert body["error"] == "storage-full" and "disk" in body["message"]
        assert requests.get(node.url + "/healthz", timeout=5).status_code == 503
        filler.unlink()
        ok = _checkin(node.url, token)
        assert ok.status_code == 201, ok.text
        seq = json.loads(ok.text)["seq"]
    finally:
        node.stop()
    shutil.rmtree(paths.root / "serve.log", ignore_errors=True)
    out = run_cli("local_node", "verify", "--data", str(paths.root)).stdout
    assert out.startswith("OK:") and f"head seq {seq}" in out
