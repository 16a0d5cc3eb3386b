"""The monthly recap: from counted check-ins, rule versions and approved overlays to each
employee's days and month (docs/contract.md section 4, docs/recap.md). No Flask here.

Nothing here is stored as truth: the recap is computed from the append-only records every
time, so a late sync that brings an earlier record changes it. ``central.reports.record_status``
alone decides which check-ins count. A closed month (``central.monthclose``) is computed
from the inputs as they were at the close (ids of records, overlay events, rule versions and
day closes never go back), and what came later is listed as ``after_close``.

All money-relevant arithmetic is ``Decimal``; rounding (half up, two decimals) happens only
on the month's totals and when a day's figure is written out.
"""

from __future__ import annotations

import calendar
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sync.timefmt import WITA, format_ts

from .errors import ApiError
from .exceptions import ExceptionOverlay, Incident, approved_exceptions, approved_incidents
from .reports import ReportSettings, record_status
from .rules import Band, Hours, RuleBook, RuleSet, parse_rules
from .store.protocol import CentralStore
from .store.rows import PlainRows, StoredRecord
from .trust import TrustFacts

CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
WITA_OFFSET_S = 8 * 3600


_MONEY: dict[Decimal, str] = {}


@contextmanager
def bulk_objects() -> Iterator[None]:
    """Pause the cyclic garbage collector while a recap builds its few hundred thousand
    small objects (none of them cycles): otherwise it rescans the growing heap again and
    again. Reference counting still frees everything; the collector resumes after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def money(value: Decimal) -> str:
    """Two decimals, rounded half up: how every deduction and percent is written."""
    text = _MONEY.get(value)
    if text is None:
        text = str(value.quantize(CENT, rounding=ROUND_HALF_UP))
        if len(_MONEY) < 4096:  # a day's few distinct figures, memoised
            _MONEY[value] = text
    return text


def wita_seconds(ts: str) -> int:
    """Seconds after WITA midnight of a record ``ts`` (``...HH:MM:SS.mmmZ``, UTC). WITA is
    UTC+8 with no daylight saving, so slicing beats a datetime per record."""
    return (int(ts[11:13]) * 3600 + int(ts[14:16]) * 60 + int(ts[17:19]) + WITA_OFFSET_S) % 86400


_CLOCK: dict[int, str] = {}


def clock_text(seconds: int) -> str:
    """``HH:MM:SS`` of seconds after WITA midnight (memoised: at most 86,400 of them)."""
    text = _CLOCK.get(seconds)
    if text is None:
        text = _CLOCK[seconds] = (
            f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        )
    return text


def utc_ts(day: date, seconds: int) -> str:
    """The record timestamp (UTC) of ``seconds`` after WITA midnight of ``day``."""
    moment = datetime.combine(day, time(), tzinfo=WITA) + timedelta(seconds=seconds)
    return format_ts(moment)


def band_of(minutes: int, bands: tuple[Band, ...]) -> Band:
    for band in bands:
        if band.low <= minutes <= band.high:
            return band
    return bands[-1]  # beyond the last band's end (more than a day): the heaviest band


@dataclass(slots=True)
class DayResult:
    """One employee's judged day; ``deduction`` unrounded."""

    day: date
    status: str  # hadir, TK, libur, exception, belum (future), tanpa-aturan
    rules: RuleSet | None = None
    hours: Hours | None = None
    arrival: int | None = None  # seconds after WITA midnight
    departure: int | None = None
    in_node: str | None = None
    out_node: str | None = None
    late_minutes: int | None = None
    early_minutes: int | None = None
    late_band: str | None = None
    early_band: str | None = None
    exception: ExceptionOverlay | None = None
    incident: dict[str, Any] | None = None
    deduction: Decimal = ZERO
    final: bool = False
    excluded: int = 0
    after_close: int = 0
    holiday: str | None = None
    counted_late: int = 0  # minutes that fell in a band (what the month sums)
    counted_early: int = 0
    shared_json: dict[str, Any] | None = None  # a result many employees share: made once

    def as_json(self) -> dict[str, Any]:
        if self.shared_json is not None:
            return self.shared_json.copy()
        start, end = self.hours.text if self.hours else (None, None)
        out: dict[str, Any] = {
            "date": self.day.isoformat(),
            "rule": self.rules.id if self.rules else None,
            "start": start,
            "end": end,
            "in": clock_text(self.arrival) if self.arrival is not None else None,
            "out": clock_text(self.departure) if self.departure is not None else None,
            "late_minutes": self.late_minutes,
            "early_minutes": self.early_minutes,
            "late_band": self.late_band,
            "early_band": self.early_band,
            "exception": self.exception.kind if self.exception else None,
            "incident": self.incident,
            "deduction": money(self.deduction),
            "final": self.final,
            "status": self.status,
        }
        if self.exception is not None:
            out["exception_part"] = self.exception.part
            out["exception_id"] = self.exception.id
        if self.in_node and self.out_node and self.in_node != self.out_node:
            # one day, two offices: say which record came from where
            out["in_node"], out["out_node"] = self.in_node, self.out_node
        if self.excluded:
            out["excluded"] = self.excluded
        if self.after_close:
            out["after_close"] = self.after_close
        if self.holiday is not None:
            out["holiday"] = self.holiday
        return out


def judge_day(
    rules: RuleSet,
    day: date,
    hours: Hours | None,
    punches: list[tuple[int, str, str]],
    *,
    whole: ExceptionOverlay | None = None,
    arrival_exempt: ExceptionOverlay | dict[str, Any] | None = None,
    departure_exempt: ExceptionOverlay | dict[str, Any] | None = None,
) -> DayResult:
    """Judge one working day (or a non-working one when ``hours`` is None) exactly as the
    Contract says. ``punches``: counted (seconds after WITA midnight, kind, node).
    ``*_exempt``: the exception or incident that takes that part out (None: it counts)."""
    arrival = departure = None
    in_node = out_node = None
    for secs, kind, node in punches:
        if kind == "in" and (arrival is None or secs < arrival):
            arrival, in_node = secs, node
    for secs, kind, node in punches:
        if kind == "out" and (departure is None or secs > departure):
            departure, out_node = secs, node
    if arrival is not None and departure is not None and departure < arrival:
        # Every `out` came before the first `in`: that `in` is no arrival of this day (listed,
        # not used), so a day is never judged better for an `in` tapped after leaving.
        arrival = in_node = None
    result = DayResult(day, "hadir", rules, hours, arrival, departure, in_node, out_node)
    if hours is None:
        result.status = "libur"
        result.holiday = rules.holidays.get(day)
        return result
    if whole is not None and whole.kind in rules.exceptions:
        result.status = "exception"
        result.exception = whole
        result.deduction = rules.exceptions[whole.kind]
        return result
    if arrival is None and departure is None:
        result.status = "TK"
        result.deduction = rules.absent
        return result
    parts = ZERO
    if arrival_exempt is None:
        if arrival is None:
            result.late_band = rules.late[-1].name
            parts += rules.no_arrival
        else:
            minutes = max(0, arrival - hours.start) // 60
            result.late_minutes = minutes
            if minutes > rules.grace:
                band = band_of(minutes, rules.late)
                result.late_band, result.counted_late = band.name, minutes
                parts += band.percent
    elif arrival is not None:
        result.late_minutes = max(0, arrival - hours.start) // 60
    if departure_exempt is None:
        if departure is None:
            result.early_band = rules.early[-1].name
            parts += rules.no_departure
        else:
            minutes = max(0, hours.end - departure) // 60
            result.early_minutes = minutes
            if minutes > rules.grace:
                band = band_of(minutes, rules.early)
                result.early_band, result.counted_early = band.name, minutes
                parts += band.percent
    elif departure is not None:
        result.early_minutes = max(0, hours.end - departure) // 60
    for exempt in (arrival_exempt, departure_exempt):
        if isinstance(exempt, ExceptionOverlay):
            result.exception = exempt
    incident = next((e for e in (arrival_exempt, departure_exempt) if isinstance(e, dict)), None)
    if incident is not None:
        result.incident = {
            "id": incident["id"],
            "reason": incident["reason"],
            "parts": [
                name
                for name, e in (("arrival", arrival_exempt), ("departure", departure_exempt))
                if e is incident
            ],
        }
    result.deduction = parts
    return result


@dataclass
class Cutoffs:
    """A closed month's inputs: only ids at or below these are read."""

    record_cutoff: int
    event_cutoff: int
    rule_cutoff: int
    day_close_cutoff: int


def load_book(store: CentralStore, rule_cutoff: int | None = None) -> RuleBook:
    return RuleBook(
        [
            replace(parse_rules(row.source), version=row.version)
            for row in store.rule_versions(rule_cutoff)
        ]
    )


def plain_rows(facts: TrustFacts, settings: ReportSettings, record_cutoff: int | None) -> PlainRows:
    """Which rows ``record_status`` counts from the row alone (``PlainRows``): the recap
    lets the database aggregate those, and judges every other row one by one. Logs with a
    fork are never plain (a row at or after the fork is ``disputed``); a row without an
    anchor is plain only when anchorless rows count (``require_anchor`` off) and its log
    never had a receipt (with one, it may be ``anchor-missing``). Acceptances only ever
    turn an uncounted row into a counted one, and a plain row counts already."""
    return PlainRows(
        max_id=record_cutoff if record_cutoff is not None else 2**62,
        forked_logs=tuple(sorted(facts.forks)),
        linked_logs=tuple(sorted(facts.link_starts)),
        anchorless_count=not settings.require_anchor,
    )


def counted_checkins(
    store: CentralStore, first: date, last: date, settings: ReportSettings
) -> Iterator[tuple[int, StoredRecord, bool]]:
    """(record id, record, counted) of every check-in of these WITA days, each judged by
    ``record_status``: the straightforward path (the recap itself aggregates the plain
    rows in the database, ``load_inputs``)."""
    # Events whose window meets these days (UTC bounds widened by a day each side: WITA is
    # UTC+8, and a wider range only loads an event or two more).
    facts = TrustFacts.load(
        store,
        f"{first - timedelta(days=1)}T00:00:00.000Z",
        f"{last + timedelta(days=1)}T23:59:59.999Z",
    )
    for rec_id, rec in store.recap_checkins(first.isoformat(), last.isoformat()):
        yield rec_id, rec, record_status(rec, facts, settings)[1]


@dataclass
class RecapInputs:
    """Everything the engine reads for a range of days, loaded once."""

    first: date
    last: date
    today: date
    book: RuleBook
    employees: list[tuple[str, str, str]]
    # (nip, WITA day) -> counted (seconds after midnight, kind, node)
    punches: dict[tuple[str, str], list[tuple[int, str, str]]] = field(default_factory=dict)
    excluded: dict[tuple[str, str], int] = field(default_factory=dict)
    after_close: dict[tuple[str, str], int] = field(default_factory=dict)
    late_records: list[dict[str, Any]] = field(default_factory=list)
    exceptions: dict[str, list[ExceptionOverlay]] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)
    unit_nodes: dict[str, set[str]] = field(default_factory=dict)
    nip_nodes: dict[str, set[str]] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)
    plans: dict[str, list[PlanDay]] = field(default_factory=dict)
    closed_days: set[tuple[str, str | None]] = field(default_factory=set)
    closed: bool = False


def load_inputs(
    store: CentralStore,
    first: date,
    last: date,
    *,
    today: date,
    settings: ReportSettings,
    unit: str | None = None,
    nip: str | None = None,
    cutoffs: Cutoffs | None = None,
) -> RecapInputs:
    book = load_book(store, cutoffs.rule_cutoff if cutoffs else None)
    employees = [
        (e.nip, e.name, e.unit)
        for e in store.employees()
        if (unit is None or e.unit == unit) and (nip is None or e.nip == nip)
    ]
    inputs = RecapInputs(first, last, today, book, employees, closed=cutoffs is not None)
    unit_of = {e[0]: e[2] for e in employees}
    record_cutoff = cutoffs.record_cutoff if cutoffs else None
    punches = inputs.punches
    seen_nodes: set[tuple[str, str]] = set()
    # Accepted objections' genuine records (central/objections.py), added to their day below.
    # A record central also holds and counts becomes a second identical punch, which changes
    # nothing: a day takes its earliest `in` and latest `out`.
    evidence = store.accepted_evidence(first.isoformat(), last.isoformat())
    facts = TrustFacts.load(
        store,
        f"{first - timedelta(days=1)}T00:00:00.000Z",
        f"{last + timedelta(days=1)}T23:59:59.999Z",
    )
    plain = plain_rows(facts, settings, record_cutoff)
    first_text, last_text = first.isoformat(), last.isoformat()
    # The plain rows, aggregated by the database: first in and last out per employee, day
    # and node (judge_day takes the earliest in and the latest out over the nodes).
    aggregated = store.recap_first_last(first_text, last_text, plain)
    seen_nodes.update((r[0], r[2]) for r in aggregated if r[0] in unit_of)
    for who, day, node, first_in, last_out in aggregated:
        if who not in unit_of:
            continue
        key = (who, day)
        day_punches = punches.get(key)
        if day_punches is None:
            day_punches = punches[key] = []
        if first_in is not None:
            day_punches.append((wita_seconds(first_in), "in", node))
        if last_out is not None:
            day_punches.append((wita_seconds(last_out), "out", node))
    # Every other row (after a close, or not plainly counted), one by one.
    for rec_id, rec in store.recap_other_checkins(first_text, last_text, plain):
        who = rec.nip
        if who not in unit_of or rec.day is None:
            continue
        counted = record_status(rec, facts, settings)[1]
        seen_nodes.add((who, rec.node))
        if record_cutoff is not None and rec_id > record_cutoff:
            key = (who, rec.day)
            inputs.after_close[key] = inputs.after_close.get(key, 0) + 1
            inputs.late_records.append(
                {
                    "nip": who,
                    "date": rec.day,
                    "kind": rec.kind,
                    "ref": f"{rec.node}/{rec.epoch}/{rec.seq}",
                    "ts": rec.ts,
                    "counted": counted,
                }
            )
            continue
        if not counted:
            key = (who, rec.day)
            inputs.excluded[key] = inputs.excluded.get(key, 0) + 1
            continue
        key = (who, rec.day)
        day_punches = punches.get(key)
        if day_punches is None:
            day_punches = punches[key] = []
        day_punches.append((wita_seconds(rec.ts), rec.kind or "", rec.node))
    for ev in evidence:
        if ev.nip in unit_of and ev.ts:
            punches.setdefault((ev.nip, ev.day), []).append(
                (wita_seconds(ev.ts), ev.kind or "", ev.node or "")
            )
    for who, node in seen_nodes:
        inputs.unit_nodes.setdefault(unit_of[who], set()).add(node)
        inputs.nip_nodes.setdefault(who, set()).add(node)
    event_cutoff = cutoffs.event_cutoff if cutoffs else None
    for exc in approved_exceptions(store, first, last, event_cutoff):
        if exc.nip in unit_of:
            inputs.exceptions.setdefault(exc.nip, []).append(exc)
    inputs.incidents = approved_incidents(
        store, utc_ts(first, 0), utc_ts(last, 86399), event_cutoff
    )
    inputs.heads = store.node_heads()
    for close in store.day_closes(first.isoformat(), last.isoformat()):
        if cutoffs is None or close["id"] <= cutoffs.day_close_cutoff:
            inputs.closed_days.add((close["day"], close["unit"]))
    return inputs


@dataclass(slots=True)
class PlanDay:
    """What a day is for every employee of one unit: computed once per unit, not per person."""

    day: date
    text: str
    rules: RuleSet | None
    hours: Hours | None
    final: bool
    start_incidents: list[Incident]  # approved incidents covering the start, by scope
    end_incidents: list[Incident]
    shared: DayResult | None = None  # the day without records or overlays (lean mode)
    shared_final: DayResult | None = None  # the same with ``final`` (the month)


def _incident_for(
    inputs: RecapInputs,
    nip: str,
    candidates: list[Incident],
) -> dict[str, Any] | None:
    for inc in candidates:
        if inc.node is not None and inc.node not in inputs.nip_nodes.get(nip, ()):
            continue
        return {"id": inc.id, "reason": inc.reason}
    return None


def day_is_final(inputs: RecapInputs, unit: str, day: date) -> bool:
    """Final when the month is closed, an official closed the day (for everyone or the
    unit), or every node serving the unit has pushed a record made after the day's end."""
    if inputs.closed:
        return True
    if day >= inputs.today:
        return False
    text = day.isoformat()
    if (text, None) in inputs.closed_days or (text, unit) in inputs.closed_days:
        return True
    nodes = inputs.unit_nodes.get(unit) or set(inputs.heads)
    if not nodes:
        return False
    day_end = utc_ts(day + timedelta(days=1), 0)
    return all(inputs.heads.get(node, "") >= day_end for node in nodes)


def unit_plan(inputs: RecapInputs, unit: str) -> list[PlanDay]:
    plan = inputs.plans.get(unit)
    if plan is not None:
        return plan
    plan = []
    day = inputs.first
    while day <= inputs.last:
        rules = inputs.book.for_day(unit, day)
        hours = rules.hours_on(day) if rules else None
        starts: list[Incident] = []
        ends: list[Incident] = []
        if hours is not None:
            start, end = utc_ts(day, hours.start), utc_ts(day, hours.end)
            for inc in inputs.incidents:
                if inc.unit is None or inc.unit == unit:
                    if inc.ts_from <= start <= inc.ts_to:
                        starts.append(inc)
                    if inc.ts_from <= end <= inc.ts_to:
                        ends.append(inc)
        plan.append(
            PlanDay(
                day, day.isoformat(), rules, hours, day_is_final(inputs, unit, day), starts, ends
            )
        )
        day += timedelta(days=1)
    inputs.plans[unit] = plan
    return plan


def employee_days(
    inputs: RecapInputs, nip: str, unit: str, *, lean: bool = False
) -> Iterator[DayResult]:
    """Every calendar day of the range for one employee, judged. Days with no record, no
    overlay and nothing excluded are the same for everyone of the unit: one read-only
    result per unit and day is shared (``lean``, the yearly count, leaves ``final`` and the
    excluded and after-close counts out of it)."""
    all_punches = inputs.punches
    excluded, after_close = inputs.excluded, inputs.after_close
    overlays = inputs.exceptions.get(nip, [])
    today = inputs.today
    for plan in unit_plan(inputs, unit):
        day, text, rules = plan.day, plan.text, plan.rules
        if rules is None:
            result = DayResult(day, "tanpa-aturan")
        elif day > today:
            result = DayResult(day, "belum", rules, plan.hours)
        else:
            key = (nip, text)
            punches = all_punches.get(key)
            if punches is None and not overlays:
                if lean:
                    if plan.shared is None:
                        plan.shared = judge_day(rules, day, plan.hours, [])
                    yield plan.shared
                    continue
                if key not in excluded and key not in after_close:
                    if plan.shared_final is None:
                        plan.shared_final = judge_day(rules, day, plan.hours, [])
                        plan.shared_final.final = plan.final
                        plan.shared_final.shared_json = plan.shared_final.as_json()
                    yield plan.shared_final
                    continue
            result = judge_plan_day(inputs, nip, plan, punches or [], overlays)
        if not lean:
            result.excluded = excluded.get((nip, text), 0)
            result.after_close = after_close.get((nip, text), 0)
        result.final = plan.final
        yield result


def judge_plan_day(
    inputs: RecapInputs,
    nip: str,
    plan: PlanDay,
    punches: list[tuple[int, str, str]],
    overlays: list[ExceptionOverlay],
) -> DayResult:
    """One employee's working (or non-working) day of a unit's plan, with the employee's
    approved exceptions and the incidents that cover the day's start or end."""
    assert plan.rules is not None
    day = plan.day
    whole = arrival_x = departure_x = None
    for overlay in overlays:
        if overlay.first <= day <= overlay.last:
            if overlay.part == "day":
                whole = overlay
            elif overlay.part == "arrival":
                arrival_x = overlay
            else:
                departure_x = overlay
    arrival_e: ExceptionOverlay | dict[str, Any] | None = arrival_x
    departure_e: ExceptionOverlay | dict[str, Any] | None = departure_x
    if plan.start_incidents or plan.end_incidents:
        arrival_e = arrival_e or _incident_for(inputs, nip, plan.start_incidents)
        departure_e = departure_e or _incident_for(inputs, nip, plan.end_incidents)
        if (
            isinstance(arrival_e, dict)
            and isinstance(departure_e, dict)
            and arrival_e["id"] == departure_e["id"]
        ):
            departure_e = arrival_e
    return judge_day(
        plan.rules,
        day,
        plan.hours,
        punches,
        whole=whole,
        arrival_exempt=arrival_e,
        departure_exempt=departure_e,
    )


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``; 400 for anything else."""
    if (
        not isinstance(month, str)
        or len(month) != 7
        or month[4] != "-"
        or not (month[:4] + month[5:]).isdigit()
    ):
        raise ApiError("month must be YYYY-MM", code="bad-month")
    year, number = int(month[:4]), int(month[5:])
    if not 1 <= number <= 12 or year < 2000:
        raise ApiError("month must be YYYY-MM (a real month, year 2000 or later)", code="bad-month")
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def summarize(
    nip: str, name: str, unit: str, days: list[DayResult], *, with_days: bool = True
) -> dict[str, Any]:
    """One employee's month from their judged days (Contract field names)."""
    working = present = absent = 0
    exception_days: dict[str, int] = {}
    late = {"TL1": 0, "TL2": 0, "TL3": 0, "TL4": 0}
    early = {"PSW1": 0, "PSW2": 0, "PSW3": 0, "PSW4": 0}
    late_minutes = early_minutes = 0
    total = ZERO
    last_working: RuleSet | None = None
    last_any: RuleSet | None = None
    for d in days:
        last_any = d.rules or last_any
        if d.hours is None or d.status in ("belum", "tanpa-aturan", "libur"):
            continue
        last_working = d.rules
        working += 1
        total += d.deduction
        if d.status == "TK":
            absent += 1
        elif d.status == "exception":
            kind = d.exception.kind if d.exception else "?"
            exception_days[kind] = exception_days.get(kind, 0) + 1
        else:
            present += 1
        if d.late_band:
            late[d.late_band] = late.get(d.late_band, 0) + 1
        if d.early_band:
            early[d.early_band] = early.get(d.early_band, 0) + 1
        late_minutes += d.counted_late
        early_minutes += d.counted_early
    # The weight and cap of the version in force on the month's last working day.
    last_rules = last_working or last_any
    weight = last_rules.weight if last_rules else ZERO
    cap = last_rules.cap if last_rules else HUNDRED
    deduction = min(total, cap)
    percent = weight * (HUNDRED - deduction) / HUNDRED
    out: dict[str, Any] = {
        "nip": nip,
        "name": name,
        "unit": unit,
        "working_days": working,
        "present_days": present,
        "absent_days": absent,
        "exception_days": exception_days,
        "late": late,
        "early": early,
        "late_minutes": late_minutes,
        "early_minutes": early_minutes,
        "deduction": money(deduction),
        "attendance_percent": money(percent),
        "deduction_uncapped": money(total),
        "rule": last_rules.id if last_rules else None,
    }
    if with_days:
        # A non-working day is listed when it has records (shown, never deducted); days
        # before the first rule version are not listed at all.
        out["days"] = [
            d.as_json()
            for d in days
            if d.status not in ("libur", "tanpa-aturan")
            or d.arrival is not None
            or d.departure is not None
        ]
    return out


def month_recap(
    store: CentralStore,
    month: str,
    *,
    today: date,
    settings: ReportSettings | None = None,
    unit: str | None = None,
    nip: str | None = None,
    cutoffs: Cutoffs | None = None,
) -> dict[str, Any]:
    """The recap JSON of ``month`` (Contract); ``cutoffs`` freezes a closed month."""
    first, last = month_bounds(month)
    with bulk_objects():
        return _month_recap(
            store,
            month,
            first,
            last,
            today=today,
            settings=settings,
            unit=unit,
            nip=nip,
            cutoffs=cutoffs,
        )


def _month_recap(
    store: CentralStore,
    month: str,
    first: date,
    last: date,
    *,
    today: date,
    settings: ReportSettings | None,
    unit: str | None,
    nip: str | None,
    cutoffs: Cutoffs | None,
) -> dict[str, Any]:
    inputs = load_inputs(
        store,
        first,
        last,
        today=today,
        settings=settings or ReportSettings(),
        unit=unit,
        nip=nip,
        cutoffs=cutoffs,
    )
    if not inputs.book.versions:
        raise ApiError(
            "no rule set imported yet: run 'presensi-central rules import'",
            code="no-rules",
            status=409,
        )
    employees = [
        summarize(emp_nip, name, emp_unit, list(employee_days(inputs, emp_nip, emp_unit)))
        for emp_nip, name, emp_unit in inputs.employees
    ]
    # Every judged day takes its rule version and its finality from its unit's plan, so the
    # plans of the units with employees say which versions were used and whether all is final.
    used: dict[str, None] = {}
    all_final = True
    for plan in inputs.plans.values():
        for p in plan:
            if p.rules is not None and p.day <= inputs.today:
                used[p.rules.id] = None
                all_final = all_final and p.final
    out: dict[str, Any] = {
        "month": month,
        "rules": list(used),
        "final": bool(inputs.closed or (all_final and last < today)),
        "timezone": "Asia/Makassar",
        "unit": unit,
        "employees": employees,
    }
    if cutoffs is not None:
        out["after_close"] = {"records": inputs.late_records}
    return out
