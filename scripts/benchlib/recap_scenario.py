"""Scenario 7, the monthly recap and the yearly discipline count (docs/performance.md).

Setup (not timed): ``presensi-central init``; a roster of ``staff`` employees in 60 units
(one of them a school on a six-day week under its own rule version) written straight into
``employees``; 17 kecamatan nodes; for October 2026, an ``in`` and an ``out`` per employee
and working day (some late, some early, some missing, about 4% of days absent) written
straight into ``records`` as stored rows (not signed and ingested: the recap reads stored
rows only, and the floor reads the same rows); 3 rule versions (the regency's from January,
a new one from 15 October, the school's); 400 approved exceptions and an approved incident.

Timed, in one process over the real SQLite file, each the median of 3 runs:
- the floor: reading the month's check-in rows from the database alone (every check-in row
  of the month, the columns the recap judges by, ``fetchall``; the recap itself now lets the
  database aggregate most of them); the year's floor is the same query over the whole year;
- the month's recap as JSON (``recap_close.recap`` + ``recap_export.recap_json``, the bytes
  the API serves) and as XLSX (``recap_export.recap_xlsx``), each also as a ratio to the floor;
- the yearly discipline count (``discipline.yearly``) for every employee: every day of 2026
  up to 20 November is judged (January-September as absences, no records).
Goal: the month under 2 s and within 3x the floor; the year under 10 s.
"""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from .context import Context, ScenarioResult

REPO = Path(__file__).resolve().parents[2]
MONTH = "2026-10"
TODAY = date(2026, 11, 20)
NODES = [
    f"kec-{n}"
    for n in (
        "alalak",
        "anjir-muara",
        "anjir-pasar",
        "bakumpai",
        "barambai",
        "belawang",
        "cerbon",
        "jejangkit",
        "kuripan",
        "mandastana",
        "marabahan",
        "mekarsari",
        "rantau-badauh",
        "tabukan",
        "tabunganen",
        "tamban",
        "wanaraya",
    )
]
SCHOOL = "UPT Pendidikan Alalak"


def _ts(day: date, seconds: int) -> str:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        seconds=seconds - 8 * 3600
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def build(data: Path, staff: int, seed: int = 15) -> dict[str, Any]:
    """The data directory with everything the recap reads; returns counts."""
    from central.datadir import CentralPaths
    from central.exceptions import add_exception, add_incident, decide
    from central.identity import init_central
    from central.recap import load_book
    from central.rules import import_rules
    from central.store.sqlite import SqliteStore

    rng = random.Random(seed)
    paths = CentralPaths(data)
    init_central(paths)
    store = SqliteStore(paths.db)
    store.migrate()
    example = (REPO / "docs" / "rules-example.toml").read_text()
    import_rules(store, example, by="bench", now=time.time())
    import_rules(
        store,
        example.replace('id = "contoh-perbup-2026"', 'id = "perbup-okt"')
        .replace('effective_from = "2026-01-01"', 'effective_from = "2026-10-15"')
        .replace("grace_minutes = 0", "grace_minutes = 5"),
        by="bench",
        now=time.time(),
    )
    import_rules(
        store,
        example.replace('id = "contoh-perbup-2026"', 'id = "sekolah"')
        .replace('# units = ["UPT Pendidikan Alalak"]', f'units = ["{SCHOOL}"]')
        .replace('fri = "07:30-16:30"', 'fri = "07:30-11:00"\nsat = "07:30-12:30"', 1),
        by="bench",
        now=time.time(),
    )
    units = [SCHOOL] + [f"Unit Kerja {i:02d}" for i in range(1, 60)]
    people = [
        (
            f"19{rng.randrange(60, 99)}0101{2010 + i % 10}011{i % 2 + 1}{i:03d}"[:18],
            f"Pegawai {i}",
            units[i % len(units)],
        )
        for i in range(staff)
    ]
    people = [(f"{int(nip):018d}"[-18:], name, unit) for nip, name, unit in people]
    seen: set[str] = set()
    unique = []
    for i, (nip, name, unit) in enumerate(people):
        while nip in seen:
            nip = f"{(int(nip) + 7919 + i) % 10**18:018d}"
        seen.add(nip)
        unique.append((nip, name, unit))
    conn = sqlite3.connect(paths.db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO employees (nip, name, unit, role, pin_hash) VALUES (?, ?, ?, 'staff', 'x')",
        unique,
    )
    epochs = {node: secrets.token_hex(16) for node in NODES}
    seqs = dict.fromkeys(NODES, 0)
    body_pad = "x" * 180  # a stored record's JSON is ~450 bytes; the recap never reads it
    rows: list[tuple[Any, ...]] = []
    first = date(2026, 10, 1)
    for offset in range(31):
        day = first + timedelta(days=offset)
        six = day.weekday() == 5
        if day.weekday() == 6 or (day.weekday() == 5 and not six):
            continue
        for index, (nip, _, unit) in enumerate(unique):
            if day.weekday() == 5 and unit != SCHOOL:
                continue
            if rng.random() < 0.04:
                continue  # absent
            node = NODES[index % len(NODES)]
            arrival = 7 * 3600 + rng.randrange(0, 50 * 60)
            end = 16 * 3600 if day.weekday() != 4 else 16 * 3600 + 1800
            departure = end + rng.randrange(-40 * 60, 30 * 60)
            for kind, secs in (("in", arrival), ("out", departure)):
                if kind == "out" and rng.random() < 0.03:
                    continue
                seqs[node] += 1
                ts = _ts(day, secs)
                rows.append(
                    (
                        node,
                        epochs[node],
                        seqs[node],
                        "checkin",
                        ts,
                        secrets.token_hex(32),
                        nip,
                        day.isoformat(),
                        kind,
                        json.dumps({"nip": nip, "kind": kind, "pad": body_pad}),
                        ts if seqs[node] % 5 else None,
                        ts,
                        0,
                    )
                )
    conn.executemany(
        "INSERT INTO records (node, epoch, seq, type, ts, hash, nip, day, kind, record,"
        " lower_ts, upper_ts, out_of_bounds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    now = time.time()
    head_ts = _ts(date(2026, 11, 2), 8 * 3600)
    for node in NODES:
        seqs[node] += 1
        conn.execute(
            "INSERT INTO records (node, epoch, seq, type, ts, hash, record, upper_ts)"
            " VALUES (?, ?, ?, 'boot', ?, ?, '{}', ?)",
            (node, epochs[node], seqs[node], head_ts, secrets.token_hex(32), head_ts),
        )
        conn.execute(
            "INSERT INTO nodes (name, status, epoch, head_seq, head_hash, created_at)"
            " VALUES (?, 'active', ?, ?, 'x', ?)",
            (node, epochs[node], seqs[node], now),
        )
    conn.execute("COMMIT")
    conn.close()
    book = load_book(store)
    kinds = sorted(book.kinds())
    for i in range(400):
        nip = unique[rng.randrange(len(unique))][0]
        start = date(2026, 10, rng.randrange(1, 28))
        new = add_exception(
            store,
            book,
            nip=nip,
            kind=kinds[i % len(kinds)],
            first=start.isoformat(),
            last=(start + timedelta(days=rng.randrange(0, 3))).isoformat(),
            part=("day", "arrival", "departure")[i % 3],
            reason="bench",
            by="operator",
            now=now,
        )
        decide(store, "exception", new, "approve", "kabid", now)
    inc = add_incident(
        store,
        ts_from="2026-10-05T07:00:00+08:00",
        ts_to="2026-10-05T09:00:00+08:00",
        unit=None,
        node="kec-alalak",
        reason="server mati",
        by="operator",
        now=now,
    )
    decide(store, "incident", inc, "approve", "kabid", now)
    store.close()
    return {"employees": len(unique), "records": len(rows), "exceptions": 400, "rule_versions": 3}


def _median(fn: Callable[[], Any], rounds: int = 3) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def measure(data: Path, rounds: int = 3) -> dict[str, Any]:
    from central.datadir import CentralPaths
    from central.discipline import yearly
    from central.recap_close import recap
    from central.recap_export import recap_json, recap_xlsx
    from central.store.sqlite import SqliteStore

    store = SqliteStore(CentralPaths(data).db)

    def floor(first: str, last: str) -> Callable[[], int]:
        def read() -> int:
            return len(
                store.conn()
                .execute(
                    "SELECT id, node, epoch, seq, type, ts, hash, nip, day, kind, '', lower_ts,"
                    " upper_ts, out_of_bounds FROM records WHERE day BETWEEN ? AND ?"
                    " AND type = 'checkin'",
                    (first, last),
                )
                .fetchall()
            )

        return read

    floor_s, rows = _median(floor("2026-10-01", "2026-10-31"), rounds)
    json_s, body = _median(lambda: recap_json(recap(store, MONTH, today=TODAY)), rounds)
    recap_only_s, result = _median(lambda: recap(store, MONTH, today=TODAY), 1)
    xlsx_s, book = _median(lambda: recap_xlsx(recap(store, MONTH, today=TODAY)), 1)
    year_floor_s, _ = _median(floor("2026-01-01", "2026-12-31"), rounds)
    year_s, year = _median(lambda: yearly(store, 2026, today=TODAY), 1)
    store.close()
    return {
        "rows": rows,
        "floor_s": floor_s,
        "json_s": json_s,
        "recap_s": recap_only_s,
        "json_mb": len(body) / 1e6,
        "xlsx_s": xlsx_s,
        "xlsx_mb": len(book) / 1e6,
        "year_floor_s": year_floor_s,
        "year_s": year_s,
        "year_employees": len(year["employees"]),
        "month_employees": len(result["employees"]),
    }


def run(ctx: Context) -> list[ScenarioResult]:
    staff = ctx.options.staff
    data = ctx.root / "recap-central"
    started = time.perf_counter()
    built = build(data, staff)
    build_s = time.perf_counter() - started
    m = measure(data, rounds=2 if ctx.options.quick else 3)
    res = ScenarioResult(
        "recap",
        f"7. Monthly recap and yearly discipline ({staff:,} "
        f"employees, {m['rows']:,} check-ins in {MONTH})",
        data={"build": built, "build_s": round(build_s, 1), **m},
    )
    res.row("floor: read the month's rows", m["floor_s"], "s", digits=3)
    res.row("month as JSON", m["json_s"], "s", at_most=2.0, digits=2)
    res.row("month JSON / floor", m["json_s"] / m["floor_s"], "x", at_most=3.0, digits=2)
    res.row("month as XLSX", m["xlsx_s"], "s", digits=2)
    res.row("month XLSX / floor", m["xlsx_s"] / m["floor_s"], "x", digits=2)
    res.row("year: discipline count", m["year_s"], "s", at_most=10.0, digits=2)
    res.row("year / its floor", m["year_s"] / m["year_floor_s"], "x", digits=2)
    if m["month_employees"] != built["employees"] or m["year_employees"] != built["employees"]:
        res.failures.append("the recap lost employees")
    return [res]
