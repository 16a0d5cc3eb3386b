"""Node and central open SQLite the same way, and central's REFERENCES really hold."""

from __future__ import annotations

import sqlite3

import pytest

from central.store.sqlite import CONNECTION_PRAGMAS as CENTRAL_PRAGMAS
from central.store.sqlite import SqliteStore
from local_node.store import CONNECTION_PRAGMAS as NODE_PRAGMAS
from local_node.store import Store


def test_node_and_central_share_one_connection_policy():
    assert NODE_PRAGMAS == CENTRAL_PRAGMAS


def _settings(conn: sqlite3.Connection) -> dict[str, object]:
    return {
        name: conn.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "temp_store")
    }


def test_both_connections_really_get_the_pragmas(tmp_path):
    node = Store(tmp_path / "node.db").connect()
    central = SqliteStore(tmp_path / "central.db").connect()
    try:
        # journal_mode wal, synchronous FULL (2), foreign keys on, 30 s, temp_store MEMORY (2)
        expected = {
            "journal_mode": "wal",
            "synchronous": 2,
            "foreign_keys": 1,
            "busy_timeout": 30000,
            "temp_store": 2,
        }
        assert _settings(node) == expected
        assert _settings(central) == expected
    finally:
        node.close()
        central.close()


def test_central_enforces_its_foreign_keys(tmp_path):
    store = SqliteStore(tmp_path / "central.db")
    store.migrate()
    conn = store.connect()
    try:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO enroll_tokens (token_hash, node, created_at, expires_at)"
                " VALUES ('h', 'no-such-node', 0, 1)"
            )
    finally:
        conn.close()
