"""Fixtures for the attack suite: the node fixtures come from tests/conftest.py (``app``,
``client``, ``roster``); central gets its own names here (``central_app``, ``central_client``)
built with the helpers of tests/central/conftest.py, so both apps can be attacked in one test
module without fixture clashes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from central import create_app as create_central
from central.auth import create_api_token
from central.datadir import CentralPaths
from central.identity import init_central
from central.store import SqliteStore
from tests.central.conftest import Clock, FakeNode, enroll


@pytest.fixture
def auth(client: FlaskClient, roster: list[dict[str, str]]) -> dict[str, str]:
    """A signed-in staff member's bearer header on the node."""
    r = client.post("/api/v1/session", json={"nip": roster[0]["nip"], "pin": roster[0]["pin"]})
    assert r.status_code == 201, r.data
    return {"Authorization": f"Bearer {r.json['token']}"}


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
    app = create_central({"DATA_DIR": str(central_paths.root), "TESTING": True,
                          "CLOCK": central_clock})
    yield app
    app.extensions["presensi_central"].close()


@pytest.fixture
def central_client(central_app: Flask) -> FlaskClient:
    return central_app.test_client()


@pytest.fixture
def central_store(central_app: Flask) -> SqliteStore:
    return central_app.extensions["presensi_central"].store  # type: ignore[no-any-return]


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


def central_counts(store: SqliteStore) -> dict[str, int]:
    """Row counts of every central table: 'nothing stored' means these do not change."""
    conn = store.conn()
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
