"""Who comes when, and how, on each working day of the demo's past month. No I/O here.

A seeded plan, so the same roster and seed give the same month: each employee's arrival and
departure on each working day (WITA, Asia/Makassar; Monday to Thursday 07:30-16:00, Friday
07:30-16:30; weekends and national holidays off) and the way each check-in was made: the
staff app, the office kiosk, a colleague's phone with the owner's PIN (witness) or the unit
head's manual list. ``scripts/demolib/history.py`` plays the plan through a real node and a
real central.

The shape follows what the first day of the online app showed: most arrive in the half hour
before the 07:30 apel, some are late in each deduction band (1-30, 31-60, 61-90, over 90
minutes), a few are absent, a few leave early, most leave after the end of the day.

Check-ins are planned to the minute; all of one minute are made together at one moment of that
minute (``Bucket``), the way a crowd at the door shares the node's group commit.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

WITA = timezone(timedelta(hours=8), "WITA")
START = time(7, 30)
END = {0: time(16, 0), 1: time(16, 0), 2: time(16, 0), 3: time(16, 0), 4: time(16, 30)}

# Late arrival (TL) and early departure (PSW) bands in minutes, with each band's share of
# arrivals or departures. The rest arrive on time and leave at or after the end.
LATE_BANDS = [((1, 30), 0.07), ((31, 60), 0.025), ((61, 90), 0.012), ((91, 150), 0.008)]
EARLY_BANDS = [((1, 30), 0.02), ((31, 60), 0.008), ((61, 90), 0.005), ((91, 180), 0.004)]
ABSENT = 0.02  # no record at all that day
NO_DEPARTURE = 0.01  # came, forgot to check out
# How arrivals are made; departures use the app or the kiosk, a few the head's list.
ARRIVAL_METHODS = [("app", 0.84), ("kiosk", 0.12), ("witness", 0.01), ("manual", 0.012)]
DEPARTURE_METHODS = [("app", 0.88), ("kiosk", 0.11), ("manual", 0.005)]
MANUAL_REASONS = [
    "HP tertinggal di rumah",
    "HP rusak, dicatat kepala unit",
    "baterai HP habis",
    "Wi-Fi kantor tidak terjangkau dari ruang rapat",
]


def _easter(year: int) -> date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    return date(year, month, (h + l - 7 * m + 114) % 31 + 1)


def national_holidays(year: int) -> dict[date, str]:
    """Indonesian national holidays with a date computable for any year: the fixed ones and
    those that follow Easter. Lunar ones (Idul Fitri, Idul Adha, Imlek, Waisak, ...) move with
    each year's decree and are left out: the demo then simply counts them as working days."""
    easter = _easter(year)
    return {
        date(year, 1, 1): "Tahun Baru Masehi",
        easter - timedelta(days=2): "Wafat Yesus Kristus",
        date(year, 5, 1): "Hari Buruh Internasional",
        easter + timedelta(days=39): "Kenaikan Yesus Kristus",
        date(year, 6, 1): "Hari Lahir Pancasila",
        date(year, 8, 17): "Hari Proklamasi Kemerdekaan",
        date(year, 12, 25): "Hari Raya Natal",
    }


def working_days(first: date, last: date) -> list[date]:
    """Monday to Friday from ``first`` to ``last`` inclusive, without national holidays."""
    days, day = [], first
    while day <= last:
        if day.weekday() < 5 and day not in national_holidays(day.year):
            days.append(day)
        day += timedelta(days=1)
    return days


def recent_working_days(today: date, span: int = 30) -> list[date]:
    """The working days of the ``span`` calendar days before ``today`` (not today itself)."""
    return working_days(today - timedelta(days=span), today - timedelta(days=1))


@dataclass(frozen=True)
class Checkin:
    """One planned check-in. ``voucher``: the colleague (witness) or head (manual)."""

    nip: str
    kind: str
    method: str
    voucher: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Bucket:
    """The check-ins made at one moment (WITA)."""

    at: datetime
    checkins: tuple[Checkin, ...]


def _pick(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    roll, total = rng.random(), 0.0
    for name, share in table:
        total += share
        if roll < total:
            return name
    return table[0][0]


def _band_minutes(rng: random.Random, bands: Sequence[tuple[tuple[int, int], float]]) -> int | None:
    """Minutes into a band drawn by share, or None (on time)."""
    roll, total = rng.random(), 0.0
    for (low, high), share in bands:
        total += share
        if roll < total:
            return rng.randint(low, high)
    return None


def _arrival_minute(rng: random.Random) -> int:
    """Minutes after midnight: 06:45-07:29 peaking before the apel, or late in a band."""
    late = _band_minutes(rng, LATE_BANDS)
    if late is not None:
        return START.hour * 60 + START.minute + late
    # The 07:30 assembly peak: most in the last quarter hour before it.
    return 7 * 60 + 29 - min(44, int(rng.expovariate(1 / 9)))


def _departure_minute(rng: random.Random, end: time) -> int:
    end_min = end.hour * 60 + end.minute
    early = _band_minutes(rng, EARLY_BANDS)
    if early is not None:
        return end_min - early
    return end_min + min(75, int(rng.expovariate(1 / 12)))


def day_plan(day: date, people: Sequence[dict[str, str]], rng: random.Random) -> list[Bucket]:
    """The check-ins of one working day, in time order, grouped by minute."""
    end = END[day.weekday()]
    heads = {p["unit"]: p["nip"] for p in people if p["role"] == "head"}
    arrivals: dict[str, int] = {}
    departures: dict[str, int] = {}
    for person in people:
        if rng.random() < ABSENT:
            continue
        arrivals[person["nip"]] = _arrival_minute(rng)
        if rng.random() >= NO_DEPARTURE:
            departures[person["nip"]] = _departure_minute(rng, end)
    unit_of = {p["nip"]: p["unit"] for p in people}
    by_minute: dict[int, list[Checkin]] = {}
    for person in people:
        nip, unit = person["nip"], person["unit"]
        for kind, minutes, table in (
            ("in", arrivals, ARRIVAL_METHODS),
            ("out", departures, DEPARTURE_METHODS),
        ):
            if nip not in minutes:
                continue
            at = minutes[nip]
            method, voucher, reason = _pick(rng, table), None, None
            if method == "witness":
                # A colleague of the unit who is already in, on whose phone the owner types
                # their own NIP and PIN.
                present = sorted(
                    n for n, m in arrivals.items() if m < at and n != nip and unit_of[n] == unit
                )
                voucher = rng.choice(present) if present else None
            elif method == "manual":
                # The unit head enters it; the head is in by then (and out after it).
                head = heads.get(unit)
                ok = (
                    head is not None
                    and head != nip
                    and arrivals.get(head, 24 * 60) < at
                    and departures.get(head, 0) > at
                )
                voucher = head if ok else None
                reason = rng.choice(MANUAL_REASONS)
            if method in ("witness", "manual") and voucher is None:
                method, reason = "app", None
            by_minute.setdefault(at, []).append(Checkin(nip, kind, method, voucher, reason))
    buckets = []
    for minute in sorted(by_minute):
        moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=WITA)
        moment += timedelta(seconds=rng.randint(0, 59), milliseconds=rng.randint(0, 999))
        buckets.append(Bucket(moment, tuple(by_minute[minute])))
    return buckets
