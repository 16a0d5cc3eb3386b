"""Per node and per hour, the latest backlog and clock offset a node reported at ingest
(migration ``003_node_history``), kept ``KEEP_DAYS`` days for the nodes page's pictures.

Both store backends call these with their own connection and placeholder (``?`` for SQLite,
``%s`` for PostgreSQL), so the SQL is written once. The row is written inside the batch's own
ingest transaction: a refused or rolled-back batch leaves no point.

``backlog``: records the node held beyond the end of this batch when it sent it (its head seq
minus the batch's last seq, from the batch's optional ``head_seq``); None when the node did not
say (an older node). ``offset_ms``: central's clock minus the node's wall clock when the batch
arrived (positive: the node's clock is behind).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KEEP_DAYS = 35
HOUR_S = 3600

_UPSERT = (
    "INSERT INTO node_history (node, hour, backlog, offset_ms, seen_at)"
    " VALUES ({p}, {p}, {p}, {p}, {p})"
    " ON CONFLICT (node, hour) DO UPDATE SET"
    " backlog = COALESCE(excluded.backlog, node_history.backlog),"
    " offset_ms = COALESCE(excluded.offset_ms, node_history.offset_ms),"
    " seen_at = excluded.seen_at"
)
_PRUNE = "DELETE FROM node_history WHERE node = {p} AND hour < {p}"
_READ = (
    "SELECT node, hour, backlog, offset_ms FROM node_history WHERE hour >= {p} ORDER BY node, hour"
)

SQLITE_TABLE = """
CREATE TABLE node_history (
    node TEXT NOT NULL,
    hour INTEGER NOT NULL,          -- epoch seconds at the start of the hour (UTC)
    backlog INTEGER,
    offset_ms INTEGER,
    seen_at REAL NOT NULL,
    PRIMARY KEY (node, hour)
);
"""

PG_TABLE = """
CREATE TABLE node_history (
    node text NOT NULL,
    hour bigint NOT NULL,
    backlog bigint,
    offset_ms bigint,
    seen_at double precision NOT NULL,
    PRIMARY KEY (node, hour)
);
"""


@dataclass(frozen=True)
class NodeHour:
    node: str
    hour: int  # epoch seconds at the start of the hour
    backlog: int | None
    offset_ms: int | None


def note_hour(
    conn: Any,
    p: str,
    node: str,
    now: float,
    backlog: int | None,
    offset_ms: int | None,
    pruned: dict[str, int],
    keep_days: int = KEEP_DAYS,
) -> None:
    """Keep the latest figures of this hour for ``node``; drop its hours older than
    ``keep_days`` (by its primary key) when ``pruned``, the store's memo of the hour each
    node's old rows were last dropped in, holds another hour for it. The delete then runs
    once per node and hour in each server process, not in every batch's transaction (a node
    at the peak pushes every second or two); a batch rolled back after its delete only leaves
    the old rows until the next hour."""
    hour = int(now // HOUR_S) * HOUR_S
    conn.execute(_UPSERT.format(p=p), (node, hour, backlog, offset_ms, now))
    if pruned.get(node) != hour:
        conn.execute(_PRUNE.format(p=p), (node, hour - keep_days * 86400))
        pruned[node] = hour


def read_history(conn: Any, p: str, since: float) -> list[NodeHour]:
    rows = conn.execute(_READ.format(p=p), (int(since // HOUR_S) * HOUR_S,)).fetchall()
    return [NodeHour(r[0], int(r[1]), r[2], r[3]) for r in rows]


def batch_backlog(batch: dict[str, Any]) -> int | None:
    """What the node still held after this batch, from its optional ``head_seq`` (ignored
    unless a whole number at or after the batch's last seq: a lie here only draws a line)."""
    head = batch.get("head_seq")
    records = batch.get("records") or []
    last = records[-1].get("seq") if records and isinstance(records[-1], dict) else None
    if (
        not isinstance(head, int)
        or isinstance(head, bool)
        or not isinstance(last, int)
        or isinstance(last, bool)
        or not last <= head < 2**53
    ):
        return None
    return head - last
