"""Working-time rules as versioned data (docs/contract.md section 4). No Flask here.

A rule set is a TOML file read with ``tomllib``; every number is parsed as ``Decimal`` (TOML
floats never become binary floats). ``parse_rules`` refuses anything it does not understand
with a ``RuleError`` naming the field, so a typo (``grace_minute``) is caught at import and
never silently judged as a default. Each import is a new version kept forever; ``RuleBook``
picks the version that judges a day for an employee of a unit.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import CentralError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEFAULT_EXCEPTION_KINDS = (
    "cuti",
    "izin",
    "sakit",
    "dinas_luar",
    "tugas_belajar",
    "gangguan_teknis",
)

_TOP_KEYS = {
    "id",
    "effective_from",
    "units",
    "tpp_attendance_weight",
    "monthly_cap",
    "week",
    "deductions",
    "exceptions",
    "discipline",
    "overrides",
    "holidays",
    # optional, descriptive only (an extension of the Contract)
    "title",
    "source",
}
_DEDUCTION_KEYS = {"grace_minutes", "late", "early", "no_arrival", "no_departure", "absent"}
_DISCIPLINE_KEYS = {"minutes_per_day", "consecutive_days", "levels"}


class RuleError(CentralError):
    """A rule file that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Hours:
    """Working hours of one day, in seconds after WITA midnight."""

    start: int
    end: int
    text: tuple[str, str] = ("", "")  # "HH:MM" of start and end, made once

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", (_hhmm(self.start), _hhmm(self.end)))


@dataclass(frozen=True)
class Band:
    name: str  # TL1..TL4 or PSW1..PSW4
    low: int  # minutes, inclusive
    high: int
    percent: Decimal


@dataclass(frozen=True)
class Override:
    first: date
    last: date
    week: dict[int, Hours]


@dataclass(frozen=True)
class Discipline:
    minutes_per_day: int = 450
    consecutive_days: int = 10
    levels: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """One imported version of the rules."""

    id: str
    effective_from: date
    units: frozenset[str] | None
    weight: Decimal
    cap: Decimal
    week: dict[int, Hours]
    grace: int
    late: tuple[Band, ...]
    early: tuple[Band, ...]
    no_arrival: Decimal
    no_departure: Decimal
    absent: Decimal
    exceptions: dict[str, Decimal]
    discipline: Discipline
    overrides: tuple[Override, ...] = ()
    holidays: dict[date, str] = field(default_factory=dict)
    source: str = ""
    version: int = 0  # import order, set by the store

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def hours_on(self, day: date) -> Hours | None:
        """The working hours of ``day``, or None when it is not a working day."""
        if day in self.holidays:
            return None
        for override in self.overrides:
            if override.first <= day <= override.last:
                return override.week.get(day.weekday())
        return self.week.get(day.weekday())


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}"


def _fail(where: str, message: str) -> RuleError:
    return RuleError(f"{where}: {message}")


def _decimal(
    value: Any, where: str, *, low: Decimal = Decimal(0), high: Decimal = Decimal(100)
) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise _fail(where, 'must be a number (percent), e.g. 1.5 or "1.5"')
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError as exc:
        raise _fail(where, f"{value!r} is not a number") from exc
    if not number.is_finite() or not low <= number <= high:
        raise _fail(where, f"must be between {low} and {high}, got {value}")
    return number


def _integer(value: Any, where: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(where, f"must be a whole number from {low} to {high}, got {value!r}")
    return value


def _day(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        raise _fail(where, f"must be a date YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _fail(where, f"{value!r} is not a calendar date") from exc


def _hours(value: Any, where: str) -> Hours:
    match = HOURS_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise _fail(where, f"must be working hours HH:MM-HH:MM (WITA), got {value!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if end <= start:
        raise _fail(where, f"end {value[6:]} is not after start {value[:5]}")
    return Hours(start, end)


def _week(table: Any, where: str) -> dict[int, Hours]:
    if not isinstance(table, dict):
        raise _fail(where, "must be a table of weekdays mon..sun")
    unknown = set(table) - set(WEEKDAYS)
    if unknown:
        raise _fail(
            where,
            f"unknown key(s) {', '.join(sorted(unknown))}; weekdays are " + ", ".join(WEEKDAYS),
        )
    week = {
        i: _hours(table[name], f"{where}.{name}")
        for i, name in enumerate(WEEKDAYS)
        if name in table
    }
    return week


def _bands(value: Any, where: str, prefix: str) -> tuple[Band, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= 10:
        raise _fail(where, "must be a list of [from, to, percent] bands, e.g. [[1, 30, 0.5]]")
    bands: list[Band] = []
    expected = 1
    for i, item in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(item, list) or len(item) != 3:
            raise _fail(at, "must be [from, to, percent]")
        low = _integer(item[0], f"{at} from", low=1, high=1440)
        high = _integer(item[1], f"{at} to", low=low, high=1440)
        if low != expected:
            raise _fail(
                at,
                f"bands must follow each other without gaps: expected from = {expected}, got {low}",
            )
        expected = high + 1
        bands.append(Band(f"{prefix}{i + 1}", low, high, _decimal(item[2], f"{at} percent")))
    return tuple(bands)


def _discipline(table: Any) -> Discipline:
    if table is None:
        return Discipline()
    if not isinstance(table, dict):
        raise _fail("discipline", "must be a table")
    unknown = set(table) - _DISCIPLINE_KEYS
    if unknown:
        raise _fail("discipline", f"unknown key(s) {', '.join(sorted(unknown))}")
    levels: list[tuple[int, str]] = []
    raw = table.get("levels", [])
    if not isinstance(raw, list):
        raise _fail("discipline.levels", "must be a list of [days, sanction]")
    for i, item in enumerate(raw):
        at = f"discipline.levels[{i}]"
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not isinstance(item[1], str)
            or not item[1].strip()
        ):
            raise _fail(at, 'must be [days, "sanction"]')
        days = _integer(item[0], f"{at} days", low=1, high=366)
        if levels and days <= levels[-1][0]:
            raise _fail(at, "levels must be in increasing order of days")
        levels.append((days, item[1].strip()))
    return Discipline(
        minutes_per_day=_integer(
            table.get("minutes_per_day", 450), "discipline.minutes_per_day", low=1, high=1440
        ),
        consecutive_days=_integer(
            table.get("consecutive_days", 10), "discipline.consecutive_days", low=1, high=366
        ),
        levels=tuple(levels),
    )


def parse_rules(text: str) -> RuleSet:
    """Parse and check one rule file; RuleError naming the field for anything wrong."""
    try:
        doc = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"not valid TOML: {exc}") from exc
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise RuleError(
            f"unknown key(s) {', '.join(sorted(unknown))} (a typo?); known keys: "
            + ", ".join(sorted(_TOP_KEYS))
        )
    for key in (
        "id",
        "effective_from",
        "tpp_attendance_weight",
        "monthly_cap",
        "week",
        "deductions",
    ):
        if key not in doc:
            raise _fail(key, "is required")
    rule_id = doc["id"]
    if not isinstance(rule_id, str) or not ID_RE.match(rule_id):
        raise _fail(
            "id", "must be 1-80 letters, digits, '.', '_' or '-', e.g. \"perbup-batola-2026\""
        )
    units = doc.get("units")
    if units is not None:
        if (
            not isinstance(units, list)
            or not units
            or not all(isinstance(u, str) and 1 <= len(u.strip()) <= 120 for u in units)
        ):
            raise _fail("units", "must be a non-empty list of unit names")
        units = frozenset(u.strip() for u in units)
    week = _week(doc["week"], "week")
    if not week:
        raise _fail("week", "names no working day")
    ded = doc["deductions"]
    if not isinstance(ded, dict):
        raise _fail("deductions", "must be a table")
    unknown = set(ded) - _DEDUCTION_KEYS
    if unknown:
        raise _fail("deductions", f"unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("late", "early", "no_arrival", "no_departure", "absent"):
        if key not in ded:
            raise _fail(f"deductions.{key}", "is required")
    exc_table = doc.get("exceptions", {k: 0 for k in DEFAULT_EXCEPTION_KINDS})
    if not isinstance(exc_table, dict) or not exc_table:
        raise _fail("exceptions", "must be a table of kind = percent")
    exceptions: dict[str, Decimal] = {}
    for kind, percent in exc_table.items():
        if not KIND_RE.match(kind):
            raise _fail(f"exceptions.{kind}", "a kind is lowercase letters, digits and _")
        exceptions[kind] = _decimal(percent, f"exceptions.{kind}")
    overrides: list[Override] = []
    raw_overrides = doc.get("overrides", [])
    if not isinstance(raw_overrides, list):
        raise _fail("overrides", "must be [[overrides]] tables")
    for i, item in enumerate(raw_overrides):
        at = f"overrides[{i}]"
        if not isinstance(item, dict):
            raise _fail(at, "must be a table")
        for key in ("from", "to"):
            if key not in item:
                raise _fail(f"{at}.{key}", "is required")
        first, last = _day(item["from"], f"{at}.from"), _day(item["to"], f"{at}.to")
        if last < first:
            raise _fail(f"{at}.to", "is before from")
        days = {k: v for k, v in item.items() if k not in ("from", "to", "name")}
        overrides.append(Override(first, last, _week(days, at)))
    holidays: dict[date, str] = {}
    raw_holidays = doc.get("holidays", [])
    if not isinstance(raw_holidays, list):
        raise _fail("holidays", "must be [[holidays]] tables")
    for i, item in enumerate(raw_holidays):
        at = f"holidays[{i}]"
        if not isinstance(item, dict) or "date" not in item:
            raise _fail(at, "must be a table with date and name")
        name = item.get("name", "")
        if not isinstance(name, str):
            raise _fail(f"{at}.name", "must be text")
        holidays[_day(item["date"], f"{at}.date")] = name
    source_text = doc.get("source", "")
    title = doc.get("title", "")
    if not isinstance(source_text, str) or not isinstance(title, str):
        raise _fail("title/source", "must be text")
    return RuleSet(
        id=rule_id,
        effective_from=_day(doc["effective_from"], "effective_from"),
        units=units,
        weight=_decimal(doc["tpp_attendance_weight"], "tpp_attendance_weight"),
        cap=_decimal(doc["monthly_cap"], "monthly_cap"),
        week=week,
        grace=_integer(ded.get("grace_minutes", 0), "deductions.grace_minutes", low=0, high=240),
        late=_bands(ded["late"], "deductions.late", "TL"),
        early=_bands(ded["early"], "deductions.early", "PSW"),
        no_arrival=_decimal(ded["no_arrival"], "deductions.no_arrival"),
        no_departure=_decimal(ded["no_departure"], "deductions.no_departure"),
        absent=_decimal(ded["absent"], "deductions.absent"),
        exceptions=exceptions,
        discipline=_discipline(doc.get("discipline")),
        overrides=tuple(overrides),
        holidays=holidays,
        source=text,
    )


class RuleBook:
    """Every imported version; picks the one that judges a day for a unit (Contract):
    the latest ``effective_from`` on or before the day among versions naming the unit,
    else among versions without ``units``; a later import wins a tie."""

    def __init__(self, versions: list[RuleSet]) -> None:
        self.versions = sorted(versions, key=lambda r: (r.effective_from, r.version))
        self._cache: dict[tuple[str, date], RuleSet | None] = {}

    def kinds(self) -> set[str]:
        return {kind for rules in self.versions for kind in rules.exceptions}

    def for_day(self, unit: str, day: date) -> RuleSet | None:
        key = (unit, day)
        if key in self._cache:
            return self._cache[key]
        scoped = general = None
        for rules in self.versions:
            if rules.effective_from > day:
                break
            if rules.units is None:
                general = rules
            elif unit in rules.units:
                scoped = rules
        found = scoped or general
        self._cache[key] = found
        return found


def import_rules(store: Any, text: str, *, by: str, now: float) -> RuleSet:
    """Check and store a rule file as a new version; RuleError when it is refused
    (invalid, or its ``id`` names a version already imported: versions are kept forever,
    so a corrected file gets a new id)."""
    from dataclasses import replace

    rules = parse_rules(text)
    if not isinstance(by, str) or not 1 <= len(by.strip()) <= 120:
        raise RuleError("by must name who imports the rules (1-120 characters)")
    version = store.add_rule_version(
        rules.id, rules.effective_from.isoformat(), text, rules.sha256, by.strip(), now
    )
    if version is None:
        raise RuleError(
            f"id: a rule version named {rules.id!r} was already imported; "
            "versions are kept forever, give the new file a new id"
        )
    return replace(rules, version=version)


def list_rules(store: Any) -> list[dict[str, Any]]:
    out = []
    for row in store.rule_versions():
        rules = parse_rules(row.source)
        out.append(
            {
                "version": row.version,
                "id": row.id,
                "effective_from": row.effective_from,
                "units": sorted(rules.units) if rules.units else None,
                "sha256": row.sha256,
                "imported_by": row.imported_by,
                "imported_at": row.imported_at,
            }
        )
    return out
