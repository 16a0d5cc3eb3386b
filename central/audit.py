"""The audit log: every change an official makes, with who, when, what and why. No Flask.

``record_action`` is the one call for a change that is only recorded (an approval, an
incident, a month close, accepting a foreign-node record). A change that must be written
together with its entry (acknowledging an alert, creating an account) builds the entry with
``audit_entry`` and hands it to the store method that writes both in one transaction.
The table is append-only (SQLite triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ApiError
from .store.protocol import CentralStore
from .store.rows import AuditEntry

REASON_MAX = 500
FIELD_MAX = 200

# Action codes shown on the audit page, in Bahasa Indonesia.
ACTION_ID = {
    "account-add": "akun dibuat",
    "password-reset": "kata sandi direset",
    "sessions-ended": "keluar dari semua perangkat",
    "token-create": "token API dibuat",
    "token-revoke": "token API dicabut",
    "alert-ack": "peringatan ditindaklanjuti",
    "record-accept": "presensi yang disisihkan diterima",
    "exception-add": "pengecualian diusulkan",
    "exception-approve": "pengecualian disetujui",
    "exception-reject": "pengecualian ditolak",
    "incident-add": "gangguan diusulkan",
    "incident-approve": "gangguan disetujui",
    "incident-reject": "gangguan ditolak",
    "month-close": "bulan ditutup",
    "month-reopen": "bulan dibuka kembali",
    "objection-accept": "keberatan pegawai diterima",
    "objection-reject": "keberatan pegawai ditolak",
}


class AuditError(ApiError):
    code = "bad-reason"


def audit_entry(
    actor: str,
    action: str,
    target: str,
    reason: object,
    now: float,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """A validated entry; a change without a reason is refused (400), since "why" is what
    an auditor asks first."""
    if not isinstance(reason, str) or not reason.strip():
        raise AuditError("alasan wajib diisi")
    reason = reason.strip()
    if (
        len(reason) > REASON_MAX
        or not all(c.isprintable() or c in "\n\t" for c in reason)
        or any(0xD800 <= ord(c) <= 0xDFFF for c in reason)
    ):
        raise AuditError(f"alasan: paling banyak {REASON_MAX} karakter yang dapat dicetak")
    for value in (actor, action, target):
        if not value or len(value) > FIELD_MAX:
            raise ValueError("actor, action and target are 1-200 characters")
    return AuditEntry(
        now,
        actor,
        action,
        target,
        reason,
        json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
    )


def record_action(
    store: CentralStore,
    actor: str,
    action: str,
    target: str,
    reason: object,
    now: float,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one official's change (``actor`` is the account name, or ``cli`` for a
    command run on the central server)."""
    entry = audit_entry(actor, action, target, reason, now, detail)
    store.add_audit(entry)
    return entry
