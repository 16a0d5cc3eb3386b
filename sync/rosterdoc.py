"""Roster documents: the roster a node serves, versioned and signed by central.

``{"v":1,"central":ID,"version":N,"issued_ts":T,"employees":[{"nip","name","unit","role",
"pin_hash"}, ...],"sig":B64}``; ``sig`` is central's Ed25519 signature over the canonical bytes
of the document without ``sig``. ``version`` only grows. A node's document holds the employees
it serves (everyone with a five-column roster; docs/protocol.md section 7) with the PIN hashes
it needs to sign them in offline.
"""

from __future__ import annotations

import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ._signed import check_signature, fields_problem, is_int, sign_document, signed_bytes
from .errors import NIPError, RosterError
from .nip import check_nip
from .rostercsv import ROLES
from .timefmt import TS_RE

__all__ = ["EMPLOYEE_FIELDS", "make_roster_doc", "signed_bytes", "verify_roster_doc"]

DOC_FIELDS = ("v", "central", "version", "issued_ts", "employees")
EMPLOYEE_FIELDS = ("nip", "name", "unit", "role", "pin_hash")
PIN_HASH_RE = re.compile(r"^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\Z")
MAX_EMPLOYEES = 100_000
MAX_TEXT = 120


def make_roster_doc(
    *,
    central: str,
    version: int,
    issued_ts: str,
    employees: list[dict[str, Any]],
    key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """A signed roster document; employees are sorted by NIP so equal rosters sign equally."""
    doc: dict[str, Any] = {
        "v": 1,
        "central": central,
        "version": version,
        "issued_ts": issued_ts,
        "employees": sorted(
            ({f: e[f] for f in EMPLOYEE_FIELDS} for e in employees), key=lambda e: str(e["nip"])
        ),
    }
    check_shape(doc, signed=False)
    return sign_document(doc, key)


def _check_employee(index: int, employee: Any, seen: set[str]) -> None:
    where = f"employee {index}"
    if not isinstance(employee, dict) or set(employee) != set(EMPLOYEE_FIELDS):
        raise RosterError(f"{where}: must be an object with exactly {', '.join(EMPLOYEE_FIELDS)}")
    try:
        nip = check_nip(employee["nip"])
    except NIPError as exc:
        raise RosterError(f"{where}: {exc}") from exc
    if nip in seen:
        raise RosterError(f"{where}: NIP {nip} appears twice")
    seen.add(nip)
    for name in ("name", "unit"):
        value = employee[name]
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise RosterError(f"{where} ({nip}): {name} must be 1-{MAX_TEXT} characters")
    if employee["role"] not in ROLES:
        raise RosterError(f"{where} ({nip}): role must be staff or head")
    if not isinstance(employee["pin_hash"], str) or not PIN_HASH_RE.match(employee["pin_hash"]):
        raise RosterError(f"{where} ({nip}): pin_hash must be scrypt$N$r$p$salt$hash")


def check_shape(doc: Any, *, signed: bool = True) -> None:
    """Raise RosterError unless ``doc`` is a well-formed roster document."""
    problem = fields_problem(doc, DOC_FIELDS, signed=signed)
    if problem:
        raise RosterError(f"roster document {problem}")
    if doc["v"] != 1 or not is_int(doc["v"]):
        raise RosterError(f"unsupported roster document version {doc['v']!r}")
    if not isinstance(doc["central"], str) or not doc["central"]:
        raise RosterError("central must be a non-empty string")
    if not is_int(doc["version"]) or doc["version"] < 1:
        raise RosterError("version must be a positive integer")
    if not isinstance(doc["issued_ts"], str) or not TS_RE.match(doc["issued_ts"]):
        raise RosterError("issued_ts must be RFC 3339 UTC with three fraction digits and Z")
    employees = doc["employees"]
    if not isinstance(employees, list) or not employees:
        raise RosterError("employees must be a non-empty list")
    if len(employees) > MAX_EMPLOYEES:
        raise RosterError(f"more than {MAX_EMPLOYEES} employees")
    seen: set[str] = set()
    for index, employee in enumerate(employees):
        _check_employee(index, employee, seen)


def verify_roster_doc(doc: Any, central_public_key: Ed25519PublicKey) -> dict[str, Any]:
    """Check a roster document's shape, every employee and central's signature; return it."""
    check_shape(doc)
    problem = check_signature(doc, central_public_key)
    if problem is not None:
        raise RosterError(f"roster document rejected: {problem}")
    result: dict[str, Any] = doc
    return result
