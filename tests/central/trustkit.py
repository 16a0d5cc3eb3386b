"""Helpers for the tests of central's trust in nodes: rosters that name each employee's node,
installed without scrypt for every PIN (one hash shared: PINs are not what these test)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import Flask

from central.identity import CentralIdentity, load_identity
from central.store.rows import Employee
from central.store.sqlite import SqliteStore
from sync.canonical import canonical_bytes
from sync.pins import hash_pin
from sync.rosterdoc import make_roster_doc
from sync.timefmt import WITA, wall_ts

PIN = "246810"


@lru_cache(maxsize=1)
def pin_hash() -> str:
    return hash_pin(PIN)


def nip(index: int, sex: str = "1") -> str:
    """A plausible NIP, distinct for each index below 5,000: born 1980, appointed 2005."""
    born = f"1980{(index // 28) % 12 + 1:02d}{index % 28 + 1:02d}"
    return f"{born}20050{(index // 336) % 9 + 1}{sex}{index % 1000:03d}"


def person(index: int, unit: str, node: str | None, role: str = "staff") -> Employee:
    return Employee(nip(index), f"Pegawai {index}", unit, role, pin_hash(), node)


def install(app: Flask, people: list[Employee], now: float) -> int:
    """Install ``people`` as central's next roster version, as ``roster import`` would."""
    svc = app.extensions["presensi_central"]
    store: SqliteStore = svc.store
    identity: CentralIdentity = svc.identity
    version = store.max_roster_version() + 1
    doc = make_roster_doc(
        central=identity.name,
        version=version,
        issued_ts=wall_ts(now),
        employees=[
            {"nip": e.nip, "name": e.name, "unit": e.unit, "role": e.role, "pin_hash": e.pin_hash}
            for e in people
        ],
        key=identity.key,
    )
    store.install_roster(version, wall_ts(now), canonical_bytes(doc).decode(), people, now)
    return version


def identity_of(app: Flask) -> CentralIdentity:
    svc = app.extensions["presensi_central"]
    return load_identity(svc.paths, svc.store)


def at(day: str, hhmm: str, second: int = 0) -> float:
    """Epoch seconds of ``hhmm`` WITA on ``day``."""
    hour, minute = (int(p) for p in hhmm.split(":"))
    return (
        datetime.fromisoformat(day)
        .replace(hour=hour, minute=minute, second=second, tzinfo=WITA)
        .timestamp()
    )


def csv_rows(text: str) -> list[dict[str, Any]]:
    return list(csv.DictReader(io.StringIO(text)))
