"""Setting the stage: nodes with a roster and a long log, and CLI commands as killable
processes."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from local_node.checkins import checkin_body
from local_node.config import load_config
from local_node.datadir import NodePaths
from local_node.identity import load_identity, node_name
from local_node.service import NodeService
from testkit.factories import PY, REPO, run_cli


def import_roster(paths: NodePaths, csv_path: Path) -> None:
    run_cli("local_node", "roster", "import", "--data", str(paths.root), str(csv_path))


def fill_log(paths: NodePaths, people: list[dict[str, str]], count: int) -> None:
    """Append ``count`` check-ins through the node's own writer (group commits from 16
    threads), as a morning of staff would."""
    config = load_config(paths.root)
    svc = NodeService(config, paths, load_identity(paths, node_name(paths)))
    svc.start()

    def one(i: int) -> None:
        nip = people[i % len(people)]["nip"]
        svc.append(
            "checkin", checkin_body({"kind": "in"}, nip=nip, device="fill-device-01"), nip=nip
        )

    try:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(one, range(count)))
    finally:
        svc.close()


def verify_node(paths: NodePaths) -> tuple[bool, str]:
    """``presensi-node verify``: (ok, its output)."""
    result = run_cli("local_node", "verify", "--data", str(paths.root), check=False)
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``python -m args`` in its own process group, so SIGKILL takes every child with it."""
    return subprocess.Popen(
        [PY, "-m", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen[bytes]) -> int:
    """SIGKILL the process group if it still runs; return the exit status."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
    return proc.wait(30)


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.0005) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def file_state(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def run_cli_ok(*args: str) -> str:
    """Run a CLI command that must succeed; return its stdout."""
    return run_cli(*args).stdout
