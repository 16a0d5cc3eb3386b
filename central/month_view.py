"""The month as the officials' pages show it: the recap engine's figures grouped by unit,
searched by name or NIP, limited to the units an account may see, and one employee's month
day by day with each record behind it. No Flask here.

Every figure comes from ``central.recap_close.recap`` (the engine behind ``GET
/api/v1/recap``); this module only filters, groups and counts rows for display, so the page,
the API and the spreadsheet always agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .accounts import Principal
from .day_explain import explain
from .errors import ApiError, Forbidden, NotFound
from .recap import clock_text, load_book, month_bounds, wita_seconds
from .recap_close import recap
from .reports import ReportSettings, record_status
from .store.protocol import CentralStore
from .trust import TrustFacts

MONTH_RE = re.compile(r"^\d{4}-\d{2}\Z")
NIP_RE = re.compile(r"^\d{18}\Z")
QUERY_MAX = 60
METHOD_ID = {
    "app": "HP sendiri",
    "kiosk": "kode kios kantor",
    "witness": "lewat HP rekan",
    "manual": "daftar manual kepala unit",
}
RECORD_STATUS_ID = {
    "ok": "dihitung",
    "unanchored": "dihitung (belum berjangkar)",
    "accepted": "dihitung (diterima pejabat)",
    "disputed": "tidak dihitung: log node bercabang",
    "invalid-body": "tidak dihitung: isi catatan tidak sah",
    "out-of-bounds": "tidak dihitung: waktu di luar selang yang dapat dibuktikan",
    "foreign-node": "tidak dihitung: pegawai bukan pegawai node itu",
    "anchor-missing": "tidak dihitung: tanpa jangkar dari node yang tersambung",
}


class PageInputError(ApiError):
    """Bad page input (400), with a message in Bahasa Indonesia."""

    code = "bad-input"


def parse_month(text: str | None, today: date) -> str:
    """``?month=YYYY-MM`` (a real month from 2000 on), else the current month in WITA."""
    if text is None or text == "":
        return today.strftime("%Y-%m")
    if not MONTH_RE.match(text):
        raise PageInputError("bulan harus berbentuk TTTT-BB, misalnya 2026-10", code="bad-month")
    try:
        month_bounds(text)
    except ApiError as exc:
        raise PageInputError(
            "bulan itu tidak ada (bulan 01-12, tahun 2000 atau sesudahnya)", code="bad-month"
        ) from exc
    return text


def parse_query(text: str | None) -> str:
    """The search box: a part of a name or of a NIP; at most 60 printable characters."""
    query = (text or "").strip()
    if len(query) > QUERY_MAX or not query.isprintable():
        raise PageInputError(f"kata pencarian paling banyak {QUERY_MAX} karakter", code="bad-query")
    return query


def check_unit(store: CentralStore, who: Principal, unit: str | None) -> str | None:
    """The ``?unit=`` asked for: 403 outside the account's units (checked first, so a
    limited account learns nothing of other units), 404 for a unit not on the roster."""
    if unit is None or unit == "":
        if len(who.units) == 1:
            return who.units[0]
        return None
    if len(unit) > 120 or not who.sees_unit(unit):
        raise Forbidden(
            "akun Anda dibatasi pada unit kerja "
            + ", ".join(who.units)
            + "; unit lain tidak dapat dilihat",
            code="forbidden-unit",
        )
    if unit not in store.units():
        raise NotFound("unit kerja tidak dikenal: pilih unit dari daftar", code="unknown-unit")
    return unit


def matches(emp: dict[str, Any], query: str) -> bool:
    if not query:
        return True
    if query.isdigit():
        return query in emp["nip"]
    return query.casefold() in (emp.get("name") or "").casefold()


def month_for(
    store: CentralStore,
    who: Principal,
    month: str,
    *,
    today: date,
    settings: ReportSettings,
    unit: str | None,
    query: str = "",
) -> dict[str, Any]:
    """The recap of ``month`` as this account may see it, searched by ``query``."""
    result = recap(store, month, today=today, settings=settings, unit=unit)
    result["employees"] = [
        e for e in result["employees"] if who.sees_unit(e.get("unit")) and matches(e, query)
    ]
    return result


def _mean(values: list[Decimal]) -> str:
    if not values:
        return "-"
    return str(
        (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    ).replace(".", ",")


def unit_groups(employees: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Employees grouped by unit (roster order kept), each with its counts."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for emp in employees:
        groups.setdefault(emp["unit"], []).append(emp)
    return [
        {"unit": unit, "employees": people, **totals(people)} for unit, people in groups.items()
    ]


def totals(people: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts over employees for the summary table (days and bands are summed; the share
    is the mean of the engine's per-employee shares, shown as such)."""
    return {
        "count": len(people),
        "working_days": sum(e["working_days"] for e in people),
        "present_days": sum(e["present_days"] for e in people),
        "absent_days": sum(e["absent_days"] for e in people),
        "exception_days": sum(sum(e["exception_days"].values()) for e in people),
        "late": sum(sum(e["late"].values()) for e in people),
        "early": sum(sum(e["early"].values()) for e in people),
        "mean_percent": _mean([Decimal(e["attendance_percent"]) for e in people]),
    }


@dataclass(frozen=True)
class EmployeeMonth:
    summary: dict[str, Any]
    days: list[dict[str, Any]]
    rules: list[str]
    final: bool
    closed: dict[str, Any] | None


def _body(record_json: str) -> dict[str, Any]:
    body = json.loads(record_json).get("body")
    return body if isinstance(body, dict) else {}


def employee_records(
    store: CentralStore, nip: str, month: str, settings: ReportSettings
) -> dict[str, list[dict[str, Any]]]:
    """Each check-in of the employee in ``month`` by WITA day: time, node, method, voucher
    (name and NIP) and whether it counts (``record_status``, the one place that decides)."""
    first, last = month_bounds(month)
    rows = store.employee_checkins_by_id(nip, first.isoformat(), last.isoformat())
    if not rows:
        return {}
    facts = TrustFacts.load(
        store, f"{first.isoformat()}T00:00:00.000Z", f"{last.isoformat()}T23:59:59.999Z"
    )
    bodies = {rec_id: _body(rec.record) for rec_id, rec in rows}
    witnesses = [str(b["witness"]) for b in bodies.values() if b.get("witness")]
    names = {e.nip: e.name for e in store.employees() if e.nip in witnesses} if witnesses else {}
    by_day: dict[str, list[dict[str, Any]]] = {}
    for rec_id, rec in rows:
        status, counted = record_status(rec, facts, settings)
        body = bodies[rec_id]
        witness = body.get("witness")
        by_day.setdefault(rec.day or "", []).append(
            {
                "time": clock_text(wita_seconds(rec.ts)),
                "kind": rec.kind,
                "node": rec.node,
                "seq": rec.seq,
                "method": body.get("method"),
                "method_label": METHOD_ID.get(str(body.get("method")), str(body.get("method"))),
                "witness": witness,
                "witness_name": names.get(str(witness)) if witness else None,
                "reason": body.get("reason"),
                "counted": counted,
                "status_label": RECORD_STATUS_ID.get(status, status),
            }
        )
    return by_day


def employee_month(
    store: CentralStore,
    who: Principal,
    nip: str,
    month: str,
    *,
    today: date,
    settings: ReportSettings,
) -> EmployeeMonth:
    """One employee's month: the engine's summary and days, each day with its records,
    its explanation, and the exception (with document number) or incident behind it."""
    if not NIP_RE.match(nip):
        raise PageInputError("NIP harus 18 angka", code="bad-nip")
    employee = next((e for e in store.employees() if e.nip == nip), None)
    if employee is None:
        raise NotFound("NIP itu tidak ada di roster", code="unknown-nip")
    if not who.sees_unit(employee.unit):
        raise Forbidden("pegawai ini di luar unit kerja akun Anda", code="forbidden-unit")
    result = recap(store, month, today=today, settings=settings, nip=nip)
    (summary,) = [e for e in result["employees"] if e["nip"] == nip]
    versions = {r.id: r for r in load_book(store).versions}
    records = employee_records(store, nip, month, settings)
    doc_numbers = store.exception_doc_numbers(
        [d["exception_id"] for d in summary["days"] if d.get("exception_id")]
    )
    days = []
    listed = {d["date"] for d in summary["days"]}
    for day in summary["days"]:
        days.append(
            day
            | {
                "records": records.get(day["date"], []),
                "why": explain(day, versions.get(day["rule"] or "")),
                "doc_no": doc_numbers.get(day.get("exception_id") or 0),
            }
        )
    for text in sorted(set(records) - listed):
        # Records of a day the recap does not list (before the first rule version).
        days.append(
            {
                "date": text,
                "status": "tanpa-aturan",
                "records": records[text],
                "deduction": "0.00",
                "rule": None,
                "in": None,
                "out": None,
                "why": ["Hari ini tidak dinilai oleh aturan mana pun: catatan hanya ditampilkan."],
            }
        )
    days.sort(key=lambda d: d["date"])
    return EmployeeMonth(summary, days, result["rules"], result["final"], result.get("closed"))
