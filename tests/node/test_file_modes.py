"""Everything the project writes under a node's, central's and a CA's directory is 0600 (files)
and 0700 (directories) whatever the umask, and every command refuses a key or database other
users can read (issue 13 item 9).

The whole life of an office runs as real processes under umask 022 and under umask 000:
central init, roster import, tokens, central serving; online enrollment, a sync, the node
serving a check-in (WAL, SHM, lock file, boot record), a backup; a second CA issuing."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from local_node.datadir import NodePaths
from testkit.factories import (
    PY,
    REPO,
    CentralProcess,
    NodeProcess,
    enroll_node,
    free_port,
    make_ca,
    make_central,
    make_node,
    run_cli,
    sign_in,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """This test process's umask (inherited by every process it starts), restored after."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, str]:
    """Every path under ``root`` (and ``root``) whose mode is not private, with its mode."""
    wrong = {}
    for path in [root, *root.rglob("*")]:
        if path.name == "serve.log":  # the test harness's own capture of the server output
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            wrong[str(path)] = f"{mode:04o}"
    return wrong


@pytest.mark.parametrize("umask", [0o022, 0o000], indirect=True)
def test_an_office_life_leaves_only_private_files(tmp_path: Path, umask: int) -> None:
    setup = make_central(tmp_path, people=4)
    central = CentralProcess(setup.data, workers=1).start()
    try:
        paths = enroll_node(setup, central.url, tmp_path)
        node = NodeProcess(paths, scheduler=True).start()
        try:
            person = setup.people[0]
            token = sign_in(node.url, person["nip"], person["pin"])
            r = requests.post(
                node.url + "/api/v1/checkins",
                json={"kind": "in"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert r.status_code == 201, r.text
        finally:
            node.stop()
        run_cli("local_node", "sync", "--data", str(paths.root))
    finally:
        central.stop()
    backup = tmp_path / "backup.db"
    run_cli("local_node", "backup", "--data", str(paths.root), "--out", str(backup))
    ca2 = tmp_path / "ca2"
    run_cli("certs", "init", "--dir", str(ca2))
    run_cli(
        "certs",
        "issue",
        "--dir",
        str(ca2),
        "--csr",
        str(paths.csr),
        "--out",
        str(ca2 / "kec-alalak.pem"),
    )

    assert (paths.root / "node.db-wal").exists() or (paths.root / "node.db").exists()
    assert paths.config.exists() and (paths.root / "serve.lock").exists()
    for root in (setup.data, paths.root, ca2):
        assert _modes(root) == {}, f"umask {umask:03o}"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def _serve_refused(paths: NodePaths) -> subprocess.CompletedProcess[str]:
    """``serve`` expected to refuse; one that starts instead is killed after 20 s."""
    args = [
        PY,
        "-m",
        "local_node",
        "serve",
        "--data",
        str(paths.root),
        "--host",
        "127.0.0.1",
        "--port",
        str(free_port()),
        "--no-zeroconf",
        "--no-scheduler",
    ]
    proc = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _refused(result: subprocess.CompletedProcess[str], path: Path) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path} can be read by other users"), (
        lines
    )
    assert f"chmod 600 {path}" in lines[0]


@pytest.mark.parametrize(
    ("file", "mode"), [("node.db", 0o644), ("keys/node.key", 0o640), ("node.db-wal", 0o604)]
)
@pytest.mark.parametrize("command", ["serve", "status", "verify", "export", "sync"])
def test_node_commands_refuse_readable_secrets(
    tmp_path: Path, file: str, mode: int, command: str
) -> None:
    paths = make_node(tmp_path, make_ca(tmp_path))
    target = paths.root / file
    target.touch()
    os.chmod(target, mode)
    if command == "serve":
        _refused(_serve_refused(paths), target)
    else:
        _refused(run_cli("local_node", command, "--data", str(paths.root), check=False), target)


@pytest.mark.parametrize(
    ("file", "mode"), [("central.db", 0o644), ("ca/ca.key", 0o604), ("keys/central.key", 0o640)]
)
def test_central_commands_refuse_readable_secrets(tmp_path: Path, file: str, mode: int) -> None:
    data = tmp_path / "central"
    run_cli("central", "init", "--data", str(data))
    target = data / file
    os.chmod(target, mode)
    for args in (
        ["node", "add", "--name", "kec-alalak"],
        ["token", "create", "--role", "viewer"],
        ["serve", "--port", str(free_port())],
    ):
        cli = [args[0], *args[1:2]] if args[0] != "serve" else ["serve"]
        rest = args[len(cli) :]
        _refused(
            run_cli("central", *cli, "--data", str(data), *rest, check=False, timeout=30), target
        )


def test_the_ca_refuses_a_readable_key(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    paths = make_node(tmp_path, ca)
    os.chmod(ca.dir / "ca.key", 0o644)
    _refused(
        run_cli(
            "certs",
            "issue",
            "--dir",
            str(ca.dir),
            "--csr",
            str(paths.csr),
            "--out",
            str(tmp_path / "x.pem"),
            check=False,
        ),
        ca.dir / "ca.key",
    )
