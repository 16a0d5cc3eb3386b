"""Fixtures for the attack suite: the node fixtures come from tests/conftest.py (``app``,
``client``, ``roster``); central's are tests/central/conftest.py's, imported under their
``central_`` names (``central_app``, ``central_client``, ``fake_node`` ...), so both apps can
be attacked in one test module without fixture clashes."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from central.store.sqlite import SqliteStore
from tests.central.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    Clock,
    FakeNode,
    admin_token,
    central_app,
    central_client,
    central_clock,
    central_paths,
    central_store,
    enroll,
    fake_node,
    viewer_token,
)


@pytest.fixture
def central_backend() -> str:
    """The attacks run on SQLite only (central_counts reads sqlite_master); tests/central
    runs every central test on both backends."""
    return "sqlite"


@pytest.fixture
def central_database() -> None:
    return None


@pytest.fixture
def auth(client: FlaskClient, roster: list[dict[str, str]]) -> dict[str, str]:
    """A signed-in staff member's bearer header on the node."""
    r = client.post("/api/v1/session", json={"nip": roster[0]["nip"], "pin": roster[0]["pin"]})
    assert r.status_code == 201, r.data
    return {"Authorization": f"Bearer {r.json['token']}"}


def central_counts(store: SqliteStore) -> dict[str, int]:
    """Row counts of every central table: 'nothing stored' means these do not change."""
    conn = store.conn()
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
