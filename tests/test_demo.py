"""``scripts/demo.py`` for phones (issue 18, item 8): the LAN address next to localhost, a
kiosk QR code a phone can open, a clear message for a taken port, and a failed demo stops
everything it started."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from testkit.factories import REPO, free_port

pytestmark = pytest.mark.slow

PHONE_HOST = "10.20.30.40"


def demo(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "scripts/demo.py", "--dir", str(root), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        start_new_session=True,
    )


def read_until(proc: subprocess.Popen[str], marker: str, timeout: float = 240) -> str:
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        if marker in line:
            return seen
    raise AssertionError(f"no {marker!r} in demo output:\n{seen}")


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, int, str]]:
    root = tmp_path_factory.mktemp("demo")
    cport, nport = free_port(), free_port()
    proc = demo(root, "--central-port", str(cport), "--node-port", str(nport), "--host", PHONE_HOST)
    try:
        out = read_until(proc, "Press Ctrl-C to stop")
        yield root, cport, nport, out
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(60) == 0
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    # Ctrl-C (SIGTERM here) stopped both servers.
    assert not listening(cport) and not listening(nport)


def test_demo_prints_localhost_and_the_phone_address(running: tuple[Path, int, int, str]) -> None:
    _, _, nport, out = running
    assert f"http://localhost:{nport}/" in out
    assert f"On a phone on the same network:  http://{PHONE_HOST}:{nport}/" in out


def test_kiosk_qr_code_carries_the_phone_address(running: tuple[Path, int, int, str]) -> None:
    _, _, nport, out = running
    kiosk = re.search(r"kiosk screen.*?(http://\S+/kiosk#t=(\S+))", out)
    assert kiosk, out
    assert kiosk.group(1).startswith(f"http://{PHONE_HOST}:{nport}/")
    # The screen, opened on the demo machine itself, still shows a code for phones.
    r = requests.get(
        f"http://127.0.0.1:{nport}/api/v1/kiosk/code",
        headers={"Authorization": f"Bearer {kiosk.group(2)}"},
        timeout=10,
    )
    assert r.status_code == 200
    assert r.json()["url"].startswith(f"http://{PHONE_HOST}:{nport}/?kiosk=")


def test_a_taken_port_is_named_with_the_option_to_move_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = demo(tmp_path / "d", "--central-port", str(free_port()), "--node-port", str(port))
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert f"port {port} is taken" in err and f"--node-port {port + 1}" in err
    assert "Traceback" not in err and not (tmp_path / "d").exists()


def test_a_failed_demo_stops_what_it_started(
    running: tuple[Path, int, int, str], tmp_path: Path
) -> None:
    # A second demo over a copy whose node config is broken: central starts, then the node
    # step fails; the demo must not leave central running.
    import shutil

    root, _, _, _ = running
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("*.log"))
    (copy / "node" / "config.json").write_text("{broken")
    cport = free_port()
    proc = demo(copy, "--central-port", str(cport), "--node-port", str(free_port()))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    assert "config.json is not valid JSON" in err
    assert "Traceback" not in err
    assert not listening(cport)


def test_the_employee_sign_in_printed_works(running: tuple[Path, int, int, str]) -> None:
    # The printed NIP and PIN sign in at central's /saya (central holds the roster's PIN
    # hashes): an employee of the demo sees their own month.
    _, _, _, out = running
    found = re.search(
        r"objections:\s+(http://\S+/saya/masuk)\s+\(the same NIP and PIN as at "
        r"the office, e.g\. NIP (\d{18})\s+PIN (\d+)\)",
        out,
    )
    assert found, out
    s = requests.Session()
    form = s.get(found.group(1), timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert form.status_code == 200 and csrf
    r = s.post(
        found.group(1),
        data={"nip": found.group(2), "pin": found.group(3), "csrf": csrf.group(1)},
        timeout=30,
    )
    assert r.status_code == 200 and found.group(2) in r.text, r.text[:500]
