"""Closing days and months of the recap. No Flask here.

A day is final for a unit on its own once every node serving the unit has pushed a record
made after the day's end (``recap.day_is_final``); an official may close a day earlier with a
reason (a node that is gone for good). ``close_month`` freezes a month: it stores the newest
id of every input (records, overlay events, rule versions, day closes) and a SHA-256 over
those inputs, in the same transaction. From then on the recap of that month reads only inputs
at or below the cutoffs, so it cannot change; later records and exceptions are listed as
``after_close`` and count only after an admin reopens the month (who and why are kept) and it
is closed again.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from .errors import ApiError, Conflict
from .exceptions import official, parse_day
from .recap import Cutoffs, month_bounds, month_recap
from .reports import ReportSettings
from .store.protocol import CentralStore


def _closing(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The close in force (the last action, if it is a close)."""
    return history[-1] if history and history[-1]["action"] == "close" else None


def inputs_sha256(store: CentralStore, month: str, cut: dict[str, int]) -> str:
    """SHA-256 over everything a month's recap reads, up to the cutoffs."""
    first, last = month_bounds(month)
    digest = hashlib.sha256()

    def line(*parts: object) -> None:
        digest.update(("\t".join(map(str, parts)) + "\n").encode("utf-8"))

    for version in store.rule_versions(cut["rule_cutoff"]):
        line("rule", version.version, version.id, version.sha256)
    for rec_id, rec_hash in store.record_hashes(
        first.isoformat(), last.isoformat(), cut["record_cutoff"]
    ):
        line("record", rec_id, rec_hash)
    # Overlay rows count only through their events: hash the rows added before the cutoff
    # and their events up to it (later ones are "after close").
    exceptions = store.exceptions_between(first.isoformat(), last.isoformat())
    incidents = store.incidents_between("0", "9")
    for target, rows in (("exception", exceptions), ("incident", incidents)):
        ids = [r["id"] for r in rows]
        events = [
            e
            for e in (store.overlay_events(target, ids) if ids else [])
            if e["id"] <= cut["event_cutoff"]
        ]
        known = {e["target_id"] for e in events}
        for row in rows:
            if row["id"] in known:
                line(target, *row.values())
        for event in events:
            line("event", *event.values())
    for close in store.day_closes(first.isoformat(), last.isoformat()):
        if close["id"] <= cut["day_close_cutoff"]:
            line("day-close", *close.values())
    # Accepted objections' records (none before 003_objections: older hashes stay the same).
    for ev in store.accepted_evidence(first.isoformat(), last.isoformat()):
        line("objection", ev.id, ev.node, ev.epoch, ev.seq, ev.hash, ev.decided_at)
    return digest.hexdigest()


def close_month(store: CentralStore, month: str, by: object, now: float) -> dict[str, Any]:
    """Freeze ``month``; 409 when it is already closed."""
    month_bounds(month)
    who = official(by)
    sealed: dict[str, Any] = {}

    def check(history: list[dict[str, Any]]) -> None:
        if _closing(history):
            raise Conflict(
                f"{month} is already closed; an admin must reopen it first", code="month-closed"
            )

    def seal() -> dict[str, Any]:
        # Exception rows have ids of their own, but an exception only counts through its
        # events, so the event cutoff covers them.
        cut = store.cutoffs()
        sealed.update(cut, inputs_sha256=inputs_sha256(store, month, cut))
        return sealed

    store.add_month_action(month, "close", who, None, now, check, seal)
    return {"month": month, "closed_by": who, **sealed}


def reopen_month(store: CentralStore, month: str, by: object, reason: object, now: float) -> None:
    """Reopen a closed month (an admin, with a reason): the recap is live again."""
    month_bounds(month)
    who = official(by)
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 500:
        raise ApiError(
            "reason must say why the month is reopened (3-500 characters)", code="bad-reason"
        )

    def check(history: list[dict[str, Any]]) -> None:
        if not _closing(history):
            raise Conflict(f"{month} is not closed", code="month-open")

    store.add_month_action(month, "reopen", who, reason.strip(), now, check)


def close_day(
    store: CentralStore, day: object, unit: object, reason: object, by: object, now: float
) -> int:
    """An official declares a day final (for one unit, or everyone when unit is None)."""
    when = parse_day(day, "date")
    if unit is not None and (not isinstance(unit, str) or not 1 <= len(unit) <= 120):
        raise ApiError("unit must be 1-120 characters", code="bad-unit")
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 500:
        raise ApiError("reason must be 3-500 characters", code="bad-reason")
    return store.add_day_close(when.isoformat(), unit, reason.strip(), official(by), now)


def recap(
    store: CentralStore,
    month: str,
    *,
    today: date,
    settings: ReportSettings | None = None,
    unit: str | None = None,
    nip: str | None = None,
) -> dict[str, Any]:
    """The month's recap: live, or frozen at its close with what came after listed."""
    month_bounds(month)
    closing = _closing(store.month_actions(month))
    if closing is None:
        return month_recap(store, month, today=today, settings=settings, unit=unit, nip=nip)
    cut = Cutoffs(
        closing["record_cutoff"],
        closing["event_cutoff"],
        closing["rule_cutoff"],
        closing["day_close_cutoff"],
    )
    out = month_recap(store, month, today=today, settings=settings, unit=unit, nip=nip, cutoffs=cut)
    first, last = month_bounds(month)
    rows = store.exceptions_between(first.isoformat(), last.isoformat())
    wanted = {e["nip"] for e in out["employees"]}
    later = (
        [
            e
            for e in store.overlay_events("exception", [r["id"] for r in rows])
            if e["id"] > cut.event_cutoff
        ]
        if rows
        else []
    )
    by_id = {r["id"]: r for r in rows}
    out["after_close"]["exceptions"] = [
        {
            "id": e["target_id"],
            "action": e["action"],
            "by": e["by"],
            "at": e["at"],
            "nip": by_id[e["target_id"]]["nip"],
            "kind": by_id[e["target_id"]]["kind"],
        }
        for e in later
        if by_id[e["target_id"]]["nip"] in wanted
    ]
    incidents = store.incidents_between(first.isoformat(), last.isoformat() + "T23:59:59.999Z")
    out["after_close"]["incidents"] = [
        {"id": e["target_id"], "action": e["action"], "by": e["by"], "at": e["at"]}
        for e in (
            store.overlay_events("incident", [r["id"] for r in incidents]) if incidents else []
        )
        if e["id"] > cut.event_cutoff
    ]
    out["closed"] = {
        "by": closing["by"],
        "at": closing["at"],
        "inputs_sha256": closing["inputs_sha256"],
        "inputs_unchanged": inputs_sha256(
            store,
            month,
            {
                "record_cutoff": cut.record_cutoff,
                "event_cutoff": cut.event_cutoff,
                "rule_cutoff": cut.rule_cutoff,
                "day_close_cutoff": cut.day_close_cutoff,
            },
        )
        == closing["inputs_sha256"],
    }
    return out
