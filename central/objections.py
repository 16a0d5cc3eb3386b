"""Objections (keberatan): an employee contests a day of their month, with a reason and
optionally the signed proof the staff page gave them; an approver accepts or rejects it.
No Flask here.

- Filing: the day must be a real date not in the future; the reason 5-500 characters; a
  proof is checked by ``central.objection_proof`` (a file that is not this employee's
  check-in of that day is refused and nothing is stored; a forged one is kept as
  ``invalid``).
- Deciding: an approver or admin, limited to their units like every official page, never
  an employee (an employee session is not an official's); a reason is required; each
  decision is written once (the store's unique decision row) with its audit entry in the
  same transaction. Only a genuine record (``counted`` or ``absent``) or an objection
  without a file can be accepted; a month that is closed must be reopened first.
- Counting: an accepted objection's genuine record is read by the recap engine as one more
  counted check-in of that day (``central.recap.load_inputs``; docs/recap.md).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sync.timefmt import WITA

from .accounts import Principal
from .audit import audit_entry
from .errors import ApiError, Conflict, NotFound
from .objection_proof import ProofVerdict, read_proof, verify_proof
from .objection_sql import NewObjection, Objection
from .rotation import TrustList
from .store.protocol import CentralStore

REASON_MIN, REASON_MAX = 5, 500
PER_DAY = 3  # objections one employee may file for one day (approvers read each one)
ACTIONS = ("accept", "reject")
STATES = ("open", "decided", "all")


class ObjectionError(ApiError):
    code = "bad-objection"


def _today(now: float) -> date:
    return datetime.fromtimestamp(now, WITA).date()


def parse_day(value: object, now: float) -> str:
    """A ``YYYY-MM-DD`` that is a real day, not after today (WITA)."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None or day.year < 2000:
        raise ObjectionError("tanggal harus YYYY-MM-DD", code="bad-date")
    if day > _today(now):
        raise ObjectionError(
            "keberatan hanya untuk hari yang sudah lewat atau hari ini", code="future-date"
        )
    return day.isoformat()


def check_reason(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if (
        not REASON_MIN <= len(text) <= REASON_MAX
        or not all(c.isprintable() or c in "\n\t" for c in text)
        or any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    ):
        raise ObjectionError(
            f"alasan: {REASON_MIN}-{REASON_MAX} karakter yang dapat dicetak", code="bad-reason"
        )
    return text


def file_objection(
    store: CentralStore,
    trust: TrustList,
    *,
    nip: str,
    unit: str,
    day: object,
    reason: object,
    proof: bytes | None,
    now: float,
) -> int:
    """Store an objection for ``nip``; its id. ApiError (4xx) when it cannot be filed."""
    when = parse_day(day, now)
    why = check_reason(reason)
    if len(store.objections(nip=nip, first_day=when, last_day=when)) >= PER_DAY:
        raise ObjectionError(
            f"sudah {PER_DAY} keberatan untuk {when}; tunggu keputusannya",
            code="too-many-objections",
            status=429,
        )
    verdict: ProofVerdict | None = None
    if proof is not None:
        verdict = verify_proof(store, trust, read_proof(proof, nip=nip, day=when))
    if verdict is None:
        new = NewObjection(nip, unit, when, why, now)
    else:
        rec = verdict.record
        body = rec["body"]
        new = NewObjection(
            nip,
            unit,
            when,
            why,
            now,
            verdict.text,
            verdict.verdict,
            verdict.code,
            verdict.detail,
            rec["node"],
            rec["epoch"],
            rec["seq"],
            rec["hash"],
            rec["ts"],
            body.get("kind") if isinstance(body.get("kind"), str) else None,
        )
    return store.add_objection(new)


def visible(who: Principal, objection: Objection) -> bool:
    return who.sees_unit(objection.unit)


def listing(
    store: CentralStore, who: Principal, *, state: object = "open", month: object = None
) -> list[Objection]:
    """The objections ``who`` may see, newest first."""
    if state not in STATES:
        raise ObjectionError("state harus open, decided atau all", code="bad-state")
    first = last = None
    if month is not None:
        from .recap import month_bounds  # the recap engine is heavy; only for a month filter

        first_day, last_day = month_bounds(str(month))
        first, last = first_day.isoformat(), last_day.isoformat()
    rows = store.objections(first_day=first, last_day=last, state=str(state))
    return [o for o in rows if visible(who, o)]


def _month_closed(store: CentralStore, day: str) -> bool:
    history = store.month_actions(day[:7])
    return bool(history) and history[-1]["action"] == "close"


def decide(
    store: CentralStore, who: Principal, objection_id: int, action: str, reason: object, now: float
) -> Objection:
    """Accept or reject an open objection as ``who`` (approver or admin, its units)."""
    if action not in ACTIONS:
        raise ObjectionError("tindakan harus accept atau reject", code="bad-action")
    if not who.can("approver"):
        raise ApiError(
            "hanya penyetuju atau admin yang memutus keberatan", code="forbidden-role", status=403
        )
    found = store.objection(objection_id)
    if found is None or not visible(who, found):
        raise NotFound(f"keberatan {objection_id} tidak ada", code="unknown-objection")
    if found.decision is not None:
        raise Conflict(
            f"keberatan {objection_id} sudah diputus ({found.decision})", code="already-decided"
        )
    if action == "accept" and found.verdict == "invalid":
        raise Conflict(
            "bukti keberatan ini tidak asli; keberatan hanya dapat ditolak", code="not-acceptable"
        )
    if action == "accept" and _month_closed(store, found.day):
        raise Conflict(
            f"bulan {found.day[:7]} sudah ditutup; admin harus membukanya kembali "
            "sebelum keberatan diterima",
            code="month-closed",
        )
    entry = audit_entry(
        who.account,
        f"objection-{action}",
        f"keberatan {objection_id}",
        reason,
        now,
        {"nip": found.nip, "day": found.day, "verdict": found.verdict, "record": ref(found)},
    )
    result = store.decide_objection(objection_id, action, entry)
    if result == "already":
        raise Conflict(f"keberatan {objection_id} sudah diputus", code="already-decided")
    if result == "unknown":
        raise NotFound(f"keberatan {objection_id} tidak ada", code="unknown-objection")
    decided = store.objection(objection_id)
    assert decided is not None
    return decided


def ref(objection: Objection) -> str | None:
    """``NODE/EPOCH/SEQ`` of the attached record, as the attendance report writes it."""
    if objection.node is None:
        return None
    return f"{objection.node}/{objection.epoch}/{objection.seq}"


def as_json(objection: Objection) -> dict[str, Any]:
    """The API's shape: the objection, the verified record's facts, the decision."""
    out = asdict(objection)
    proof = out.pop("proof")
    out["record"] = json.loads(proof) if proof else None
    out["ref"] = ref(objection)
    out["state"] = "open" if objection.decision is None else f"{objection.decision}ed"
    return out
