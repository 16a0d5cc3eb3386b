"""Read-only views of a node's log and of what central holds, and their comparison."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .staff import Ack


def _ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def node_hashes(db: Path) -> dict[int, str]:
    """seq -> hash of every row of a node's log."""
    conn = _ro(db)
    try:
        return dict(conn.execute("SELECT seq, hash FROM log").fetchall())
    finally:
        conn.close()


def node_epoch(db: Path) -> str:
    conn = _ro(db)
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()[0])
    finally:
        conn.close()


def central_rows(db: Path, node: str, epoch: str | None = None) -> list[tuple[int, str]]:
    """(seq, hash) of every record central stores for ``node`` (one epoch, or all)."""
    conn = _ro(db)
    try:
        sql = "SELECT seq, hash FROM records WHERE node = ?"
        args: list[str] = [node]
        if epoch is not None:
            sql += " AND epoch = ?"
            args.append(epoch)
        return [(int(s), str(h)) for s, h in conn.execute(sql + " ORDER BY seq", args)]
    finally:
        conn.close()


def central_query(db: Path, sql: str, args: Iterable[object] = ()) -> list[tuple[Any, ...]]:
    conn = _ro(db)
    try:
        return list(conn.execute(sql, tuple(args)).fetchall())
    finally:
        conn.close()


@dataclass
class Comparison:
    lost: int  # acknowledged check-ins central does not hold with the same hash
    duplicated: int  # records central holds more than once (same seq or same hash)
    missing: int  # node records central lacks (beyond the acknowledged ones)
    extra: int  # records central holds that the node's log does not
    central_count: int
    node_count: int

    @property
    def exact(self) -> bool:
        return self.missing == 0 and self.extra == 0 and self.duplicated == 0


def compare(
    node_db: Path,
    central_db: Path,
    node: str,
    acked: list[Ack],
    *,
    ignore_tail_anchors: bool = True,
) -> Comparison:
    """Central against the node's log and the acknowledged check-ins.

    The node's trailing anchors are pushed with the next batch of real records (see
    local_node/log_push.py), so a log whose unsent tail is only anchors counts as in sync.
    """
    mine = node_hashes(node_db)
    epoch = node_epoch(node_db)
    held = central_rows(central_db, node, epoch)
    seqs = [s for s, _ in held]
    hashes = [h for _, h in held]
    duplicated = (len(seqs) - len(set(seqs))) + (len(hashes) - len(set(hashes)))
    at_central = dict(held)
    lost = sum(1 for a in acked if at_central.get(a.seq) != a.hash)
    if ignore_tail_anchors and mine:
        conn = _ro(node_db)
        try:
            types = dict(conn.execute("SELECT seq, type FROM log").fetchall())
        finally:
            conn.close()
        top = max(mine)
        while top in mine and types.get(top) == "anchor" and top not in at_central:
            del mine[top]
            top -= 1
    missing = sum(1 for s, h in mine.items() if at_central.get(s) != h)
    extra = sum(1 for s, h in at_central.items() if mine.get(s) != h)
    return Comparison(lost, duplicated, missing, extra, len(held), len(mine))
