"""The SQL of employees' sessions and objections (migration ``003_objections``), written once
for both backends: each function takes an open connection (``sqlite3`` or ``psycopg``, both
have ``execute``) and the placeholder style, so ``SqliteStore`` and ``PostgresStore`` each
call it in one line from their own transaction. No Flask here.

Objections and their decisions are append-only (triggers refuse UPDATE and DELETE); a
decision is one row of ``objection_events`` whose unique ``objection_id`` makes "decided
once" hold across threads, processes and servers (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SQLITE_STATEMENTS = (
    """CREATE TABLE employee_sessions (
        session_hash TEXT PRIMARY KEY, nip TEXT NOT NULL, csrf TEXT NOT NULL,
        created_at REAL NOT NULL, expires_at REAL NOT NULL)""",
    "CREATE INDEX employee_sessions_nip ON employee_sessions (nip)",
    """CREATE TABLE objections (
        id INTEGER PRIMARY KEY, nip TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL,
        reason TEXT NOT NULL, filed_at REAL NOT NULL, proof TEXT,
        verdict TEXT NOT NULL CHECK (verdict IN ('none', 'counted', 'absent', 'invalid')),
        verdict_code TEXT, verdict_detail TEXT,
        node TEXT, epoch TEXT, seq INTEGER, hash TEXT, ts TEXT, kind TEXT)""",
    "CREATE INDEX objections_nip ON objections (nip, day)",
    "CREATE INDEX objections_day ON objections (day)",
    """CREATE TABLE objection_events (
        id INTEGER PRIMARY KEY, objection_id INTEGER NOT NULL REFERENCES objections (id),
        action TEXT NOT NULL CHECK (action IN ('accept', 'reject')),
        decided_by TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL)""",
    "CREATE UNIQUE INDEX objection_events_once ON objection_events (objection_id)",
    """CREATE TRIGGER objections_no_update BEFORE UPDATE ON objections
        BEGIN SELECT RAISE(ABORT, 'objections are append-only'); END""",
    """CREATE TRIGGER objections_no_delete BEFORE DELETE ON objections
        BEGIN SELECT RAISE(ABORT, 'objections are append-only'); END""",
    """CREATE TRIGGER objection_events_no_update BEFORE UPDATE ON objection_events
        BEGIN SELECT RAISE(ABORT, 'objection decisions are append-only'); END""",
    """CREATE TRIGGER objection_events_no_delete BEFORE DELETE ON objection_events
        BEGIN SELECT RAISE(ABORT, 'objection decisions are append-only'); END""",
)

POSTGRES_SCRIPT = """
CREATE TABLE employee_sessions (
    session_hash text PRIMARY KEY, nip text NOT NULL, csrf text NOT NULL,
    created_at double precision NOT NULL, expires_at double precision NOT NULL
);
CREATE INDEX employee_sessions_nip ON employee_sessions (nip);
CREATE TABLE objections (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, nip text NOT NULL, unit text NOT NULL,
    day text COLLATE "C" NOT NULL, reason text NOT NULL, filed_at double precision NOT NULL,
    proof text,
    verdict text NOT NULL CHECK (verdict IN ('none', 'counted', 'absent', 'invalid')),
    verdict_code text, verdict_detail text,
    node text, epoch text, seq bigint, hash text, ts text COLLATE "C", kind text
);
CREATE INDEX objections_nip ON objections (nip, day);
CREATE INDEX objections_day ON objections (day);
CREATE TABLE objection_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    objection_id bigint NOT NULL REFERENCES objections (id),
    action text NOT NULL CHECK (action IN ('accept', 'reject')),
    decided_by text NOT NULL, reason text NOT NULL, at double precision NOT NULL
);
CREATE UNIQUE INDEX objection_events_once ON objection_events (objection_id);
CREATE TRIGGER objections_no_change BEFORE UPDATE OR DELETE ON objections
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER objection_events_no_change BEFORE UPDATE OR DELETE ON objection_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
"""


@dataclass(frozen=True)
class NewObjection:
    """What an employee files: the day, why, and the verified proof (if a file came)."""

    nip: str
    unit: str
    day: str
    reason: str
    filed_at: float
    proof: str | None = None
    verdict: str = "none"  # none (no file), counted, absent, invalid
    verdict_code: str | None = None
    verdict_detail: str | None = None
    node: str | None = None
    epoch: str | None = None
    seq: int | None = None
    hash: str | None = None
    ts: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Objection(NewObjection):
    """A stored objection with its decision, if any."""

    id: int = 0
    decision: str | None = None  # accept, reject or None (open)
    decided_by: str | None = None
    decision_reason: str | None = None
    decided_at: float | None = None


_FIELDS = (
    "nip, unit, day, reason, filed_at, proof, verdict, verdict_code, verdict_detail,"
    " node, epoch, seq, hash, ts, kind"
)
_SELECT = (
    f"SELECT o.{_FIELDS.replace(', ', ', o.')}, o.id, e.action, e.decided_by, e.reason, e.at"
    " FROM objections o LEFT JOIN objection_events e ON e.objection_id = o.id"
)


def _q(sql: str, style: str) -> str:
    """SQLite's ``?`` placeholders, or psycopg's ``%s``."""
    return sql if style == "?" else sql.replace("?", "%s")


def _objection(row: Any) -> Objection:
    return Objection(*row)


def add_objection(conn: Any, style: str, new: NewObjection) -> int:
    row = conn.execute(
        _q(
            f"INSERT INTO objections ({_FIELDS}) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            style,
        ),
        (
            new.nip,
            new.unit,
            new.day,
            new.reason,
            new.filed_at,
            new.proof,
            new.verdict,
            new.verdict_code,
            new.verdict_detail,
            new.node,
            new.epoch,
            new.seq,
            new.hash,
            new.ts,
            new.kind,
        ),
    ).fetchone()
    return int(row[0])


def objection(conn: Any, style: str, objection_id: int) -> Objection | None:
    row = conn.execute(_q(f"{_SELECT} WHERE o.id = ?", style), (objection_id,)).fetchone()
    return _objection(row) if row else None


def objections(
    conn: Any,
    style: str,
    *,
    nip: str | None,
    first_day: str | None,
    last_day: str | None,
    state: str,
) -> list[Objection]:
    """Newest first; ``state`` is ``open``, ``decided`` or ``all``."""
    where, args = ["1 = 1"], []
    if nip is not None:
        where.append("o.nip = ?")
        args.append(nip)
    if first_day is not None and last_day is not None:
        where.append("o.day BETWEEN ? AND ?")
        args.extend([first_day, last_day])
    if state == "open":
        where.append("e.id IS NULL")
    elif state == "decided":
        where.append("e.id IS NOT NULL")
    rows = conn.execute(
        _q(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY o.id DESC LIMIT 1000", style), args
    ).fetchall()
    return [_objection(r) for r in rows]


def accepted_evidence(conn: Any, style: str, first_day: str, last_day: str) -> list[Objection]:
    """Accepted objections whose verified record is genuine (what the recap counts)."""
    rows = conn.execute(
        _q(
            f"{_SELECT} WHERE o.day BETWEEN ? AND ? AND e.action = 'accept'"
            " AND o.verdict IN ('counted', 'absent') AND o.hash IS NOT NULL"
            " ORDER BY o.id",
            style,
        ),
        (first_day, last_day),
    ).fetchall()
    return [_objection(r) for r in rows]


def decide(
    conn: Any, style: str, objection_id: int, action: str, by: str, reason: str, at: float
) -> str:
    """``ok``, ``unknown`` or ``already`` (a decision exists; nothing written)."""
    if (
        conn.execute(_q("SELECT 1 FROM objections WHERE id = ?", style), (objection_id,)).fetchone()
        is None
    ):
        return "unknown"
    row = conn.execute(
        _q(
            "INSERT INTO objection_events (objection_id, action, decided_by,"
            " reason, at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (objection_id) DO NOTHING RETURNING id",
            style,
        ),
        (objection_id, action, by, reason, at),
    ).fetchone()
    return "ok" if row else "already"


def add_employee_session(
    conn: Any, style: str, session_hash: str, nip: str, csrf: str, now: float, expires_at: float
) -> None:
    conn.execute(_q("DELETE FROM employee_sessions WHERE expires_at <= ?", style), (now,))
    conn.execute(
        _q("INSERT INTO employee_sessions VALUES (?, ?, ?, ?, ?)", style),
        (session_hash, nip, csrf, now, expires_at),
    )


def employee_session(
    conn: Any, style: str, session_hash: str, now: float
) -> tuple[str, str] | None:
    """(nip, csrf) of a live session of an employee still on the roster."""
    row = conn.execute(
        _q(
            "SELECT s.nip, s.csrf FROM employee_sessions s JOIN employees e"
            " ON e.nip = s.nip WHERE s.session_hash = ? AND s.expires_at > ?",
            style,
        ),
        (session_hash, now),
    ).fetchone()
    return (str(row[0]), str(row[1])) if row else None


def end_employee_session(conn: Any, style: str, session_hash: str) -> None:
    conn.execute(_q("DELETE FROM employee_sessions WHERE session_hash = ?", style), (session_hash,))
