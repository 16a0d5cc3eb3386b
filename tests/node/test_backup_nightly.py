"""``presensi-node backup --dir D --keep N --verify``: what the nightly timer runs. A dated,
private copy of the log that verifies; old copies deleted only after a new one verified; a
copy of a tampered log is refused and nothing is pruned. Real CLI processes, real files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from local_node.backups import STAMP_FORMAT
from local_node.datadir import NodePaths
from local_node.store import Store
from testkit.factories import NodeProcess, run_cli, sign_in


def _backup(paths: NodePaths, directory: Path, *extra: str, check: bool = True):
    return run_cli(
        "local_node",
        "backup",
        "--data",
        str(paths.root),
        "--dir",
        str(directory),
        *extra,
        check=check,
    )


def _old_name(node: str, days: float) -> str:
    stamp = (datetime.now(UTC) - timedelta(days=days)).strftime(STAMP_FORMAT)
    return f"node-{node}-{stamp}.db"


def _head(db: Path) -> tuple[int, str] | None:
    store = Store(db)
    try:
        return store.head()
    finally:
        store.close()


def test_backup_verifies_and_prunes_only_old_copies(node_paths: NodePaths, roster, tmp_path):
    out = tmp_path / "backups"
    first = _backup(node_paths, out, "--keep", "3", "--verify").stdout
    assert "verified" in first
    [made] = list(out.iterdir())
    assert made.name.startswith("kec-alalak-", len("node-"))
    assert made.stat().st_mode & 0o777 == 0o600
    assert _head(made) == _head(node_paths.db)
    run_cli("local_node", "verify", "--data", str(node_paths.root))
    # Four older backups of this node, one of another node, one stray file.
    for days in (1, 2.5, 4, 30):
        shutil.copy(made, out / _old_name("kec-alalak", days))
    shutil.copy(made, out / _old_name("kec-other", 30))
    (out / "notes.txt").write_text("keep me")
    _backup(node_paths, out, "--keep", "3", "--verify")
    names = sorted(p.name for p in out.iterdir())
    kept_old = [n for n in names if n.startswith("node-kec-alalak-")]
    assert len(kept_old) == 4  # two new ones, the 1- and 2.5-day-old copies
    assert any(n.startswith("node-kec-other-") for n in names)  # not this node's
    assert "notes.txt" in names


def _tamper(paths: NodePaths) -> None:
    conn = sqlite3.connect(paths.db, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER log_no_update")
        text = conn.execute("SELECT record FROM log WHERE seq = 1").fetchone()[0]
        rec = json.loads(text)
        rec["ts"] = rec["ts"].replace(rec["ts"][:4], str(int(rec["ts"][:4]) - 1))
        conn.execute("UPDATE log SET record = ? WHERE seq = 1", (json.dumps(rec),))
    finally:
        conn.close()


def test_a_copy_that_does_not_verify_prunes_nothing(node_paths: NodePaths, roster, tmp_path):
    out = tmp_path / "backups"
    out.mkdir()
    old = out / _old_name("kec-alalak", 30)
    shutil.copy(node_paths.db, old)
    _tamper(node_paths)
    result = _backup(node_paths, out, "--keep", "3", "--verify", check=False)
    assert result.returncode == 2
    assert "does not verify" in result.stderr and "seq 1" in result.stderr
    assert old.exists(), "the old good copy must survive a failed run"
    failed = [p for p in out.iterdir() if p.name.endswith(".db.failed")]
    assert len(failed) == 1


def test_backup_while_the_node_takes_checkins(node_paths: NodePaths, roster, tmp_path):
    node = NodeProcess(node_paths).start()
    stop = threading.Event()
    made: list[int] = []
    try:
        token = sign_in(node.url, roster[0]["nip"], roster[0]["pin"])

        def keep_checking_in() -> None:
            while not stop.is_set():
                r = requests.post(
                    node.url + "/api/v1/checkins",
                    json={"kind": "in"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                assert r.status_code == 201, r.text
                made.append(r.json()["seq"])

        writer = threading.Thread(target=keep_checking_in)
        writer.start()
        try:
            for _ in range(3):
                _backup(node_paths, tmp_path / "backups", "--keep", "7", "--verify")
        finally:
            stop.set()
            writer.join(30)
    finally:
        node.kill()
    assert made, "no check-in was answered during the backups"
    backups = sorted((tmp_path / "backups").iterdir())
    assert len(backups) == 3
    for path in backups:
        assert path.suffix == ".db", path


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dir", "B", "--keep", "3"], "--keep needs --verify"),
        (["--dir", "B", "--keep", "0", "--verify"], "at least 1 day"),
        (["--out", "B/x.db", "--keep", "3"], "go with --dir"),
        (["--out", "B/x.db", "--verify"], "go with --dir"),
        (["--out", "B/x.db", "--dir", "B"], "not allowed with argument"),
        ([], "one of the arguments --out --dir is required"),
    ],
)
def test_bad_backup_arguments(node_paths: NodePaths, tmp_path, args, message):
    args = [a.replace("B", str(tmp_path / "b")) if a.startswith("B") else a for a in args]
    result = run_cli("local_node", "backup", "--data", str(node_paths.root), *args, check=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())
    assert os.path.exists(node_paths.db)
