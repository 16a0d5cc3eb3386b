"""Clock readings in the exact forms records carry."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z", re.ASCII)
WITA = timezone(timedelta(hours=8), "WITA")


def format_ts(moment: datetime) -> str:
    """RFC 3339 UTC with exactly three fraction digits and ``Z`` (docs/contract.md section 1)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _require_ts(text: object) -> None:
    if not isinstance(text, str) or not TS_RE.match(text):
        raise ValueError(f"timestamp {text!r} is not YYYY-MM-DDTHH:MM:SS.mmmZ")


def parse_ts(text: str) -> datetime:
    """Parse a record timestamp; ValueError when it is not in the exact record form."""
    _require_ts(text)
    # Slicing, not strptime: central parses several timestamps per ingested record.
    return datetime(
        int(text[0:4]),
        int(text[5:7]),
        int(text[8:10]),
        int(text[11:13]),
        int(text[14:16]),
        int(text[17:19]),
        int(text[20:23]) * 1000,
        tzinfo=UTC,
    )


def wall_ts(now: float | None = None) -> str:
    """The wall clock now (or at epoch seconds ``now``) as a record timestamp."""
    seconds = time.time() if now is None else now
    return format_ts(datetime.fromtimestamp(seconds, UTC))


def mono_us() -> int:
    """Monotonic microseconds that keep counting through suspend (CLOCK_BOOTTIME on Linux)."""
    clock = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)
    return time.clock_gettime_ns(clock) // 1000


def boot_id() -> str:
    """Identifier of this boot of the machine; a random one where the kernel gives none."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return str(uuid.uuid4())


def wita_day(ts: str) -> str:
    """The WITA calendar date (YYYY-MM-DD) of a record timestamp."""
    _require_ts(ts)
    # WITA is UTC+8, a whole number of hours: the date follows from the UTC date and hour,
    # and central asks for thousands of records of the same few hours per batch.
    return _wita_day_of_hour(ts[:13])


@lru_cache(maxsize=4096)
def _wita_day_of_hour(hour: str) -> str:
    utc = datetime(int(hour[0:4]), int(hour[5:7]), int(hour[8:10]), int(hour[11:13]), tzinfo=UTC)
    return utc.astimezone(WITA).strftime("%Y-%m-%d")


class SystemClock:
    """The real clocks. Tests and the fault suite pass another object with the same methods."""

    def wall(self) -> float:
        """Wall-clock seconds since the Unix epoch."""
        return time.time()

    def mono_us(self) -> int:
        """Monotonic microseconds (CLOCK_BOOTTIME)."""
        return mono_us()
