"""Fixtures for central: a fresh data directory per test, the app on a controllable clock,
and ``FakeNode``, a node that builds and signs its own log with the real ``sync`` code.

Every test that uses central's data directory runs twice: on SQLite and on PostgreSQL (a
throwaway cluster started once per session, a fresh database per test)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from central import create_app
from central.auth import create_api_token
from central.database import record_database
from central.datadir import CentralPaths
from central.enrollment import create_enroll_token
from central.identity import init_central
from central.store.sqlite import SqliteStore
from certs.csr import make_csr
from certs.keys import generate_key
from sync import records
from sync.batches import compress, encode_batch
from sync.httpsig import sign_request
from sync.timefmt import format_ts
from testkit.pgcluster import PgCluster, start_cluster

BASE = "http://localhost"


class Clock:
    """Central's clock in tests: real time at the start, moved only by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def ts_at(seconds: float) -> str:
    return format_ts(datetime.fromtimestamp(seconds, UTC))


class FakeNode:
    """A node's log built in memory with ``sync.records``: genesis, check-ins, anchors."""

    def __init__(self, name: str, clock: Clock, key: Ed25519PrivateKey | None = None) -> None:
        self.name = name
        self.clock = clock
        self.key = key or generate_key()
        self.epoch = secrets.token_hex(16)
        self.records: list[dict[str, Any]] = []
        self.append("genesis", {"node": name})

    def append(
        self,
        type: str,
        body: dict[str, Any],
        *,
        ts: float | None = None,
    ) -> dict[str, Any]:
        seq = len(self.records)
        prev = self.records[-1]["hash"] if self.records else records.ZERO_HASH
        moment = self.clock.now if ts is None else ts
        unsigned = records.build(
            node=self.name,
            epoch=self.epoch,
            seq=seq,
            type=type,
            ts=ts_at(moment),
            mono_us=1_000_000 + seq,
            boot_id="boot-1",
            prev=prev,
            body=body,
        )
        record = records.seal(unsigned, self.key)
        self.records.append(record)
        return record

    def checkin(
        self, nip: str, kind: str = "in", *, ts: float | None = None, **extra: str
    ) -> dict[str, Any]:
        return self.append(
            "checkin",
            {
                "nip": nip,
                "kind": kind,
                "method": "app",
                "device": "dev-12345678",
                "client_ts": None,
                **extra,
            },
            ts=ts,
        )

    def anchor(self, receipt: dict[str, Any]) -> dict[str, Any]:
        return self.append("anchor", {"receipt": receipt})

    def batch(
        self, start: int = 0, stop: int | None = None, recs: list[dict[str, Any]] | None = None
    ) -> bytes:
        chosen = recs if recs is not None else self.records[start:stop]
        clock = {"wall_ts": ts_at(self.clock.now), "mono_us": 5_000_000}
        return encode_batch(self.name, self.epoch, [records.serialize(r) for r in chosen], clock)

    def headers(self, method: str, path: str, body: bytes = b"", **kw: Any) -> dict[str, str]:
        return sign_request(
            method, BASE + path, body, self.key, self.name, created=int(self.clock.now), **kw
        )

    def request(
        self,
        client: FlaskClient,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        signed = self.headers(method, path, body)
        signed.update(headers or {})
        return client.open(path, method=method, data=body, headers=signed)

    def push(
        self, client: FlaskClient, start: int = 0, stop: int | None = None, *, gzip: bool = False
    ) -> TestResponse:
        body = self.batch(start, stop)
        extra = {"Content-Type": "application/json"}
        if gzip:
            body = compress(body)
            extra["Content-Encoding"] = "gzip"
        return self.request(client, "POST", "/api/v1/batches", body, extra)


# The fixtures carry central_ names so that a test of both apps (tests/attacks) imports them
# beside the node's ``app`` and ``client``; central's own tests use the short aliases below.


@pytest.fixture
def central_clock() -> Clock:
    return Clock()


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One PostgreSQL cluster for the session, started on first use, removed at the end."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PgCluster) -> str:
    """A database with central's schema, copied for each test."""
    from central.store.postgresql import PostgresStore

    name = pg_cluster.create_database()
    store = PostgresStore(pg_cluster.url(name))
    try:
        store.migrate()
    finally:
        store.close()
    return name


@pytest.fixture(params=BACKENDS)
def central_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def central_database(central_backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite; for PostgreSQL the URL of a fresh database, dropped afterwards."""
    if central_backend == "sqlite":
        yield None
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    name = cluster.create_database(template=request.getfixturevalue("pg_template"))
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def stored_bytes(
    central_paths: CentralPaths, central_database: str | None, request: pytest.FixtureRequest
) -> Callable[[], bytes]:
    """Everything central's database holds, as bytes: the SQLite file and its WAL, or a
    ``pg_dump``."""

    def read() -> bytes:
        if central_database is None:  # the WAL too: recent writes are still there
            wal = central_paths.db.with_name(central_paths.db.name + "-wal")
            return central_paths.db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        return cluster.dump(central_database.rsplit("/", 1)[1]).encode()

    return read


@pytest.fixture
def central_sql(
    central_paths: CentralPaths,
    central_database: str | None,
) -> Callable[[str], None]:
    """Run one SQL statement on central's database over a new connection, outside the
    store (a test breaking or probing the schema): SQLite or PostgreSQL alike."""

    def run(statement: str) -> None:
        if central_database is None:
            conn = sqlite3.connect(central_paths.db, isolation_level=None)
            try:
                conn.execute(statement)
            finally:
                conn.close()
            return
        import psycopg

        with psycopg.connect(central_database, autocommit=True) as pg:
            pg.execute(statement.encode())

    return run


@pytest.fixture
def central_paths(tmp_path: Path, central_database: str | None) -> CentralPaths:
    paths = CentralPaths(tmp_path / "central")
    if central_database is not None:
        record_database(paths, central_database)
    init_central(paths)
    return paths


@pytest.fixture
def central_app(central_paths: CentralPaths, central_clock: Clock) -> Iterator[Flask]:
    app = create_app({"DATA_DIR": str(central_paths.root), "TESTING": True, "CLOCK": central_clock})
    yield app
    app.extensions["presensi_central"].close()


@pytest.fixture
def central_client(central_app: Flask) -> FlaskClient:
    return central_app.test_client()


@pytest.fixture
def central_store(central_app: Flask) -> SqliteStore:
    svc = central_app.extensions["presensi_central"]
    return svc.store


def enroll(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    name: str,
    key: Ed25519PrivateKey | None = None,
) -> FakeNode:
    node = FakeNode(name, clock, key)
    token = create_enroll_token(store, name, now=clock.now)
    r = client.post(
        "/api/v1/enroll", json={"token": token, "csr": make_csr(node.key, name).decode()}
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    return node


@pytest.fixture
def fake_node(
    central_client: FlaskClient, central_store: SqliteStore, central_clock: Clock
) -> FakeNode:
    return enroll(central_client, central_store, central_clock, "kec-alalak")


@pytest.fixture
def viewer_token(central_store: SqliteStore, central_clock: Clock) -> str:
    return create_api_token(central_store, "viewer", now=central_clock.now)


@pytest.fixture
def admin_token(central_store: SqliteStore, central_clock: Clock) -> str:
    return create_api_token(central_store, "admin", now=central_clock.now)


# --- short names for central's own tests ---------------------------------------------------


@pytest.fixture
def clock(central_clock: Clock) -> Clock:
    return central_clock


@pytest.fixture
def app(central_app: Flask) -> Flask:
    return central_app


@pytest.fixture
def client(central_client: FlaskClient) -> FlaskClient:
    return central_client


@pytest.fixture
def store(central_store: SqliteStore) -> SqliteStore:
    return central_store


@pytest.fixture
def node(fake_node: FakeNode) -> FakeNode:
    return fake_node


def body_json(response: TestResponse) -> Any:
    return json.loads(response.get_data(as_text=True))
