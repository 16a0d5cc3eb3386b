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

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from .errors import ApiError
from .recap import (
    PlanDay,
    RecapInputs,
    bulk_objects,
    employee_days,
    judge_plan_day,
    load_inputs,
    money,
    unit_plan,
)
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


def yearly(
    store: CentralStore,
    year: int,
    *,
    today: date,
    settings: ReportSettings | None = None,
    unit: str | None = None,
    nip: str | None = None,
) -> dict[str, Any]:
    with bulk_objects():
        return _yearly(store, year, today=today, settings=settings, unit=unit, nip=nip)


def _yearly(
    store: CentralStore,
    year: int,
    *,
    today: date,
    settings: ReportSettings | None,
    unit: str | None,
    nip: str | None,
) -> dict[str, Any]:
    inputs = load_inputs(
        store,
        date(year, 1, 1),
        date(year, 12, 31),
        today=today,
        settings=settings or ReportSettings(),
        unit=unit,
        nip=nip,
    )
    if not inputs.book.versions:
        raise ApiError(
            "no rule set imported yet: run 'presensi-central rules import'",
            code="no-rules",
            status=409,
        )
    units: dict[str, _UnitYear] = {}
    days_of: dict[str, list[str]] = {}
    for who, text in inputs.punches:
        days_of.setdefault(who, []).append(text)
    out = []
    for emp_nip, name, emp_unit in inputs.employees:
        if emp_nip in inputs.exceptions:
            absent, late, early, longest, discipline = _count_every_day(inputs, emp_nip, emp_unit)
        else:
            absent, late, early, longest, discipline = _count_punched_days(
                inputs, emp_nip, _unit_year(inputs, emp_unit, units), days_of.get(emp_nip, [])
            )
        equivalent = Decimal(late + early) / Decimal(discipline.minutes_per_day)
        count = absent + int(equivalent.to_integral_value(rounding=ROUND_DOWN))
        out.append(
            {
                "nip": emp_nip,
                "name": name,
                "unit": emp_unit,
                "absent_days": absent,
                "late_minutes": late,
                "early_minutes": early,
                "minutes_as_days": money(equivalent),
                "count_days": count,
                "longest_absent_run": longest,
                "level": level_of(count, longest, discipline),
            }
        )
    return {"year": year, "timezone": "Asia/Makassar", "employees": out}


Counts = tuple[int, int, int, int, Discipline]  # absent, late, early, longest run, rules


def _count_every_day(inputs: RecapInputs, nip: str, unit: str) -> Counts:
    """The year of one employee, judging every day in order (employees with exceptions)."""
    absent = late = early = run = longest = 0
    discipline = Discipline()
    for d in employee_days(inputs, nip, unit, lean=True):
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
    return absent, late, early, longest, discipline


@dataclass
class _UnitYear:
    """A unit's judged working days of the year (those up to today), in order."""

    position: dict[str, int]  # day text -> index among the working days
    plans: dict[str, PlanDay]  # day text -> the unit's plan of that day
    working: int
    discipline: Discipline


def _unit_year(inputs: RecapInputs, unit: str, cache: dict[str, _UnitYear]) -> _UnitYear:
    found = cache.get(unit)
    if found is None:
        position: dict[str, int] = {}
        plans = {plan.text: plan for plan in unit_plan(inputs, unit)}
        discipline = Discipline()
        for plan in plans.values():
            if plan.rules is None or plan.day > inputs.today or plan.hours is None:
                continue
            position[plan.text] = len(position)
            discipline = plan.rules.discipline
        found = cache[unit] = _UnitYear(position, plans, len(position), discipline)
    return found


def _count_punched_days(
    inputs: RecapInputs, nip: str, year: _UnitYear, punched: list[str]
) -> Counts:
    """The same counts as ``_count_every_day`` for an employee without exceptions, from
    the days with counted records alone: every other working day up to today is TK (no
    record, no overlay), so the absences are the working days less the days judged
    otherwise, and the longest run is the longest gap between those days."""
    late = early = 0
    not_absent: list[int] = []
    for text in punched:
        where = year.position.get(text)
        if where is None:
            continue  # not a working day (or after today): never counted
        d = judge_plan_day(inputs, nip, year.plans[text], inputs.punches[(nip, text)], [])
        late += d.counted_late
        early += d.counted_early
        if d.status != "TK":
            not_absent.append(where)
    not_absent.sort()
    longest, previous = 0, -1
    for where in not_absent:
        longest = max(longest, where - previous - 1)
        previous = where
    longest = max(longest, year.working - previous - 1)
    return year.working - len(not_absent), late, early, longest, year.discipline
