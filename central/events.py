"""Events: an official gathering of several offices' staff at one node. No Flask here.

The seed's harm came back at every gathering: at the ceremony in the Bupati's office yard
hundreds of ASN from other offices could not check in, because a node serves only its own
office. An official declares the event at central (``presensi-central event add``): from
00:00 WITA of the day before until the window's end, the node's roster document also holds
every employee of the attending units (so the node has it before the window, whenever its
next pull comes: an hourly fallback, or right after its next push); their check-ins at that
node inside the window count like home-node ones (``reports.record_status``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sync.records import NODE_RE
from sync.timefmt import WITA, format_ts

from .errors import CentralError
from .store.protocol import CentralStore
from .store.rows import EventRow

HHMM_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z")
REASON_MAX = 200


class EventError(CentralError):
    """An event that cannot be declared; the message says why."""


def _moment(day: date, hhmm: str, what: str) -> datetime:
    if not HHMM_RE.match(hhmm):
        raise EventError(f"{what} must be HH:MM (WITA), such as 07:30")
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=WITA)


def make_event(
    *,
    node: str,
    day: str,
    start: str,
    end: str,
    units: list[str],
    reason: str,
    by: str,
    units_known: set[str],
    now: float,
) -> EventRow:
    """Validate an event declaration and return it (id 0: not stored yet)."""
    if not isinstance(node, str) or not NODE_RE.match(node):
        raise EventError("node must be a node id such as kec-alalak")
    try:
        when = date.fromisoformat(day)
    except (TypeError, ValueError) as exc:
        raise EventError("date must be YYYY-MM-DD") from exc
    begin, finish = _moment(when, start, "from"), _moment(when, end, "to")
    if finish <= begin:
        raise EventError("the window must end after it starts (to after from, same day)")
    chosen = sorted({u.strip() for u in units if u.strip()})
    if not chosen:
        raise EventError("name at least one attending unit (--unit)")
    unknown = [u for u in chosen if u not in units_known]
    if unknown:
        raise EventError(f"not a unit of the roster: {', '.join(unknown)[:300]}")
    reason = (reason or "").strip()
    if not 3 <= len(reason) <= REASON_MAX or any(ord(c) < 32 for c in reason):
        raise EventError(f"reason must be 3-{REASON_MAX} characters on one line")
    by = (by or "").strip()
    if not 1 <= len(by) <= 120 or any(ord(c) < 32 for c in by):
        raise EventError("say who declares the event (--by NAME, 1-120 characters)")
    roster_from = datetime.combine(when - timedelta(days=1), time(0, 0), tzinfo=WITA)
    return EventRow(
        0,
        node,
        day,
        format_ts(roster_from),
        format_ts(begin),
        format_ts(finish),
        tuple(chosen),
        reason,
        by,
        now,
    )


def add_event(
    store: CentralStore,
    *,
    node: str,
    day: str,
    start: str,
    end: str,
    units: list[str],
    reason: str,
    by: str,
    now: float,
) -> EventRow:
    """Declare an event; raise EventError (nothing stored) when it is not valid."""
    event = make_event(
        node=node,
        day=day,
        start=start,
        end=end,
        units=units,
        reason=reason,
        by=by,
        units_known=store.units(),
        now=now,
    )
    event_id = store.add_event(event)
    store.add_alert(
        node,
        "event",
        f"event {event_id} on {day} {start}-{end} WITA declared by "
        f"{by} for {len(event.units)} unit(s): {event.reason}",
        now,
    )
    return replace(event, id=event_id)
