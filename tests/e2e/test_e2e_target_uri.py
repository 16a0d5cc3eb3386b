"""A node whose CENTRAL_URL names the default port, upper-case letters or a trailing dot
syncs with a real central (issue 13 item 13). Central listens on port 80 inside a network
namespace of its own, where ``central.example`` (and ``central.example.``) resolve."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from local_node.datadir import NodePaths
from testkit.factories import PY, REPO, make_central
from testkit.netns import namespaces

pytestmark = pytest.mark.slow


def set_central_url(paths: NodePaths, url: str) -> None:
    """What ``presensi-node config set central-url`` does, without depending on it."""
    config = json.loads(paths.config.read_text()) if paths.config.exists() else {}
    config["CENTRAL_URL"] = url
    paths.config.write_text(json.dumps(config))


HOSTS = {"central.example central.example.": "127.0.0.1"}


def test_default_port_case_and_trailing_dot_sign_the_same(tmp_path: Path) -> None:
    setup = make_central(tmp_path, people=5)
    with namespaces(1, HOSTS) as (ns,), (tmp_path / "central.log").open("wb") as log:
        central = ns.popen(
            [
                PY,
                "-m",
                "central",
                "serve",
                "--data",
                str(setup.data),
                "--host",
                "127.0.0.1",
                "--port",
                "80",
                "--workers",
                "1",
            ],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while not ns.answers("http://127.0.0.1:80/healthz"):
                assert central.poll() is None, (tmp_path / "central.log").read_text()
                assert time.monotonic() < deadline, "central did not come up"
                time.sleep(0.3)
            paths = NodePaths(tmp_path / "kec-alalak")
            init = ns.run(
                [
                    PY,
                    "-m",
                    "local_node",
                    "init",
                    "--data",
                    str(paths.root),
                    "--central",
                    "http://127.0.0.1:80",
                    "--token",
                    setup.node_token("kec-alalak"),
                ],
                cwd=REPO,
            )
            assert init.returncode == 0, init.stderr
            for url in (
                "http://127.0.0.1:80",
                "http://CENTRAL.EXAMPLE",
                "http://central.example.",
                "HTTP://Central.Example.:80/",
                "http://127.0.0.1",
            ):
                set_central_url(paths, url)
                out = ns.run([PY, "-m", "local_node", "sync", "--data", str(paths.root)], cwd=REPO)
                assert out.returncode == 0, (url, out.stderr)
                result = json.loads(out.stdout)
                assert result["checkpoint"] is True and "error" not in result, (url, result)
        finally:
            os.killpg(central.pid, signal.SIGKILL)
            central.wait(10)
