"""Fixtures for central: a fresh data directory per test, the app on a controllable clock,
and ``FakeNode``, a node that builds and signs its own log with the real ``sync`` code."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
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
from central.datadir import CentralPaths
from central.enrollment import create_enroll_token
from central.identity import init_central
from central.store import SqliteStore
from certs.csr import make_csr
from certs.keys import generate_key
from sync import records
from sync.batches import compress, encode_batch
from sync.httpsig import sign_request
from sync.timefmt import format_ts

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

    def append(self, type: str, body: dict[str, Any], *, ts: float | None = None,
               ) -> dict[str, Any]:
        seq = len(self.records)
        prev = self.records[-1]["hash"] if self.records else records.ZERO_HASH
        moment = self.clock.now if ts is None else ts
        unsigned = records.build(node=self.name, epoch=self.epoch, seq=seq, type=type,
                                 ts=ts_at(moment), mono_us=1_000_000 + seq, boot_id="boot-1",
                                 prev=prev, body=body)
        record = records.seal(unsigned, self.key)
        self.records.append(record)
        return record

    def checkin(self, nip: str, kind: str = "in", *, ts: float | None = None,
                **extra: str) -> dict[str, Any]:
        return self.append("checkin", {"nip": nip, "kind": kind, "method": "app",
                                       "device": "dev-12345678", "client_ts": None, **extra},
                           ts=ts)

    def anchor(self, receipt: dict[str, Any]) -> dict[str, Any]:
        return self.append("anchor", {"receipt": receipt})

    def batch(self, start: int = 0, stop: int | None = None,
              recs: list[dict[str, Any]] | None = None) -> bytes:
        chosen = recs if recs is not None else self.records[start:stop]
        clock = {"wall_ts": ts_at(self.clock.now), "mono_us": 5_000_000}
        return encode_batch(self.name, self.epoch, [records.serialize(r) for r in chosen],
                            clock)

    def headers(self, method: str, path: str, body: bytes = b"", **kw: Any) -> dict[str, str]:
        return sign_request(method, BASE + path, body, self.key, self.name,
                            created=int(self.clock.now), **kw)

    def request(self, client: FlaskClient, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> TestResponse:
        signed = self.headers(method, path, body)
        signed.update(headers or {})
        return client.open(path, method=method, data=body, headers=signed)

    def push(self, client: FlaskClient, start: int = 0, stop: int | None = None, *,
             gzip: bool = False) -> TestResponse:
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


@pytest.fixture
def central_paths(tmp_path: Path) -> CentralPaths:
    paths = CentralPaths(tmp_path / "central")
    init_central(paths)
    return paths


@pytest.fixture
def central_app(central_paths: CentralPaths, central_clock: Clock) -> Iterator[Flask]:
    app = create_app({"DATA_DIR": str(central_paths.root), "TESTING": True,
                      "CLOCK": central_clock})
    yield app
    app.extensions["presensi_central"].close()


@pytest.fixture
def central_client(central_app: Flask) -> FlaskClient:
    return central_app.test_client()


@pytest.fixture
def central_store(central_app: Flask) -> SqliteStore:
    svc = central_app.extensions["presensi_central"]
    return svc.store  # type: ignore[no-any-return]


def enroll(client: FlaskClient, store: SqliteStore, clock: Clock, name: str,
           key: Ed25519PrivateKey | None = None) -> FakeNode:
    node = FakeNode(name, clock, key)
    token = create_enroll_token(store, name, now=clock.now)
    r = client.post("/api/v1/enroll", json={"token": token,
                                            "csr": make_csr(node.key, name).decode()})
    assert r.status_code == 201, r.get_data(as_text=True)
    return node


@pytest.fixture
def fake_node(central_client: FlaskClient, central_store: SqliteStore,
              central_clock: Clock) -> FakeNode:
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
