"""PostgreSQL's migrations follow SQLite's: same names in the same order, same data moves."""

from __future__ import annotations

import time

import pytest

from central.auth import hash_token
from central.store import pg_schema as pgschema
from central.store import sqlite_schema as store
from central.store.postgresql import PostgresStore
from testkit.pgcluster import PgCluster


def test_both_backends_have_the_same_migrations_in_the_same_order() -> None:
    # /healthz compares the database with its backend's list: a migration added to one
    # backend only would leave the other serving an old schema.
    assert [name for name, _ in pgschema.MIGRATIONS] == [name for name, _ in store.MIGRATIONS]


def test_tokens_made_before_accounts_get_the_machine_account_and_an_expiry(
    pg_cluster: PgCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = pg_cluster.create_database()
    before = [m for m in pgschema.MIGRATIONS if m[0] != "002_accounts_and_audit"]
    monkeypatch.setattr(pgschema, "MIGRATIONS", before)
    pg = PostgresStore(pg_cluster.url(name))
    try:
        pg.migrate()
        with pg._write() as conn:
            conn.execute(
                "INSERT INTO api_tokens VALUES (%s, 'admin', %s)",
                (hash_token("pct_old"), time.time() - 400 * 86400),
            )
        monkeypatch.undo()
        assert pg.migrate() == ["002_accounts_and_audit"]
        row = pg.api_token(hash_token("pct_old"))
        assert row is not None and row.account == "mesin-api" and row.revoked_at is None
        assert row.expires_at == pytest.approx(time.time() + 90 * 86400, abs=60)
        assert pg.api_token_role(hash_token("pct_old")) == "admin"
        assert sorted(pg.known_migrations()) == pg.applied_migrations()
    finally:
        pg.close()
        pg_cluster.drop_database(name)
