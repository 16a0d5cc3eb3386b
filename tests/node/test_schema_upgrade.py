"""The upgrade path keeps the log: a node database from every released schema version (and
from every state between migrations) migrates to the current schema with every record
byte-for-byte the same, still verifying, and the upgraded node keeps appending.

``tests/node/released/NAME/`` is the database a release whose newest migration is NAME left
on disk (tests/node/schema_releases.py says how one is made at release time).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from local_node.audit import verify_database
from local_node.backups import node_public_key
from local_node.config import load_config
from local_node.datadir import NodePaths
from local_node.identity import load_identity
from local_node.service import NodeService
from local_node.store import MIGRATIONS, Store
from testkit.factories import run_cli
from tests.node.schema_releases import RELEASED, restore

RELEASES = sorted(p.name for p in RELEASED.iterdir() if (p / "node.sql").exists())
NAMES = [name for name, _ in MIGRATIONS]
# The tables and columns every schema since 001_initial has: what an old node's log is.
LOG_COLUMNS = "seq, type, ts, hash, nip, day, record"


def _log_rows(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT {LOG_COLUMNS} FROM log ORDER BY seq").fetchall()
    finally:
        conn.close()


def _applied(db: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]
    finally:
        conn.close()


def _still_works(paths: NodePaths, before: list[tuple[object, ...]]) -> None:
    """Same records, the whole log verifies, and the current code appends after them."""
    assert _log_rows(paths.db)[: len(before)] == before
    verify_database(paths.db, node_public_key(paths))
    svc = NodeService(
        {**load_config(paths.root), "WRITE_BOOT_RECORD": True},
        paths,
        load_identity(paths, paths.root.name),
    )
    svc.start()
    try:
        record, _, _ = svc.append(
            "checkin",
            {
                "nip": "198501012010011001",
                "kind": "in",
                "method": "app",
                "device": "upgrade-test-01",
                "client_ts": None,
            },
            nip="198501012010011001",
        )
    finally:
        svc.close()
    assert record["seq"] == len(before) + 1  # after the boot record
    after = _log_rows(paths.db)
    assert after[: len(before)] == before
    out = run_cli("local_node", "verify", "--data", str(paths.root)).stdout
    assert out.startswith(f"OK: {len(before) + 2} records")


def test_the_first_release_is_kept() -> None:
    assert NAMES[0] in RELEASES
    assert set(RELEASES) <= set(NAMES), "a release fixture names a migration that is gone"


@pytest.mark.parametrize("release", RELEASES)
def test_released_database_upgrades(tmp_path: Path, release: str) -> None:
    paths = NodePaths(tmp_path / "kec-released")
    restore(RELEASED / release, paths)
    done = NAMES[: NAMES.index(release) + 1]
    assert _applied(paths.db) == done
    before = _log_rows(paths.db)
    assert len(before) > 10
    assert Store(paths.db).migrate() == NAMES[len(done) :]
    assert _applied(paths.db) == sorted(NAMES)
    assert Store(paths.db).migrate() == []  # a second start changes nothing
    _still_works(paths, before)
    # The same directory through the real command line: status reads it, serve's check too.
    run_cli("local_node", "status", "--data", str(paths.root), "--json")


@pytest.mark.parametrize("stop", range(1, len(MIGRATIONS) + 1))
def test_every_intermediate_schema_upgrades(tmp_path: Path, stop: int) -> None:
    """A database left after the first ``stop`` migrations, holding the oldest release's log
    (the log's columns never change), migrates the rest of the way."""
    paths = NodePaths(tmp_path / "kec-released")
    restore(RELEASED / RELEASES[0], paths)
    source = _log_rows(paths.db)
    meta = sqlite3.connect(paths.db).execute("SELECT key, value FROM meta").fetchall()
    paths.db.unlink()
    conn = sqlite3.connect(paths.db, isolation_level=None)
    try:
        conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at REAL)")
        db = sqlite_utils.Database(conn)
        for name, step in MIGRATIONS[:stop]:
            step(db)
            conn.execute("INSERT INTO _migrations VALUES (?, 0)", (name,))
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta)
        conn.executemany(f"INSERT INTO log ({LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", source)
    finally:
        conn.close()
    assert Store(paths.db).migrate() == NAMES[stop:]
    _still_works(paths, source)


def test_a_failing_migration_leaves_the_old_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that dies half way rolls back: the node still has its old schema and
    its whole log, and the next start tries again."""
    paths = NodePaths(tmp_path / "kec-released")
    restore(RELEASED / RELEASES[0], paths)
    before = _log_rows(paths.db)

    def broken(db: sqlite_utils.Database) -> None:
        db.execute("CREATE TABLE upgrade_probe (x INTEGER)")
        raise RuntimeError("power cut in the middle of the migration")

    monkeypatch.setattr("local_node.store.MIGRATIONS", [*MIGRATIONS, ("999_broken", broken)])
    with pytest.raises(RuntimeError, match="power cut"):
        Store(paths.db).migrate()
    conn = sqlite3.connect(paths.db)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    assert "upgrade_probe" not in tables
    assert "999_broken" not in _applied(paths.db)
    assert _log_rows(paths.db) == before
    monkeypatch.undo()
    assert Store(paths.db).migrate() == NAMES[len(_applied(paths.db)) :]
    _still_works(paths, before)
