"""``presensi-node backup --out`` never overwrites and never touches another file (issue 13
item 10): a file that appears at the target while the copy runs survives, a pre-existing
``<out>.partial`` survives, and of eight concurrent backups to one name exactly one wins."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from local_node.datadir import NodePaths
from local_node.errors import StorageError
from local_node.store import Store
from testkit.factories import PY, REPO, run_cli


class _AppearsDuringCopy:
    """A source connection whose backup lets another process create the target first: the
    race between the existence check and the final rename, made to happen every time."""

    def __init__(self, conn: sqlite3.Connection, target: Path) -> None:
        self._conn = conn
        self._target = target

    def backup(self, dst: sqlite3.Connection, **kw: Any) -> None:
        self._target.write_text("the other process's file")
        self._conn.backup(dst, **kw)

    def close(self) -> None:
        self._conn.close()


def test_a_target_created_during_the_copy_is_not_overwritten(
    node_paths: NodePaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "backup.db"
    store = Store(node_paths.db)
    real = store.connect
    monkeypatch.setattr(store, "connect", lambda **kw: _AppearsDuringCopy(real(**kw), target))
    with pytest.raises(StorageError, match="already exists"):
        store.backup(target)
    assert target.read_text() == "the other process's file"
    assert [p.name for p in target.parent.iterdir()] == ["backup.db"], "a temporary file stayed"


def test_an_existing_partial_file_is_left_alone(node_paths: NodePaths, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    partial = tmp_path / "backup.db.partial"
    partial.write_text("someone else's half-copied file")
    run_cli("local_node", "backup", "--data", str(node_paths.root), "--out", str(target))
    assert partial.read_text() == "someone else's half-copied file"
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM log").fetchone()[0] >= 1
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_concurrent_backups_to_one_name_one_wins(node_paths: NodePaths, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"

    def one(_: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                PY,
                "-m",
                "local_node",
                "backup",
                "--data",
                str(node_paths.root),
                "--out",
                str(target),
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
        )

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    assert sorted(r.returncode for r in results) == [0] + [2] * 7, [r.stderr for r in results]
    for r in results:
        if r.returncode:
            assert r.stderr.startswith("error: ") and "already exists" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == ["backup.db"]
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM log").fetchone()[0] >= 1
