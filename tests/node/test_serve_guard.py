"""``serve`` refuses a port already in use and a data directory already served (issue 13
item 15), for the node and for central: one ``error:`` line, exit 2; the lock dies with its
process, SIGKILL included."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from testkit.factories import (
    PY,
    REPO,
    CentralProcess,
    NodeProcess,
    free_port,
    make_ca,
    make_central,
    make_node,
)

pytestmark = pytest.mark.slow


def _serve(app: str, data: Path, port: int) -> subprocess.CompletedProcess[str]:
    """Run ``serve`` expecting it to refuse; a server that starts instead is killed (with
    its workers) after 20 s and the test fails on its exit status."""
    extra = ["--no-zeroconf", "--no-scheduler"] if app == "local_node" else ["--workers", "1"]
    args = [
        PY,
        "-m",
        app,
        "serve",
        "--data",
        str(data),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *extra,
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


def _one_error_line(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], lines


@pytest.mark.parametrize("app", ["local_node", "central"])
def test_a_port_with_a_listener_is_refused(tmp_path: Path, app: str) -> None:
    data = (
        make_node(tmp_path, make_ca(tmp_path)).root
        if app == "local_node"
        else make_central(tmp_path, people=3).data
    )
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        _one_error_line(_serve(app, data, port), f"port {port} is in use")


def test_a_second_node_on_a_served_port_is_refused(tmp_path: Path) -> None:
    """The reported case: granian shares ports (SO_REUSEPORT), so both used to start."""
    ca = make_ca(tmp_path)
    first = NodeProcess(make_node(tmp_path / "a", ca)).start()
    try:
        second = make_node(tmp_path / "b", ca, "kec-tamban")
        _one_error_line(
            _serve("local_node", second.root, first.port), f"port {first.port} is in use"
        )
    finally:
        first.kill()


def test_a_served_node_data_directory_is_refused_until_its_server_dies(tmp_path: Path) -> None:
    paths = make_node(tmp_path, make_ca(tmp_path))
    first = NodeProcess(paths).start()
    try:
        assert first.proc is not None
        _one_error_line(
            _serve("local_node", paths.root, free_port()),
            f"this data directory is already being served (pid {first.proc.pid})",
        )
    finally:
        first.kill()  # SIGKILL: no clean-up runs, the kernel drops the lock
    again = NodeProcess(paths).start()
    again.stop()


def test_a_served_central_data_directory_is_refused(tmp_path: Path) -> None:
    setup = make_central(tmp_path, people=3)
    first = CentralProcess(setup.data, workers=1).start()
    try:
        assert first.proc is not None
        _one_error_line(
            _serve("central", setup.data, free_port()),
            f"this data directory is already being served (pid {first.proc.pid})",
        )
    finally:
        first.kill()
    CentralProcess(setup.data, workers=1).start().stop()
