"""The recap for officials' spreadsheets: CSV and XLSX with the JSON's numbers. No Flask.

CSV: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
to Excel, LibreOffice and Google Sheets, and names and units come from roster files, so such
cells get a leading ``'`` (OWASP's advice). The 18-digit NIP gets one too, or a spreadsheet
turns it into 1.98509E+17 and loses digits. A program reading the CSV drops one leading ``'``.

XLSX (xlsxwriter in constant-memory mode: about three times faster than openpyxl's write-only
mode for a regency's month, small in memory; the tests read it back with openpyxl): a summary
sheet with one row per unit, then one sheet per unit with one row per employee; a title row
naming the month, the unit and the rule versions; the header row frozen; every text cell typed
as text (never a formula), the NIP as text, figures as numbers with two decimals; column
widths that fit.

JSON: orjson, with keys sorted as Flask's ``jsonify`` sorts them. A regency's month is about
43 MB of JSON; the standard library's encoder took a quarter of the recap's time on it, orjson
about a twentieth (docs/performance.md).
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import orjson


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal):  # as Flask's provider writes one
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def recap_json(result: dict[str, Any]) -> bytes:
    """The recap (or the yearly count) as UTF-8 JSON, keys sorted, as the API serves it."""
    return orjson.dumps(result, default=_json_default, option=orjson.OPT_SORT_KEYS)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LATE = ("TL1", "TL2", "TL3", "TL4")
EARLY = ("PSW1", "PSW2", "PSW3", "PSW4")
HEADER = [
    "nip",
    "name",
    "unit",
    "working_days",
    "present_days",
    "absent_days",
    "exception_days",
    *LATE,
    *EARLY,
    "late_minutes",
    "early_minutes",
    "deduction",
    "attendance_percent",
    "rule",
]
TITLES = {
    "nip": "NIP",
    "name": "Nama",
    "unit": "Unit kerja",
    "working_days": "Hari kerja",
    "present_days": "Hadir",
    "absent_days": "TK",
    "exception_days": "Pengecualian",
    "late_minutes": "Menit terlambat",
    "early_minutes": "Menit pulang cepat",
    "deduction": "Potongan (%)",
    "attendance_percent": "TPP presensi (%)",
    "rule": "Aturan",
}
DAY_HEADER = [
    "nip",
    "date",
    "rule",
    "start",
    "end",
    "in",
    "out",
    "late_minutes",
    "early_minutes",
    "late_band",
    "early_band",
    "exception",
    "incident",
    "status",
    "deduction",
    "final",
]


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _exceptions_text(counts: dict[str, int]) -> str:
    return " ".join(f"{kind}:{n}" for kind, n in sorted(counts.items()))


def employee_row(emp: dict[str, Any]) -> list[Any]:
    """One employee's month in ``HEADER`` order; figures stay numbers or Decimal."""
    return [
        emp["nip"],
        emp["name"],
        emp["unit"],
        emp["working_days"],
        emp["present_days"],
        emp["absent_days"],
        _exceptions_text(emp["exception_days"]),
        *(emp["late"].get(k, 0) for k in LATE),
        *(emp["early"].get(k, 0) for k in EARLY),
        emp["late_minutes"],
        emp["early_minutes"],
        Decimal(emp["deduction"]),
        Decimal(emp["attendance_percent"]),
        emp["rule"],
    ]


def recap_csv(recap: dict[str, Any], *, days: bool = False) -> str:
    """One row per employee (or, with ``days``, per employee and day)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if days:
        writer.writerow(DAY_HEADER)
        for emp in recap["employees"]:
            for day in emp["days"]:
                incident = day["incident"]["reason"] if day["incident"] else None
                row = [day.get(k) for k in DAY_HEADER[1:]]
                row[DAY_HEADER.index("incident") - 1] = incident
                writer.writerow(["'" + emp["nip"]] + [safe_cell(v) for v in row])
        return out.getvalue()
    writer.writerow(HEADER)
    for emp in recap["employees"]:
        row = employee_row(emp)
        writer.writerow(["'" + str(row[0])] + [safe_cell(v) for v in row[1:]])
    return out.getvalue()


def _sheet_name(unit: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", " ", unit).strip()[:28] or "Unit"
    name, n = base, 2
    while name.casefold() in taken:
        name = f"{base[:26]} {n}"
        n += 1
    taken.add(name.casefold())
    return name


def _write_sheet(
    book: Any,
    formats: dict[str, Any],
    name: str,
    title: str,
    header: list[str],
    rows: list[list[Any]],
) -> None:
    """One sheet, row by row (xlsxwriter's constant-memory mode writes each row out)."""
    sheet = book.add_worksheet(name)
    widths = [len(h) for h in header]
    for row in rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(str(value)) if value is not None else 0)
    for i, width in enumerate(widths):
        sheet.set_column(i, i, min(60, width + 2))
    sheet.freeze_panes(2, 0)  # the title and header rows stay while scrolling: "A3"
    bold, money_format = formats["bold"], formats["money"]
    sheet.write_string(0, 0, title, bold)
    for col, text in enumerate(header):
        sheet.write_string(1, col, text, bold)
    write_string, write_number = sheet.write_string, sheet.write_number
    for number, row in enumerate(rows, start=2):
        for col, value in enumerate(row):
            if isinstance(value, str):
                write_string(number, col, value)  # text, even "=...": never a formula
            elif isinstance(value, Decimal):
                write_number(number, col, float(value), money_format)
            elif value is not None:
                write_number(number, col, value)


def recap_xlsx(recap: dict[str, Any]) -> bytes:
    """The workbook: ``Ringkasan`` (one row per unit), then one sheet per unit."""
    from xlsxwriter import Workbook

    out = io.BytesIO()
    # Constant memory: each row goes to the sheet's file as it is written, so a regency's
    # 7,000 employees cost little memory; strings are then inline, never shared formulas.
    book = Workbook(out, {"constant_memory": True})
    formats = {
        "bold": book.add_format({"bold": True}),
        "money": book.add_format({"num_format": "0.00"}),
    }
    rules = ", ".join(recap["rules"]) or "-"
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for emp in recap["employees"]:
        by_unit.setdefault(emp["unit"], []).append(emp)
    state = "final" if recap["final"] else "belum final"
    summary = []
    for unit, people in by_unit.items():
        summary.append(
            [
                unit,
                len(people),
                sum(e["working_days"] for e in people),
                sum(e["present_days"] for e in people),
                sum(e["absent_days"] for e in people),
                sum(sum(e["late"].values()) for e in people),
                sum(sum(e["early"].values()) for e in people),
                sum((Decimal(e["deduction"]) for e in people), Decimal(0)),
            ]
        )
    _write_sheet(
        book,
        formats,
        "Ringkasan",
        f"Rekap presensi {recap['month']} - semua unit - aturan: {rules} ({state})",
        [
            "Unit kerja",
            "Pegawai",
            "Hari kerja",
            "Hadir",
            "TK",
            "Terlambat",
            "Pulang cepat",
            "Jumlah potongan (%)",
        ],
        summary,
    )
    header = [TITLES.get(h, h) for h in HEADER]
    taken = {"ringkasan"}
    for unit, people in by_unit.items():
        _write_sheet(
            book,
            formats,
            _sheet_name(unit, taken),
            f"Rekap presensi {recap['month']} - {unit} - aturan: {rules} ({state})",
            header,
            [employee_row(e) for e in people],
        )
    book.close()
    return out.getvalue()
