"""Fixtures for the attack suite: the node fixtures come from tests/conftest.py (``app``,
``client``, ``roster``); central's are tests/central/conftest.py's, imported under their
``central_`` names (``central_app``, ``central_client``, ``fake_node`` ...), so both apps can
be attacked in one test module without fixture clashes."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from central.store.protocol import CentralStore
from central.store.sqlite import SqliteStore
from tests.central.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    Clock,
    FakeNode,
    admin_token,
    central_app,
    central_backend,
    central_client,
    central_clock,
    central_database,
    central_paths,
    central_store,
    enroll,
    fake_node,
    pg_cluster,
    pg_template,
    stored_bytes,
    viewer_token,
)


@pytest.fixture
def auth(client: FlaskClient, roster: list[dict[str, str]]) -> dict[str, str]:
    """A signed-in staff member's bearer header on the node."""
    r = client.post("/api/v1/session", json={"nip": roster[0]["nip"], "pin": roster[0]["pin"]})
    assert r.status_code == 201 and r.json is not None, r.data
    return {"Authorization": f"Bearer {r.json['token']}"}


def central_counts(store: CentralStore) -> dict[str, int]:
    """Row counts of every central table: 'nothing stored' means these do not change.
    The attacks on central run on both backends (``central_backend``, as tests/central)."""
    if isinstance(store, SqliteStore):
        conn = store.conn()
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    with store._read() as pg:  # type: ignore[attr-defined]
        tables = [
            r[0]
            for r in pg.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        return {t: pg.execute(f'SELECT count(*) FROM "{t}"'.encode()).fetchone()[0] for t in tables}
