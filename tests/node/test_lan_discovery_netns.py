"""Zeroconf on a real LAN of two network namespaces joined by a veth cable (issue 13 item 14,
issue 18 item 3).

Office A serves the genuine ``kec-alalak`` (district CA). Office B, on the same LAN, serves
a second ``kec-alalak`` whose certificate comes from another CA (a copied data directory
re-issued, or an impostor) and the genuine ``kec-tamban``. The second ``kec-alalak`` must
still serve, announced as ``kec-alalak-2``, with ``status`` saying so; ``discover`` on A
lists all three with address, port, version and fingerprint, and trusts exactly the two
whose certificates chain to A's CA and whose key signs A's challenge.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_node.datadir import NodePaths
from testkit.factories import PY, REPO, make_ca, make_node
from testkit.netns import Namespace, link, namespaces

pytestmark = pytest.mark.slow

A, B = "10.77.0.1", "10.77.0.2"


class Served:
    """``presensi-node serve`` with zeroconf on, inside a namespace."""

    def __init__(self, ns: Namespace, paths: NodePaths, port: int) -> None:
        self.ns, self.paths, self.port = ns, paths, port
        self.log = paths.root.parent / f"serve-{paths.root.name}-{port}.log"
        with self.log.open("wb") as out:
            self.proc = ns.popen(
                [
                    PY,
                    "-m",
                    "local_node",
                    "serve",
                    "--data",
                    str(paths.root),
                    "--port",
                    str(port),
                    "--no-scheduler",
                ],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        while not self.ns.answers(url):
            assert self.proc.poll() is None, f"serve exited:\n{self.log.read_text()}"
            assert time.monotonic() < deadline, f"serve did not come up:\n{self.log.read_text()}"
            time.sleep(0.3)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
def lan() -> Iterator[tuple[Namespace, Namespace]]:
    with namespaces(2) as (a, b):
        link(a, f"{A}/24", b, f"{B}/24")
        yield a, b


def _status(ns: Namespace, paths: NodePaths) -> dict:
    out = ns.run([PY, "-m", "local_node", "status", "--data", str(paths.root), "--json"], cwd=REPO)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_same_name_on_one_lan_serves_and_discover_tells_ours_from_others(
    tmp_path: Path, lan: tuple[Namespace, Namespace]
) -> None:
    office_a, office_b = lan
    ours, foreign = make_ca(tmp_path / "district"), make_ca(tmp_path / "elsewhere")
    genuine = make_node(tmp_path / "a", ours, "kec-alalak")
    twin = make_node(tmp_path / "b", foreign, "kec-alalak")
    tamban = make_node(tmp_path / "c", ours, "kec-tamban")
    servers = [Served(office_a, genuine, 8080)]
    try:
        servers[0].wait_healthy()
        servers.append(Served(office_b, twin, 8080))
        servers.append(Served(office_b, tamban, 8081))
        for server in servers[1:]:
            server.wait_healthy()  # the twin serves despite the name taken on the LAN

        assert _status(office_a, genuine)["zeroconf"]["state"] == "announced"
        zc = _status(office_b, twin)["zeroconf"]
        assert zc["state"] == "renamed" and zc["name"] == "kec-alalak-2", zc
        assert zc["host"] == "presensi-kec-alalak-2.local"
        log = servers[1].log.read_text()
        assert log.count("event=zeroconf-name-conflict") == 1, log
        assert "NonUniqueNameException" not in log and "Traceback" not in log, log

        found = office_a.run(
            [
                PY,
                "-m",
                "local_node",
                "discover",
                "--json",
                "--timeout",
                "3",
                "--data",
                str(genuine.root),
            ],
            cwd=REPO,
        )
        assert found.returncode == 0, found.stderr
        seen = {
            (item["instance"], item["address"], item["port"]): item
            for item in json.loads(found.stdout)
        }
        assert set(seen) == {
            ("kec-alalak", A, 8080),
            ("kec-alalak-2", B, 8080),
            ("kec-tamban", B, 8081),
        }, seen
        for (instance, _, _), item in seen.items():
            assert item["version"] == "0.1.0" and len(item["fingerprint"]) == 64
            assert item["host"] == f"presensi-{instance}.local"  # the A record behind it
        assert seen["kec-alalak", A, 8080]["trusted"] is True
        assert seen["kec-tamban", B, 8081]["trusted"] is True
        impostor = seen["kec-alalak-2", B, 8080]
        assert impostor["node"] == "kec-alalak" and impostor["trusted"] is False
        assert "not issued by our CA" in impostor["trust"], impostor

        text = office_a.run(
            [PY, "-m", "local_node", "discover", "--timeout", "3", "--data", str(genuine.root)],
            cwd=REPO,
        )
        lines = {line.split()[0] + " " + line.split()[1]: line for line in text.stdout.splitlines()}
        assert any(
            "announced as kec-alalak-2" in line and "UNTRUSTED" in line for line in lines.values()
        ), text.stdout
        # Without a CA to check against, nothing is called trusted.
        bare = office_b.run(
            [PY, "-m", "local_node", "discover", "--json", "--timeout", "3"],
            cwd=REPO,
            env={k: v for k, v in os.environ.items() if k != "PRESENSI_DATA"},
        )
        assert bare.returncode == 0, bare.stderr
        assert {item["trusted"] for item in json.loads(bare.stdout)} == {None}
    finally:
        for server in servers:
            server.kill()
