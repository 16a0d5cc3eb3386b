"""The regency's roster at central: CSV import, generated PINs, signed versions.

``roster import`` validates the whole file first (``sync.rostercsv``: all rows or none).
An empty ``pin`` means "central decides": an employee already on the roster keeps the PIN
hash they have (a monthly re-import must not change everyone's PIN); a new employee gets a
random PIN, written to a slip file (mode 0600) for the unit to hand out. Each import becomes
a new roster document, signed with central's key, which nodes pull.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sync.canonical import canonical_bytes
from sync.pins import generate_pin, hash_pin
from sync.rostercsv import RosterRow, parse_roster_csv
from sync.rosterdoc import make_roster_doc
from sync.timefmt import wall_ts

from .errors import CentralError
from .identity import CentralIdentity
from .store.protocol import CentralStore
from .store.rows import Employee


@dataclass(frozen=True)
class ImportResult:
    version: int
    count: int
    generated: int
    kept: int
    slips: Path | None


def default_slips_path(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.stem + ".slips.csv")


def _hash_all(pins: list[str]) -> list[str]:
    """scrypt releases the GIL, so two threads use both cores of the server."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(hash_pin, pins))


def _write_slips(path: Path, rows: Iterable[tuple[RosterRow, str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["nip", "name", "unit", "pin"])
    for row, pin in rows:
        writer.writerow([row.nip, row.name, row.unit, pin])
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(out.getvalue())


def import_roster(
    store: CentralStore, identity: CentralIdentity, data: bytes, *, slips: Path, now: float
) -> ImportResult:
    """Validate ``data`` (CSV), build and sign the next roster version and install it.

    Raises RosterFileError (every bad line listed) or CentralError; nothing changes then.
    """
    rows = parse_roster_csv(data, allow_empty_pin=True)
    known = {e.nip: e.pin_hash for e in store.employees()}
    generated: list[tuple[RosterRow, str]] = []
    to_hash: list[tuple[int, str]] = []
    hashes: list[str | None] = []
    for index, row in enumerate(rows):
        if row.pin:
            to_hash.append((index, row.pin))
            hashes.append(None)
        elif row.nip in known:
            hashes.append(known[row.nip])
        else:
            pin = generate_pin()
            generated.append((row, pin))
            to_hash.append((index, pin))
            hashes.append(None)
    if generated and slips.exists():
        raise CentralError(
            f"the slip file {slips} already exists; move it away or give --slips with a new path"
        )
    digests = _hash_all([pin for _, pin in to_hash])
    for (index, _), digest in zip(to_hash, digests, strict=True):
        hashes[index] = digest
    employees = [
        Employee(r.nip, r.name, r.unit, r.role, h or "", r.node or None)
        for r, h in zip(rows, hashes, strict=True)
    ]
    # Versions are shared with the per-node documents (central/noderoster.py).
    version = store.max_roster_version() + 1
    issued = wall_ts(now)
    doc = make_roster_doc(
        central=identity.name,
        version=version,
        issued_ts=issued,
        employees=[
            {"nip": e.nip, "name": e.name, "unit": e.unit, "role": e.role, "pin_hash": e.pin_hash}
            for e in employees
        ],
        key=identity.key,
    )
    if generated:
        _write_slips(slips, generated)
    try:
        store.install_roster(version, issued, canonical_bytes(doc).decode("utf-8"), employees, now)
    except BaseException:
        if generated:
            slips.unlink(missing_ok=True)  # PINs of a roster that was never installed
        raise
    return ImportResult(
        version=version,
        count=len(employees),
        generated=len(generated),
        kept=sum(1 for r in rows if not r.pin and r.nip in known),
        slips=slips if generated else None,
    )
