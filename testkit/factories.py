"""Building blocks for tests: CAs, enrolled node data directories, rosters, servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import requests

from certs.authority import CertificateAuthority, cert_pem, init_ca, issue_from_csr
from certs.keys import write_pem
from local_node.datadir import NodePaths
from local_node.identity import init_node
from sync.demo_roster import make_roster, roster_csv

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


def make_ca(root: Path) -> CertificateAuthority:
    return init_ca(root / "ca")


def make_node(root: Path, ca: CertificateAuthority, name: str = "kec-alalak") -> NodePaths:
    """A node data directory with key, log and a certificate from ``ca`` (the offline path)."""
    paths = NodePaths(root / name)
    init_node(paths, name, boot_id="test-boot")
    write_pem(paths.cert, issue_from_csr(ca, paths.csr.read_bytes()))
    write_pem(paths.ca, cert_pem(ca.cert))
    return paths


def roster_file(root: Path, count: int = 20, seed: int = 7) -> tuple[Path, list[dict[str, str]]]:
    people = make_roster(count, seed=seed)
    path = root / f"roster-{count}-{seed}.csv"
    path.write_bytes(roster_csv(people))
    return path, people


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(
    *args: str, check: bool = True, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <package> args`` as a real process."""
    result = subprocess.run(
        [PY, "-m", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def group_stats(pgid: int) -> dict[int, list[str]]:
    """The /proc/PID/stat fields after the command name, for every process in group ``pgid``.

    Index 0 is the state (``Z``: exited, not reaped yet), index 2 the process group; the
    command name may contain spaces, hence the ``)``."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            out[int(entry)] = fields
    return out


class ServerProcess:
    """A server CLI as a real process on a loopback port, in its own process group: ``kill``
    SIGKILLs granian's supervisor and its workers together, as a power cut would."""

    what = "server"

    def __init__(self, log_dir: Path, port: int | None, extra_env: dict[str, str] | None) -> None:
        self.log_dir = log_dir
        self.port = port or free_port()
        self.extra_env = extra_env or {}
        self.verify: str | bool = True
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self._log: Any = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout: float = 30) -> Self:
        self._log = open(self.log_dir / "serve.log", "ab")  # noqa: SIM115 - closed in _reap
        self.proc = subprocess.Popen(
            self.command(),
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.extra_env},
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._reap()
                log = (self.log_dir / "serve.log").read_text()
                raise AssertionError(f"{self.what} exited: {log}")
            try:
                health = requests.get(self.url + "/healthz", timeout=1, verify=self.verify)
                if health.status_code in (200, 503):
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"{self.what} did not come up")

    def kill(self) -> None:
        """SIGKILL the whole process group."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(10)
        self._reap()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 15 s."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)
        self._reap()

    def _reap(self) -> None:
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


class NodeProcess(ServerProcess):
    """``presensi-node serve``."""

    what = "node"

    def __init__(
        self,
        paths: NodePaths,
        port: int | None = None,
        *,
        scheduler: bool = False,
        extra_env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        super().__init__(paths.root, port, extra_env)
        self.paths = paths
        self.scheduler = scheduler
        self.extra_args = extra_args or []

    def command(self) -> list[str]:
        args = [
            PY,
            "-m",
            "local_node",
            "serve",
            "--data",
            str(self.paths.root),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-zeroconf",
        ]
        if not self.scheduler:
            args.append("--no-scheduler")
        return args + self.extra_args


def sign_in(url: str, nip: str, pin: str) -> str:
    r = requests.post(url + "/api/v1/session", json={"nip": nip, "pin": pin}, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


class CentralProcess(ServerProcess):
    """``presensi-central serve`` (several workers)."""

    what = "central"

    def __init__(
        self,
        data: Path,
        port: int | None = None,
        *,
        workers: int = 2,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(data, port, extra_env)
        self.data = data
        self.workers = workers

    def command(self) -> list[str]:
        return [
            PY,
            "-m",
            "central",
            "serve",
            "--data",
            str(self.data),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]


@dataclass
class CentralSetup:
    """An initialised central data directory with a roster and a viewer token."""

    data: Path
    people: list[dict[str, str]]
    viewer_token: str

    def node_token(self, name: str) -> str:
        """``presensi-central node add``: a one-time ``NODE.SECRET`` enrollment token."""
        out = run_cli("central", "node", "add", "--data", str(self.data), "--name", name)
        return out.stdout.strip().splitlines()[0]


def make_central(root: Path, people: int = 40, *, database: str | None = None) -> CentralSetup:
    """``presensi-central init`` (on PostgreSQL with ``database``), ``roster import`` of
    ``people`` employees, a viewer token."""
    data = root / "central"
    run_cli("central", "init", "--data", str(data), *(["--database", database] if database else []))
    roster, staff = roster_file(root, people)
    run_cli("central", "roster", "import", "--data", str(data), str(roster))
    token = run_cli(
        "central", "token", "create", "--data", str(data), "--role", "viewer"
    ).stdout.strip()
    return CentralSetup(data, staff, token)


def enroll_node(
    central: CentralSetup,
    central_url: str,
    root: Path,
    name: str = "kec-alalak",
    *,
    first_sync: bool = True,
) -> NodePaths:
    """``presensi-node init --central URL --token T`` against a running central; then one
    ``presensi-node sync`` (pushes genesis, pulls the roster) unless ``first_sync`` is False."""
    paths = NodePaths(root / name)
    run_cli(
        "local_node",
        "init",
        "--data",
        str(paths.root),
        "--central",
        central_url,
        "--token",
        central.node_token(name),
    )
    if first_sync:
        run_cli("local_node", "sync", "--data", str(paths.root))
    return paths


# Debian's chromium, driven by Playwright for the page tests (scripts/lib/bootstrap.sh
# installs it).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def served_roster_node(root: Path, count: int = 20) -> tuple[NodeProcess, list[dict[str, str]]]:
    """A node process on loopback whose roster of ``count`` people was imported by the CLI."""
    paths = make_node(root, make_ca(root))
    csv_path, people = roster_file(root, count)
    run_cli("local_node", "roster", "import", "--data", str(paths.root), str(csv_path))
    return NodeProcess(paths).start(), people


def bearer(client: Any, person: dict[str, str]) -> dict[str, str]:
    """Sign ``person`` in through a Flask test client; the Authorization header to use."""
    r = client.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]})
    assert r.status_code == 201, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def log_head(client: Any) -> int:
    """The seq of the newest record of the node behind a Flask test client."""
    seq: int = client.application.extensions["presensi_node"].store.head()[0]
    return seq
