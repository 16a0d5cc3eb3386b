"""The roster on the node: who may check in here, and their PIN hashes.

A roster is installed in one transaction together with its ``roster`` log record, through the
log writer, so the log always says which roster was in force.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sync.pins import hash_pin, verify_pin
from sync.rostercsv import RosterRow, parse_roster_csv

from .log_commit import Sql
from .store import Store
from .writer import Appender


@dataclass(frozen=True)
class Employee:
    nip: str
    name: str
    unit: str
    role: str
    pin_hash: str


def hash_rows(rows: Iterable[RosterRow], known: dict[str, str] | None = None) -> list[Employee]:
    """Hash every PIN (scrypt releases the GIL, so two threads use both cores).

    A PIN that matches the hash in ``known`` (NIP -> hash) keeps that hash: a new hash would
    read as a changed PIN and end the employee's sessions (``install``).
    """
    rows = list(rows)
    known = known or {}

    def one(row: RosterRow) -> str:
        old = known.get(row.nip)
        return old if old and verify_pin(row.pin, old) else hash_pin(row.pin)

    with ThreadPoolExecutor(max_workers=2) as pool:
        hashes = list(pool.map(one, rows))
    return [Employee(r.nip, r.name, r.unit, r.role, h) for r, h in zip(rows, hashes, strict=True)]


def install(writer: Appender, employees: list[Employee], body: dict[str, Any]) -> dict[str, Any]:
    """Replace the employees table and append the ``roster`` record, atomically; sessions of
    NIPs that left or whose PIN hash changed end in the same transaction."""

    replace = (
        *(Sql(sql) for sql in Store.ROSTER_SESSIONS_BEFORE),
        Sql("DELETE FROM employees"),
        Sql(
            "INSERT INTO employees (nip, name, unit, role, pin_hash) VALUES (?, ?, ?, ?, ?)",
            [(e.nip, e.name, e.unit, e.role, e.pin_hash) for e in employees],
            many=True,
        ),
        # An office-local PIN reset (the admin page) outlives a roster with the same central
        # hash; applied before the session check, so it does not end its owner's sessions.
        *(Sql(sql) for sql in Store.ROSTER_PIN_OVERRIDES),
        # Sessions of people no longer on the roster, or whose PIN changed, end with it.
        *(Sql(sql) for sql in Store.ROSTER_SESSIONS_AFTER),
    )
    record, _, _ = writer.append("roster", body, apply=replace, timeout=120)
    # Committed: tell the session caches of every process (local_node/sessions.py).
    writer.store.ring_sessions_bell()
    return record


def import_csv(writer: Appender, data: bytes, *, source: str) -> dict[str, Any]:
    """Validate a roster CSV (all rows or none) and install it; return the roster record."""
    rows = parse_roster_csv(data)
    known = {e.nip: e.pin_hash for e in all_employees(writer.store)}
    employees = hash_rows(rows, known)
    digest = hashlib.sha256(data).hexdigest()
    body = {
        "version": f"local-{digest[:16]}",
        "source": "csv",
        "file": source[-120:],
        "sha256": digest,
        "count": len(employees),
    }
    return install(writer, employees, body)


def find(store: Store, nip: str) -> Employee | None:
    row = (
        store.conn()
        .execute("SELECT nip, name, unit, role, pin_hash FROM employees WHERE nip = ?", (nip,))
        .fetchone()
    )
    return Employee(*row) if row else None


def all_employees(store: Store) -> list[Employee]:
    rows = store.conn().execute("SELECT nip, name, unit, role, pin_hash FROM employees")
    return [Employee(*row) for row in rows]


def unit_members(store: Store, unit: str) -> list[Employee]:
    """The employees of one unit, heads first, then by name."""
    rows = store.conn().execute(
        "SELECT nip, name, unit, role, pin_hash FROM employees WHERE unit = ?"
        " ORDER BY role != 'head', name, nip",
        (unit,),
    )
    return [Employee(*row) for row in rows]


def roster_bodies(store: Store) -> Iterator[dict[str, Any]]:
    """Bodies of the log's ``roster`` records, newest first."""
    rows = store.conn().execute("SELECT record FROM log WHERE type = 'roster' ORDER BY seq DESC")
    for (text,) in rows:
        yield json.loads(text)["body"]


def current_version(store: Store) -> str | None:
    """The version of the roster in force (the newest ``roster`` record), or None."""
    body = next(roster_bodies(store), None)
    return None if body is None else str(body.get("version"))
