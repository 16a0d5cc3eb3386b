"""Node databases as each released schema version left them, for the upgrade tests.

``tests/node/released/NAME/`` holds what a node running the release whose newest migration is
``NAME`` had on disk: ``node.sql`` (the database as SQL text, diffable, with its
``_migrations`` rows), ``node.pem`` and ``node.key`` (a test-only identity; it signs nothing
real) and ``ca.pem``. When a release adds a node migration, run, on that release's code::

    PYTHONPATH=$PWD .venv/bin/python -m tests.node.schema_releases

which writes the directory for the newest migration; commit it. Never edit an old one: it is
what nodes in the field hold.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

from certs.authority import cert_pem, init_ca, issue_from_csr
from certs.keys import write_pem
from local_node.config import load_config
from local_node.datadir import NodePaths
from local_node.identity import init_node, load_identity
from local_node.service import NodeService
from local_node.store import MIGRATIONS
from sync.demo_roster import make_roster, roster_csv

RELEASED = Path(__file__).resolve().parent / "released"


def restore(release: Path, paths: NodePaths) -> None:
    """A node data directory holding the released database and its identity."""
    for sub in ("keys", "certs"):
        (paths.root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = sqlite3.connect(paths.db, isolation_level=None)
    try:
        conn.executescript((release / "node.sql").read_text(encoding="utf-8"))
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    paths.key.write_bytes((release / "node.key").read_bytes())
    paths.key.chmod(0o600)
    paths.cert.write_bytes((release / "node.pem").read_bytes())
    paths.ca.write_bytes((release / "ca.pem").read_bytes())


def build(dest: Path) -> None:
    """Write ``dest``: a node of this code with a roster, check-ins, a session and sync state."""
    from local_node import roster

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ca = init_ca(root / "ca")
        paths = NodePaths(root / "kec-released")
        init_node(paths, "kec-released", boot_id="release-fixture")
        write_pem(paths.cert, issue_from_csr(ca, paths.csr.read_bytes()))
        write_pem(paths.ca, cert_pem(ca.cert))
        svc = NodeService(
            {**load_config(paths.root), "WRITE_BOOT_RECORD": True},
            paths,
            load_identity(paths, "kec-released"),
        )
        svc.start()
        try:
            people = make_roster(6, seed=17)
            roster.import_csv(svc.writer, roster_csv(people), source="release-fixture.csv")
            for person in people:
                for kind in ("in", "out"):
                    svc.append(
                        "checkin",
                        {
                            "nip": person["nip"],
                            "kind": kind,
                            "method": "app",
                            "device": "release-device-1",
                            "client_ts": None,
                        },
                        nip=person["nip"],
                    )
            svc.store.conn().execute(
                "INSERT INTO sync_state (key, value) VALUES ('central_seq', '3')"
            )
        finally:
            svc.close()
        conn = sqlite3.connect(paths.db)
        try:
            sql = "\n".join(conn.iterdump()) + "\n"
        finally:
            conn.close()
        dest.mkdir(parents=True)
        (dest / "node.sql").write_text(sql, encoding="utf-8")
        (dest / "node.key").write_bytes(paths.key.read_bytes())
        (dest / "node.pem").write_bytes(paths.cert.read_bytes())
        (dest / "ca.pem").write_bytes(paths.ca.read_bytes())


if __name__ == "__main__":
    target = RELEASED / MIGRATIONS[-1][0]
    if target.exists():
        sys.exit(f"{target} exists: a released schema is never rewritten")
    build(target)
    print(f"wrote {target}")
