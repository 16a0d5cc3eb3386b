"""Disk full and a disk that stops taking writes: check-ins are refused with 507 and a
message, nothing is corrupted, and service comes back by itself once the disk does."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from testkit.factories import NodeProcess, make_ca, make_node, roster_file, run_cli, sign_in

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
    return requests.post(
        url + "/api/v1/checkins",
        json={"kind": "in"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


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


@pytest.fixture
def ext4_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MB loop-mounted ext4 filesystem, where ``chattr +i`` makes files unwritable even
    for root: the equivalent of a disk that went read-only under the running node (Linux
    will not remount a filesystem read-only while SQLite holds files open for writing)."""
    image, mount = tmp_path / "disk.img", tmp_path / "ext4"
    mount.mkdir()
    with open(image, "wb") as f:
        f.truncate(32 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mount)], check=True)
    yield mount
    subprocess.run(["chattr", "-R", "-i", str(mount)], check=False, capture_output=True)
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_read_only_log_files_then_writable_again(tmp_path, ext4_disk):
    ca = make_ca(tmp_path)
    paths = make_node(ext4_disk, ca)
    csv_path, people = roster_file(tmp_path, 3)
    run_cli("local_node", "roster", "import", "--data", str(paths.root), str(csv_path))
    node = NodeProcess(paths).start()
    # The WAL index (-shm) is memory-mapped; it stays writable, as on a real read-only
    # remount the kernel fails the writes to the database and the WAL.
    files = [str(paths.db), str(paths.db) + "-wal"]
    try:
        token = sign_in(node.url, people[2]["nip"], people[2]["pin"])
        assert _checkin(node.url, token).status_code == 201
        head = run_cli("local_node", "status", "--data", str(paths.root), "--json").stdout
        subprocess.run(["chattr", "+i", *files], check=True)
        refused = [_checkin(node.url, token) for _ in range(3)]
        assert {r.status_code for r in refused} == {507}, [r.text for r in refused]
        assert refused[0].json()["error"] == "storage-full"
        subprocess.run(["chattr", "-i", *files], check=True)
        ok = _checkin(node.url, token)
        assert ok.status_code == 201, ok.text
    finally:
        subprocess.run(["chattr", "-i", *files], check=False, capture_output=True)
        node.stop()
    assert json.loads(head)["head_seq"] + 1 == json.loads(ok.text)["seq"]
    assert run_cli("local_node", "verify", "--data", str(paths.root)).stdout.startswith("OK:")
