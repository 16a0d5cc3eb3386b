"""Officials accepting a check-in central set aside. No Flask here.

A check-in for an employee not on the pushing node's roster (``foreign-node``: an employee
on official travel checking in at another office) or one with no anchor from a node whose
link worked (``anchor-missing``) is kept but not counted until an official accepts it. The
acceptance names who, when, how (``cli`` or the API token's role and hash prefix) and why,
in a table of its own that cannot be updated or deleted; the record itself is never touched.
"""

from __future__ import annotations

import re

from .errors import ApiError, Conflict, NotFound
from .reports import ReportSettings, record_status
from .store.protocol import CentralStore
from .store.rows import Acceptance
from .trust import ACCEPTABLE, TrustFacts

REF_RE = re.compile(r"^([a-z0-9-]{3,40})/([0-9a-f]{32})/([0-9]{1,15})\Z")
REASON_MAX = 200


def parse_ref(ref: object) -> tuple[str, str, int]:
    """``NODE/EPOCH/SEQ`` (the ``ref`` of the attendance report) as its three parts."""
    match = REF_RE.match(ref) if isinstance(ref, str) else None
    if not match:
        raise ApiError("ref must be NODE/EPOCH/SEQ as in the attendance report", code="bad-ref")
    return match.group(1), match.group(2), int(match.group(3))


def _one_line(value: object, what: str, low: int, high: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not low <= len(text) <= high or any(ord(c) < 32 or c == "\x7f" for c in text):
        raise ApiError(f"{what} must be {low}-{high} characters on one line", code=f"bad-{what}")
    return text


def accept_record(
    store: CentralStore,
    settings: ReportSettings,
    *,
    ref: object,
    by: object,
    reason: object,
    via: str,
    now: float,
) -> Acceptance:
    """Accept the check-in ``ref``; ApiError (404, 409, 400) when it cannot be accepted."""
    node, epoch, seq = parse_ref(ref)
    who = _one_line(by, "by", 1, 120)
    why = _one_line(reason, "reason", 3, REASON_MAX)
    rec = store.record(node, epoch, seq)
    if rec is None or rec.type != "checkin":
        raise NotFound(f"central holds no check-in {ref}", code="record-unknown")
    status, counted = record_status(rec, TrustFacts.load(store), settings)
    if status == "accepted":
        raise Conflict(f"{ref} was accepted already", code="already-accepted")
    if status not in ACCEPTABLE and not (status == "unanchored" and not counted):
        raise Conflict(
            f"{ref} has status {status}; only {', '.join(ACCEPTABLE)} (and "
            "unanchored under REQUIRE_ANCHOR) can be accepted",
            code="not-acceptable",
        )
    acceptance = Acceptance(node, epoch, seq, status, who, via, why, now)
    if not store.add_acceptance(acceptance):
        raise Conflict(f"{ref} was accepted already", code="already-accepted")
    return acceptance
