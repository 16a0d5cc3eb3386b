"""The recap's changes by officials, each also written to the audit log (central/audit.py).
No Flask here.

The HTTP API passes the token's account as ``by``; the command line passes its ``--by``.
The audit entry is built (and its reason checked) before the change, so a reason the audit
log would refuse never leaves a change without its entry.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .audit import audit_entry
from .exceptions import add_exception, add_incident, decide, official
from .recap import load_book, month_bounds
from .recap_close import close_month, reopen_month
from .store.protocol import CentralStore

# Approving needs no reason in the recap; the audit log always shows one.
NO_REASON = "(tanpa alasan tertulis)"


def _reason_text(reason: object) -> object:
    return NO_REASON if reason is None else reason


def propose_exception(
    store: CentralStore, *, by: object, reason: object, now: float, **fields: Any
) -> int:
    """``add_exception`` and its ``exception-add`` audit entry."""
    entry = audit_entry(
        official(by),
        "exception-add",
        "exception",
        reason,
        now,
        {"nip": fields.get("nip"), "kind": fields.get("kind")},
    )
    new_id = add_exception(store, load_book(store), by=by, reason=reason, now=now, **fields)
    store.add_audit(replace(entry, target=f"exception {new_id}"))
    return new_id


def propose_incident(
    store: CentralStore, *, by: object, reason: object, now: float, **fields: Any
) -> int:
    """``add_incident`` and its ``incident-add`` audit entry."""
    entry = audit_entry(official(by), "incident-add", "incident", reason, now)
    new_id = add_incident(store, by=by, reason=reason, now=now, **fields)
    store.add_audit(replace(entry, target=f"incident {new_id}"))
    return new_id


def decide_audited(
    store: CentralStore,
    target: str,
    target_id: object,
    action: str,
    by: object,
    now: float,
    reason: object = None,
) -> str:
    """``decide`` (never by the proposer) and its ``exception-approve`` (...) entry."""
    entry = audit_entry(
        official(by), f"{target}-{action}", f"{target} {target_id}", _reason_text(reason), now
    )
    state = decide(store, target, target_id, action, by, now, reason=reason)
    store.add_audit(entry)
    return state


def close_month_audited(store: CentralStore, month: str, by: object, now: float) -> dict[str, Any]:
    """``close_month`` and its ``month-close`` entry (with the sealed inputs' hash)."""
    sealed = close_month(store, month, by, now)
    store.add_audit(
        audit_entry(
            official(by),
            "month-close",
            f"month {month}",
            f"bulan {month} ditutup",
            now,
            {"inputs_sha256": sealed.get("inputs_sha256")},
        )
    )
    return sealed


def reopen_month_audited(
    store: CentralStore, month: str, by: object, reason: object, now: float
) -> None:
    """``reopen_month`` and its ``month-reopen`` entry."""
    month_bounds(month)  # a bad month is a 400 before it can reach the audit entry's checks
    entry = (
        audit_entry(official(by), "month-reopen", f"month {month}", reason, now)
        if isinstance(reason, str) and reason.strip()
        else None
    )
    reopen_month(store, month, by, reason, now)  # refuses a missing reason (400)
    if entry is not None:
        store.add_audit(entry)
