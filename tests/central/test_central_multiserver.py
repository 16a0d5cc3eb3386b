"""Two ``presensi-central serve`` processes on one database, raced (docs/postgresql.md).

Each test runs on PostgreSQL, the case the row locks of ``central/store/postgresql.py`` are
for, and on SQLite (two servers on one ``central.db``, kept apart by ``BEGIN IMMEDIATE``).
Each server has its own data directory, as ``serve`` locks it. The servers are
real processes; one is killed with SIGKILL in the middle of a stream of batches.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from central.database import open_store
from central.datadir import CentralPaths
from central.identity import central_public_key
from certs.csr import make_csr
from certs.keys import generate_key
from sync.httpsig import sign_request
from sync.receipts import verify_receipt
from testkit.factories import CentralProcess, run_cli

from .conftest import Clock, FakeNode

pytestmark = pytest.mark.slow

NIP = "198501012010011001"
# Both servers answer for one name, as behind a load balancer: a node signs for this URL.
PUBLIC = "http://central.test"


class Node(FakeNode):
    """A node that pushes to real servers, signing for the one public address."""

    def post(
        self,
        server: str,
        path: str,
        body: bytes = b"",
        method: str = "POST",
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        signed = headers or self.signed(method, path, body)
        return requests.request(
            method,
            server + path,
            data=body,
            timeout=60,
            headers={**signed, "Host": "central.test", "Content-Type": "application/json"},
        )

    def signed(self, method: str, path: str, body: bytes = b"") -> dict[str, str]:
        return sign_request(method, PUBLIC + path, body, self.key, self.name)

    def push(  # type: ignore[override]
        self,
        server: str,
        start: int = 0,
        stop: int | None = None,
    ) -> requests.Response:
        return self.post(server, "/api/v1/batches", self.batch(start, stop))

    def checkpoint(self, server: str) -> int:
        path = f"/api/v1/nodes/{self.name}/checkpoint"
        r = self.post(server, path, method="GET")
        assert r.status_code == 200, r.text
        return int(r.json()["seq"])


@pytest.fixture
def central_dir(tmp_path: Path, central_database: str | None) -> Path:
    root = tmp_path / "central"
    database = ["--database", central_database] if central_database else []
    run_cli("central", "init", "--data", str(root), *database)
    return root


def second_data_dir(central_dir: Path) -> Path:
    """The second app server's own data directory (``serve`` locks its directory): a copy of
    the keys, CA and configuration, as docs/postgresql.md says; on SQLite its ``central.db``
    is a symbolic link to the first one's, so both servers still share one database."""
    other = central_dir.with_name("central-2")
    shutil.copytree(central_dir, other)
    shared_db = central_dir / "central.db"
    if shared_db.exists():
        for suffix in ("", "-wal", "-shm"):
            (other / f"central.db{suffix}").unlink(missing_ok=True)
        (other / "central.db").symlink_to(shared_db)
    return other


@pytest.fixture
def servers(central_dir: Path) -> Iterator[list[CentralProcess]]:
    pair = [
        CentralProcess(directory, workers=2)
        for directory in (central_dir, second_data_dir(central_dir))
    ]
    try:
        for server in pair:
            server.start()
        yield pair
    finally:
        for server in pair:
            server.stop()


def enrolled(central_dir: Path, server: str, name: str = "kec-alalak") -> Node:
    token = run_cli(
        "central", "node", "add", "--data", str(central_dir), "--name", name
    ).stdout.strip()
    node = Node(name, Clock())
    r = requests.post(
        server + "/api/v1/enroll",
        timeout=30,
        json={"token": token, "csr": make_csr(node.key, name).decode()},
    )
    assert r.status_code == 201, r.text
    return node


def stored(central_dir: Path, node: str) -> list[tuple[int, str]]:
    store = open_store(CentralPaths(central_dir))
    try:
        return [(r.seq, r.hash) for r in store.records_of(node)]  # type: ignore[attr-defined]
    finally:
        store.close()


def receipts(central_dir: Path, database: str | None, node: str) -> list[dict[str, Any]]:
    """Every receipt central stored for ``node``, in the order it issued them."""
    sql = "SELECT receipt FROM receipts WHERE node = {} ORDER BY id"
    if database is None:
        with sqlite3.connect(CentralPaths(central_dir).db) as conn:
            rows = conn.execute(sql.format("?"), (node,)).fetchall()
    else:
        with psycopg.connect(database) as pg:
            rows = pg.execute(sql.format("%s").encode(), (node,)).fetchall()
    return [json.loads(r[0]) for r in rows]


def check_one_history(central_dir: Path, database: str | None, node: Node) -> None:
    """Central holds the node's log exactly once, unforked, with one chain of receipts."""
    assert stored(central_dir, node.name) == [(r["seq"], r["hash"]) for r in node.records]
    store = open_store(CentralPaths(central_dir))
    try:
        row = store.node(node.name)
        assert row is not None and row.status == "active"
        assert row.records_count == len(node.records)
        assert store.evidence(node.name) == []  # type: ignore[attr-defined]
    finally:
        store.close()
    chain = receipts(central_dir, database, node.name)
    public = central_public_key(CentralPaths(central_dir).cert)
    seqs = [r["seq"] for r in chain]
    assert seqs == sorted(seqs), "receipts went back in the chain"
    for receipt in chain:
        verify_receipt(receipt, public)
        assert receipt["head"] == node.records[receipt["seq"]]["hash"]
    assert seqs[-1] == len(node.records) - 1


def test_batches_of_one_node_at_two_servers_at_once_never_fork_duplicate_or_skip(
    central_dir: Path, central_database: str | None, servers: list[CentralProcess]
) -> None:
    a, b = (s.url for s in servers)
    node = enrolled(central_dir, a)
    for _ in range(599):
        node.checkin(NIP)
    head = -1
    barrier = threading.Barrier(2)

    def send(server: str, start: int, stop: int) -> requests.Response:
        barrier.wait(10)
        return node.push(server, start, stop)

    with ThreadPoolExecutor(2) as pool:
        while head < len(node.records) - 1:
            # Overlapping windows, one a little longer: retries and a newer batch racing.
            start = max(0, head - 20)
            stops = (min(len(node.records), head + 51), min(len(node.records), head + 71))
            answers = list(pool.map(send, (a, b), (start, start), stops))
            assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
            new = max(stops) - 1 - head
            assert sum(r.json()["accepted"] for r in answers) == new
            for r, stop in zip(answers, stops, strict=True):
                assert r.json()["receipt"]["seq"] >= stop - 1
            head = max(stops) - 1
    check_one_history(central_dir, central_database, node)


def test_the_same_signed_request_at_both_servers_is_taken_once(
    central_dir: Path, servers: list[CentralProcess]
) -> None:
    a, b = (s.url for s in servers)
    node = enrolled(central_dir, a)
    body = node.batch()
    for _ in range(10):
        headers = node.signed("POST", "/api/v1/batches", body)
        barrier = threading.Barrier(2)

        def send(
            server: str, headers: dict[str, str] = headers, barrier: threading.Barrier = barrier
        ) -> requests.Response:
            barrier.wait(10)
            return node.post(server, "/api/v1/batches", body, headers=headers)

        with ThreadPoolExecutor(2) as pool:
            answers = sorted(pool.map(send, (a, b)), key=lambda r: r.status_code)
        assert [r.status_code for r in answers] == [200, 401], [r.text for r in answers]
        assert answers[1].json()["error"] == "replayed"


def test_an_enrollment_token_raced_at_two_servers_is_used_once(
    central_dir: Path, servers: list[CentralProcess]
) -> None:
    urls = [s.url for s in servers]
    token = run_cli(
        "central", "node", "add", "--data", str(central_dir), "--name", "kec-tamban"
    ).stdout.strip()
    keys = [generate_key() for _ in range(12)]
    barrier = threading.Barrier(len(keys))

    def enroll(index: int) -> requests.Response:
        csr = make_csr(keys[index], "kec-tamban").decode()
        barrier.wait(10)
        return requests.post(
            urls[index % 2] + "/api/v1/enroll", timeout=30, json={"token": token, "csr": csr}
        )

    with ThreadPoolExecutor(len(keys)) as pool:
        answers = list(pool.map(enroll, range(len(keys))))
    codes = [r.status_code for r in answers]
    assert codes.count(201) == 1, [r.text for r in answers]
    losers = {(r.status_code, r.json()["error"]) for r in answers if r.status_code != 201}
    assert losers == {(409, "token-used")}
    winner = answers[codes.index(201)].json()
    store = open_store(CentralPaths(central_dir))
    try:
        row = store.node("kec-tamban")
        assert row is not None and row.cert_pem == winner["cert"]
    finally:
        store.close()
    # Only the winner's key can push.
    node = Node("kec-tamban", Clock(), keys[codes.index(201)])
    assert node.push(urls[1]).status_code == 200
    loser = Node("kec-tamban", Clock(), keys[(codes.index(201) + 1) % len(keys)])
    assert loser.push(urls[0]).status_code == 401


def test_a_server_killed_mid_ingest_loses_nothing_acknowledged(
    central_dir: Path, central_database: str | None, servers: list[CentralProcess]
) -> None:
    first, second = servers
    node = enrolled(central_dir, first.url)
    for _ in range(5999):
        node.checkin(NIP)
    size = 750
    acked: list[dict[str, Any]] = []
    in_flight = threading.Event()
    died: list[int] = []  # the start of the batch whose answer was lost

    def push_to_first() -> None:
        start = 0
        while start < len(node.records):
            in_flight.set()
            try:
                r = node.push(first.url, start, start + size)
            except requests.ConnectionError:
                died.append(start)
                return
            in_flight.clear()
            assert r.status_code == 200, r.text
            acked.append(r.json()["receipt"])
            start += size

    pusher = threading.Thread(target=push_to_first)
    pusher.start()
    deadline = time.monotonic() + 60
    while len(acked) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert in_flight.wait(10)
    time.sleep(0.03)  # into the third batch: verifying or inside its transaction
    first.kill()
    pusher.join(60)
    assert died, "the first server answered every batch before it was killed"

    # Everything acknowledged is there, and the node resumes at the other server from its
    # checkpoint: the batch whose answer was lost is taken exactly once.
    held = stored(central_dir, node.name)
    for receipt in acked:
        assert held[receipt["seq"]] == (receipt["seq"], receipt["head"])
    resume = node.checkpoint(second.url) + 1
    assert resume >= died[0], "an acknowledged batch was lost"
    r = node.push(second.url, died[0], died[0] + size)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] + r.json()["duplicates"] == size
    assert r.json()["duplicates"] == resume - died[0]
    start = died[0] + size
    while start < len(node.records):
        assert node.push(second.url, start, start + size).status_code == 200
        start += size
    check_one_history(central_dir, central_database, node)
