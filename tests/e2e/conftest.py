"""End-to-end fixtures: a real central process, a fault proxy in front of it, a real node
process enrolled through the proxy, and the helpers the tests share to watch both sides.

Central is initialised once per session (CA, roster of 40, viewer token: ~8 s of CLI work)
and copied into a fresh directory for every test, so each test still gets its own database.
The node's ``CENTRAL_URL`` is the proxy's URL: everything the node says to central crosses the
proxy, where the tests inject faults.
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from local_node.config import load_config
from local_node.datadir import NodePaths
from local_node.identity import load_identity
from local_node.service import NodeService
from local_node.store import Store
from sync import records
from sync.timefmt import format_ts, wita_day
from testkit.factories import (
    CentralProcess,
    CentralSetup,
    NodeProcess,
    enroll_node,
    make_central,
    sign_in,
)
from testkit.faultproxy import FaultProxy

NODE = "kec-alalak"


# --- waiting ---------------------------------------------------------------------------------


def wait_for(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def report(capsys: pytest.CaptureFixture[str], message: str) -> None:
    """Print a measured number even though pytest captures output."""
    with capsys.disabled():
        print(f"\ne2e: {message}")


# --- central as officials and auditors see it -------------------------------------------------


@dataclass
class CentralView:
    """Central through its HTTP API (viewer token) and, for exact comparisons, its database."""

    url: str
    token: str
    db: Path

    def _get(self, path: str, **params: str) -> Any:
        r = requests.get(
            self.url + path,
            params=params,
            timeout=10,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert r.status_code == 200, r.text
        return r.json()

    def node(self, name: str = NODE) -> dict[str, Any]:
        nodes: dict[str, dict[str, Any]] = {
            n["node"]: n for n in self._get("/api/v1/nodes")["nodes"]
        }
        return nodes[name]

    def count(self, name: str = NODE) -> int:
        """Records central says it holds for the node (0 while central is down)."""
        try:
            return int(self.node(name)["records"])
        except (requests.RequestException, KeyError):
            return 0

    def attendance(self, day: str) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/attendance", date=day)["employees"])

    def refs(self, days: set[str]) -> list[str]:
        """Every record ref the attendance report lists on ``days``, repeats included."""
        return [
            ref["ref"]
            for day in sorted(days)
            for row in self.attendance(day)
            for ref in row["records"]
        ]

    def held(self, name: str = NODE) -> list[tuple[int, str, str]]:
        """(seq, hash, serialised record) of every record central stores for the node."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return [
                (int(s), str(h), str(r))
                for s, h, r in conn.execute(
                    "SELECT seq, hash, record FROM records WHERE node = ? ORDER BY epoch, seq",
                    (name,),
                )
            ]
        finally:
            conn.close()


def node_log(paths: NodePaths) -> list[dict[str, Any]]:
    store = Store(paths.db)
    try:
        return [records.parse(t) for t in store.iter_records()]
    finally:
        store.close()


def sync_state(paths: NodePaths) -> dict[str, str]:
    """The node's ``sync_state`` table (what ``presensi-node status`` reports)."""
    store = Store(paths.db)
    try:
        return dict(store.conn().execute("SELECT key, value FROM sync_state").fetchall())
    finally:
        store.close()


def wait_recovered(paths: NodePaths, timeout: float = 45) -> None:
    """Wait for the node's next successful sync cycle after now (its backoff is over)."""
    since = format_ts(datetime.now(UTC))
    wait_for(
        lambda: sync_state(paths).get("last_ok", "") > since,
        timeout,
        "a successful sync cycle of the node",
    )


def pending_tail_ok(log: list[dict[str, Any]], held: int) -> bool:
    """True when everything after the first ``held`` records is anchors: the node's log is in
    sync (anchors travel with the next real record, never alone)."""
    return all(r["type"] == "anchor" for r in log[held:])


def assert_converged(view: CentralView, paths: NodePaths, timeout: float = 45) -> list[Any]:
    """Wait until central holds the node's log (all but trailing anchors), then check it holds
    exactly that: the same seqs and hashes in order, nothing twice, counters agreeing."""

    def done() -> bool:
        return pending_tail_ok(node_log(paths), len(view.held()))

    wait_for(done, timeout, "central to hold the node's whole log")
    log = node_log(paths)
    held = view.held()
    assert [(s, h) for s, h, _ in held] == [(r["seq"], r["hash"]) for r in log[: len(held)]]
    assert [s for s, _, _ in held] == list(range(len(held)))  # no gaps, no repeats
    assert all(records.parse(text) == log[s] for s, _, text in held)
    info = view.node()
    assert info["records"] == len(held), info
    assert info["head_seq"] == held[-1][0] and info["head"] == held[-1][1]
    assert info["status"] == "active", info
    return held


def checkin_refs(view: CentralView, recs: list[dict[str, Any]]) -> None:
    """Each check-in in ``recs`` is listed exactly once in central's attendance report."""
    days = {wita_day(r["ts"]) for r in recs}
    listed = view.refs(days)
    for rec in recs:
        ref = f"{rec['node']}/{rec['epoch']}/{rec['seq']}"
        assert listed.count(ref) == 1, (ref, listed.count(ref))
    assert len(listed) == len(set(listed)), "a record is listed twice"


# --- staff -------------------------------------------------------------------------------------


@dataclass
class Staff:
    nip: str
    token: str


def sign_in_all(node_url: str, people: list[dict[str, str]]) -> list[Staff]:
    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(lambda p: sign_in(node_url, p["nip"], p["pin"]), people))
    return [Staff(p["nip"], t) for p, t in zip(people, tokens, strict=True)]


def check_in(
    node_url: str, staff: Staff, kind: str = "in", **extra: Any
) -> tuple[dict[str, Any], float]:
    """POST a check-in; return (the signed record the node answered with, seconds taken)."""
    started = time.monotonic()
    r = requests.post(
        node_url + "/api/v1/checkins",
        json={"kind": kind, **extra},
        timeout=10,
        headers={"Authorization": f"Bearer {staff.token}"},
    )
    elapsed = time.monotonic() - started
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["type"] == "checkin" and record["body"]["nip"] == staff.nip
    return record, elapsed


def backlog(paths: NodePaths, count: int, nips: list[str]) -> None:
    """Append ``count`` check-ins straight through the node's LogWriter (group commits from
    many threads), before the serving process starts: a big unsent backlog."""
    svc = NodeService(load_config(paths.root), paths, load_identity(paths, paths.root.name))
    svc.start()

    def one(i: int) -> None:
        nip = nips[i % len(nips)]
        svc.append(
            "checkin",
            {
                "nip": nip,
                "kind": "in",
                "method": "app",
                "device": "backlog-device-01",
                "client_ts": None,
            },
            nip=nip,
        )

    try:
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(one, range(count)))
    finally:
        svc.close()


def send_raw(port: int, request: bytes, timeout: float = 10) -> tuple[int, Any]:
    """Send raw HTTP/1.1 request bytes to 127.0.0.1:port; return (status, JSON body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed before an answer: {data!r}"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed in the middle of the answer"
            body += chunk
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else None


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def central_template(tmp_path_factory: pytest.TempPathFactory) -> CentralSetup:
    return make_central(tmp_path_factory.mktemp("central-template"), people=40)


@pytest.fixture
def central_setup(tmp_path: Path, central_template: CentralSetup) -> CentralSetup:
    data = tmp_path / "central"
    shutil.copytree(central_template.data, data)
    (data / "serve.log").unlink(missing_ok=True)
    return CentralSetup(data, central_template.people, central_template.viewer_token)


@pytest.fixture
def central(central_setup: CentralSetup) -> Iterator[CentralProcess]:
    proc = CentralProcess(central_setup.data).start()
    yield proc
    proc.kill()


@pytest.fixture
def proxy(central: CentralProcess) -> Iterator[FaultProxy]:
    p = FaultProxy(central.port, capture=True).start()
    yield p
    p.stop()


@pytest.fixture
def view(central: CentralProcess, central_setup: CentralSetup) -> CentralView:
    return CentralView(central.url, central_setup.viewer_token, central_setup.data / "central.db")


@pytest.fixture
def node_paths(tmp_path: Path, central_setup: CentralSetup, proxy: FaultProxy) -> NodePaths:
    """A node enrolled with ``presensi-node init --central PROXY_URL --token T``, synced once
    (genesis pushed, central's roster installed)."""
    return enroll_node(central_setup, proxy.url, tmp_path, NODE)


@pytest.fixture
def node(node_paths: NodePaths) -> Iterator[NodeProcess]:
    proc = NodeProcess(node_paths, scheduler=True).start()
    yield proc
    proc.kill()
