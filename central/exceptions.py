"""Exceptions and incidents: overlays on the records, never edits. No Flask here.

An exception (cuti, izin, sakit, dinas luar, ...) covers one employee's days, whole or only
the arrival or the departure part; an incident (a technical failure: the server, the link, a
node) covers a time window for a unit, a node or everyone. Both are proposed by one official
and count only once a *second* official approves them; every step is an append-only event
(who, when, why), so the history of a decision is never lost. The ``by`` strings name the
official; when personal accounts arrive they become the account's name, and the checks here
stay the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sync.timefmt import TS_RE

from .errors import ApiError, Conflict, Forbidden, NotFound
from .rules import RuleBook
from .store.protocol import CentralStore

PARTS = ("day", "arrival", "departure")
NIP_RE = re.compile(r"^\d{18}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_DAYS = 366


@dataclass(frozen=True)
class ExceptionOverlay:
    id: int
    nip: str
    kind: str
    first: date
    last: date
    part: str
    reason: str


@dataclass(frozen=True)
class Incident:
    id: int
    ts_from: str
    ts_to: str
    unit: str | None
    node: str | None
    reason: str


def state_of(actions: list[str]) -> str:
    """``proposed``, ``approved`` or ``rejected`` from an overlay's actions in order."""
    decided = [a for a in actions if a in ("approve", "reject")]
    if not decided:
        return "proposed"
    return "approved" if decided[0] == "approve" else "rejected"


def official(by: object, field: str = "by") -> str:
    """The name of the official acting; 400 unless 1-120 printable characters."""
    if not isinstance(by, str) or not 1 <= len(by.strip()) <= 120 or not by.isprintable():
        raise ApiError(f"{field} must name the official (1-120 characters)", code="bad-by")
    return by.strip()


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 500:
        raise ApiError("reason must be 3-500 characters", code="bad-reason")
    return reason.strip()


def _doc_no(doc_no: object) -> str | None:
    """An optional document number: blank is none; else 1-80 printable characters."""
    if doc_no is None or (isinstance(doc_no, str) and not doc_no.strip()):
        return None
    if not isinstance(doc_no, str) or len(doc_no.strip()) > 80 or not doc_no.isprintable():
        raise ApiError("doc_no must be at most 80 printable characters", code="bad-doc-no")
    return doc_no.strip()


def parse_day(text: object, field: str) -> date:
    if not isinstance(text, str) or not DATE_RE.match(text):
        raise ApiError(f"{field} must be a date YYYY-MM-DD", code="bad-date")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ApiError(f"{field} is not a calendar date", code="bad-date") from exc


def parse_ts(text: object, field: str) -> str:
    """A timestamp as records carry it (UTC ``...Z``) or in WITA with ``+08:00``."""
    from datetime import datetime

    from sync.timefmt import format_ts

    if isinstance(text, str) and TS_RE.match(text):
        return text
    if isinstance(text, str) and 16 <= len(text) <= 40:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return format_ts(moment)
    raise ApiError(
        f"{field} must be a time with its zone, e.g. 2026-10-05T07:00:00+08:00", code="bad-ts"
    )


def add_exception(
    store: CentralStore,
    book: RuleBook,
    *,
    nip: object,
    kind: object,
    first: object,
    last: object,
    part: object,
    reason: object,
    by: object,
    now: float,
    doc_no: object = None,
) -> int:
    """Propose an exception; its id. Kinds are those of the imported rule sets; ``doc_no``
    is the optional number of the letter behind it (cuti, surat tugas)."""
    if not isinstance(nip, str) or not NIP_RE.match(nip):
        raise ApiError("nip must be 18 digits", code="bad-nip")
    kinds = book.kinds()
    if not kinds:
        raise ApiError("no rule set imported yet: run 'rules import' first", code="no-rules")
    if not isinstance(kind, str) or kind not in kinds:
        raise ApiError(f"kind must be one of {', '.join(sorted(kinds))}", code="bad-kind")
    day_from, day_to = parse_day(first, "from"), parse_day(last, "to")
    if day_to < day_from:
        raise ApiError("to is before from", code="bad-date")
    if (day_to - day_from).days >= MAX_DAYS:
        raise ApiError(f"an exception covers at most {MAX_DAYS} days", code="bad-date")
    part = "day" if part is None else part
    if part not in PARTS:
        raise ApiError(f"part must be one of {', '.join(PARTS)}", code="bad-part")
    return store.add_exception(
        nip,
        kind,
        day_from.isoformat(),
        day_to.isoformat(),
        str(part),
        _reason(reason),
        official(by),
        now,
        doc_no=_doc_no(doc_no),
    )


def add_incident(
    store: CentralStore,
    *,
    ts_from: object,
    ts_to: object,
    unit: object,
    node: object,
    reason: object,
    by: object,
    now: float,
) -> int:
    """Propose an incident window for a unit, a node, or (neither given) everyone."""
    start, end = parse_ts(ts_from, "from"), parse_ts(ts_to, "to")
    if end <= start:
        raise ApiError("to must be after from", code="bad-ts")
    if unit is not None and node is not None:
        raise ApiError("give unit or node, not both", code="bad-scope")
    if unit is not None and (not isinstance(unit, str) or not 1 <= len(unit) <= 120):
        raise ApiError("unit must be 1-120 characters", code="bad-unit")
    if node is not None and (not isinstance(node, str) or not re.match(r"^[a-z0-9-]{3,40}$", node)):
        raise ApiError("node must be a node id such as kec-alalak", code="bad-node")
    return store.add_incident(start, end, unit, node, _reason(reason), official(by), now)


def decide(
    store: CentralStore,
    target: str,
    target_id: object,
    action: str,
    by: object,
    now: float,
    reason: object = None,
) -> str:
    """Approve or reject a proposed overlay; never by the official who proposed it, never
    twice. Returns the new state."""
    if isinstance(target_id, str) and target_id.isascii() and target_id.isdigit():
        target_id = int(target_id)
    if isinstance(target_id, bool) or not isinstance(target_id, int) or not (0 < target_id < 2**53):
        raise ApiError("id must be a positive whole number", code="bad-id")
    who = official(by)
    note = None if reason is None else _reason(reason)

    def check(proposer: str | None, actions: list[str]) -> None:
        if proposer is None:
            raise NotFound(f"{target} {target_id} does not exist")
        if proposer.casefold() == who.casefold():
            raise Forbidden(
                f"{who} proposed this {target}; a second official must {action} it",
                code="same-official",
            )
        state = state_of(actions)
        if state != "proposed":
            raise Conflict(f"{target} {target_id} is already {state}", code="already-decided")

    store.decide_overlay(target, target_id, action, who, note, now, check)
    return "approved" if action == "approve" else "rejected"


def approved_exceptions(
    store: CentralStore, first: date, last: date, event_cutoff: int | None = None
) -> list[ExceptionOverlay]:
    rows = store.exceptions_between(first.isoformat(), last.isoformat())
    states = _states(store, "exception", [r["id"] for r in rows], event_cutoff)
    return [
        ExceptionOverlay(
            r["id"],
            r["nip"],
            r["kind"],
            date.fromisoformat(r["day_from"]),
            date.fromisoformat(r["day_to"]),
            r["part"],
            r["reason"],
        )
        for r in rows
        if states.get(r["id"]) == "approved"
    ]


def approved_incidents(
    store: CentralStore, ts_from: str, ts_to: str, event_cutoff: int | None = None
) -> list[Incident]:
    rows = store.incidents_between(ts_from, ts_to)
    states = _states(store, "incident", [r["id"] for r in rows], event_cutoff)
    return [
        Incident(r["id"], r["ts_from"], r["ts_to"], r["unit"], r["node"], r["reason"])
        for r in rows
        if states.get(r["id"]) == "approved"
    ]


def _states(
    store: CentralStore, target: str, ids: list[int], event_cutoff: int | None
) -> dict[int, str]:
    """Each overlay's state from its events up to ``event_cutoff`` (a closed month)."""
    if not ids:
        return {}
    actions: dict[int, list[str]] = {}
    for event in store.overlay_events(target, ids):
        if event_cutoff is None or event["id"] <= event_cutoff:
            actions.setdefault(event["target_id"], []).append(event["action"])
    return {i: state_of(a) for i, a in actions.items()}


def history(store: CentralStore, target: str, target_id: int) -> list[dict[str, object]]:
    """Every event of one overlay, oldest first (who added, approved or rejected, when)."""
    return [
        {k: e[k] for k in ("id", "action", "by", "reason", "at")}
        for e in store.overlay_events(target, [target_id])
    ]
