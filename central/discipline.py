"""The yearly discipline count (PP 94/2021), from the same judged days as the recap. No Flask.

Per employee and calendar year: working days absent without reason (TK), the late-arrival
and early-departure minutes that fell in a band, their equivalent in days
(``[discipline] minutes_per_day``, default 450 = 7.5 hours), the longest run of consecutive
working days absent, and the sanction level reached. The count that is compared with the
rule set's ``levels`` is TK days plus the whole days the minutes add up to; a run of
``consecutive_days`` working days absent reaches the last (heaviest) level on its own.
Thresholds and the reading of minutes are the version in force on the year's last judged
working day, because regencies read PP 94/2021 differently.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from .errors import ApiError
from .recap import bulk_objects, employee_days, load_inputs, money
from .reports import ReportSettings
from .rules import Discipline
from .store.protocol import CentralStore


def parse_year(text: object) -> int:
    if not isinstance(text, str) or len(text) != 4 or not text.isdigit() or int(text) < 2000:
        raise ApiError("year must be YYYY (2000 or later)", code="bad-year")
    return int(text)


def level_of(count: int, run: int, discipline: Discipline) -> str | None:
    """The sanction reached by ``count`` days (and a run of ``run`` consecutive days)."""
    if not discipline.levels:
        return None
    if run >= discipline.consecutive_days:
        return discipline.levels[-1][1]
    reached = None
    for days, sanction in discipline.levels:
        if count >= days:
            reached = sanction
    return reached


def yearly(store: CentralStore, year: int, *, today: date,
           settings: ReportSettings | None = None, unit: str | None = None,
           nip: str | None = None) -> dict[str, Any]:
    with bulk_objects():
        return _yearly(store, year, today=today, settings=settings, unit=unit, nip=nip)


def _yearly(store: CentralStore, year: int, *, today: date, settings: ReportSettings | None,
            unit: str | None, nip: str | None) -> dict[str, Any]:
    inputs = load_inputs(store, date(year, 1, 1), date(year, 12, 31), today=today,
                         settings=settings or ReportSettings(), unit=unit, nip=nip)
    if not inputs.book.versions:
        raise ApiError("no rule set imported yet: run 'presensi-central rules import'",
                       code="no-rules", status=409)
    out = []
    for emp_nip, name, emp_unit in inputs.employees:
        absent = late = early = run = longest = 0
        discipline = Discipline()
        for d in employee_days(inputs, emp_nip, emp_unit, lean=True):
            if d.hours is None or d.status in ("belum", "tanpa-aturan", "libur"):
                continue
            if d.rules is not None:
                discipline = d.rules.discipline
            late += d.counted_late
            early += d.counted_early
            if d.status == "TK":
                absent += 1
                run += 1
                longest = max(longest, run)
            else:
                run = 0
        equivalent = Decimal(late + early) / Decimal(discipline.minutes_per_day)
        count = absent + int(equivalent.to_integral_value(rounding=ROUND_DOWN))
        out.append({"nip": emp_nip, "name": name, "unit": emp_unit, "absent_days": absent,
                    "late_minutes": late, "early_minutes": early,
                    "minutes_as_days": money(equivalent), "count_days": count,
                    "longest_absent_run": longest,
                    "level": level_of(count, longest, discipline)})
    return {"year": year, "timezone": "Asia/Makassar", "employees": out}
