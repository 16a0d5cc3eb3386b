"""One employee's month as their own page shows it: the recap engine's days (never a second
copy of its arithmetic), each day's records with node, method and voucher, the approved
exceptions and the day's objections. No Flask here; the template words it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sync.timefmt import WITA, parse_ts

from .errors import ApiError
from .objection_sql import Objection
from .recap import month_bounds
from .recap_close import recap
from .reports import ReportSettings, record_status
from .store.protocol import CentralStore
from .trust import TrustFacts

WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


@dataclass
class DayRecord:
    time: str  # HH:MM:SS WITA
    kind: str  # in / out
    node: str
    method: str  # app, kiosk, witness, manual, or "objection" (accepted evidence)
    voucher: str | None  # the witness's or unit head's name (or NIP when unknown)
    counted: bool
    status: str  # record_status's word (counted, foreign-node, ...)
    seq: int


@dataclass
class EmployeeDay:
    date: str
    label: str
    recap: dict[str, Any]
    records: list[DayRecord] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)


def month_label(month: str) -> str:
    first, _ = month_bounds(month)
    return f"{MONTHS[first.month - 1]} {first.year}"


def day_label(day: str) -> str:
    when = date.fromisoformat(day)
    return f"{WEEKDAYS[when.weekday()]}, {when.day} {MONTHS[when.month - 1]}"


def neighbours(month: str) -> tuple[str, str]:
    first, last = month_bounds(month)
    before = first - timedelta(days=1)
    after = last + timedelta(days=1)
    return f"{before:%Y-%m}", f"{after:%Y-%m}"


def _wita_time(ts: str) -> str:
    return parse_ts(ts).astimezone(WITA).strftime("%H:%M:%S")


def employee_month(
    store: CentralStore, settings: ReportSettings, *, nip: str, month: str, today: date
) -> dict[str, Any]:
    """The page's data: the recap's summary and days (only ``nip``), records, objections."""
    first, last = month_bounds(month)
    try:
        result = recap(store, month, today=today, settings=settings, nip=nip)
    except ApiError as exc:
        if exc.code != "no-rules":
            raise
        result = {"employees": [], "final": False}  # records still shown, nothing judged
    mine = next((e for e in result["employees"] if e["nip"] == nip), None)
    days: dict[str, EmployeeDay] = {}
    # Every day up to today is listed, so an objection can be filed for any of them (a day
    # without a record is what an employee most often contests).
    cursor = first
    while cursor <= min(last, today):
        text = cursor.isoformat()
        days[text] = EmployeeDay(text, day_label(text), {})
        cursor += timedelta(days=1)
    if mine is not None:
        for d in mine["days"]:
            if d.get("status") == "belum":
                continue
            days[d["date"]] = EmployeeDay(d["date"], day_label(d["date"]), d)
    facts = TrustFacts.load(
        store,
        f"{first - timedelta(days=1)}T00:00:00.000Z",
        f"{last + timedelta(days=1)}T23:59:59.999Z",
    )
    names = {e.nip: e.name for e in store.employees()}
    for rec in store.employee_checkins(nip, first.isoformat(), last.isoformat()):
        if rec.day is None:
            continue
        status, counted = record_status(rec, facts, settings)
        body = json.loads(rec.record).get("body", {}) if rec.record else {}
        witness = body.get("witness") if isinstance(body.get("witness"), str) else None
        entry = days.setdefault(rec.day, EmployeeDay(rec.day, day_label(rec.day), {}))
        entry.records.append(
            DayRecord(
                _wita_time(rec.ts),
                rec.kind or "",
                rec.node,
                rec.method or str(body.get("method", "")),
                names.get(witness, witness) if witness else None,
                counted,
                status,
                rec.seq,
            )
        )
    for objection in store.objections(
        nip=nip, first_day=first.isoformat(), last_day=last.isoformat()
    ):
        entry = days.setdefault(
            objection.day, EmployeeDay(objection.day, day_label(objection.day), {})
        )
        entry.objections.append(objection)
        if objection.decision == "accept" and objection.ts and objection.verdict == "absent":
            entry.records.append(
                DayRecord(
                    _wita_time(objection.ts),
                    objection.kind or "",
                    objection.node or "",
                    "objection",
                    None,
                    True,
                    "objection",
                    objection.seq or 0,
                )
            )
    for entry in days.values():
        entry.records.sort(key=lambda r: r.time)
        entry.objections.sort(key=lambda o: o.id)
    return {
        "month": month,
        "label": month_label(month),
        "summary": mine,
        "final": result.get("final"),
        "closed": "closed" in result,
        "days": [days[k] for k in sorted(days)],
    }


def current_month(now: float) -> str:
    return datetime.fromtimestamp(now, WITA).strftime("%Y-%m")
