"""Employees signing in at central with the NIP and PIN they use at the office. No Flask.

Central holds the roster's PIN hashes (``central/roster.py``: scrypt, ``sync.pins``), the
same ones every node verifies; ``sync.pins.verify_pin`` checks them here too. A PIN the
node's admin reset on the node alone (``pin_overrides``) is not known at central: the
employee uses the roster's PIN (docs/employees.md).

A sign-in reserves its attempt against the NIP and the client address *before* the slow
hash runs (``CentralStore.reserve_login_attempt``, the officials' lockout), so concurrent
guesses cannot get past the limit. The keys are ``nip:`` and ``emp-addr:``, apart from the
officials' ``account:`` and ``addr:``: a whole office behind one address signing in to see
its month never locks the officials of that address out, and the other way round.

An employee session is its own kind (``employee_sessions``, role ``employee``): it opens
only ``/saya`` pages, which show only its own NIP; no official page or API accepts it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache

from sync.pins import hash_pin, verify_pin

from .accounts import LoginLimits, SignInRefused, TooManyAttempts, secret_hash
from .store.protocol import CentralStore

NIP_RE = re.compile(r"^[0-9]{18}\Z")
PIN_MAX = 64


@dataclass(frozen=True)
class EmployeePrincipal:
    """A signed-in employee: sees their own NIP and nothing else."""

    nip: str
    name: str
    unit: str
    role: str = "employee"


@cache
def _dummy_hash() -> str:
    """Checked for an unknown NIP, so the answer takes as long as for a real one."""
    return hash_pin("000000")


def check_employee(
    store: CentralStore, nip: object, pin: object, *, address: str, now: float, limits: LoginLimits
) -> EmployeePrincipal:
    """The employee when ``pin`` is theirs; TooManyAttempts when the NIP or the address is
    locked, SignInRefused otherwise (one message for every failure)."""
    if not isinstance(nip, str) or not isinstance(pin, str):
        raise SignInRefused("NIP atau PIN salah")
    nip = nip.strip()
    if not NIP_RE.match(nip):
        # Not a NIP at all: refused without spending anyone's attempts.
        raise SignInRefused("NIP terdiri dari 18 angka")
    nip_key = f"nip:{nip}"
    wait = store.reserve_login_attempt(
        {nip_key: limits.per_account, f"emp-addr:{address}": limits.per_address},
        now,
        limits.window_s,
        limits.lock_s,
    )
    if wait is not None:
        minutes = max(1, int(wait // 60) + (wait % 60 > 0))
        raise TooManyAttempts(
            f"terlalu banyak percobaan masuk; coba lagi {minutes} menit lagi",
            retry_after=int(wait) + 1,
        )
    employee = store.employee(nip)
    stored = employee.pin_hash if employee is not None and employee.pin_hash else None
    ok = verify_pin(pin[:PIN_MAX], stored or _dummy_hash())
    if not (ok and stored and employee):
        raise SignInRefused("NIP atau PIN salah")
    store.clear_login_attempts(nip_key)
    return EmployeePrincipal(employee.nip, employee.name, employee.unit)


def start_employee_session(
    store: CentralStore, nip: str, *, now: float, hours: float
) -> tuple[str, str]:
    """A new session (never one the browser brought); (token, csrf)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    store.add_employee_session(secret_hash(token), nip, csrf, now, now + hours * 3600)
    return token, csrf


def employee_of(
    store: CentralStore, token: str | None, now: float
) -> tuple[EmployeePrincipal, str] | None:
    """(employee, csrf) of a live session token of an employee still on the roster."""
    if not token or len(token) > 100:
        return None
    found = store.employee_session(secret_hash(token), now)
    if found is None:
        return None
    employee = store.employee(found[0])
    if employee is None:
        return None
    return EmployeePrincipal(employee.nip, employee.name, employee.unit), found[1]


def end_employee_session(store: CentralStore, token: str | None) -> None:
    if token and len(token) <= 100:
        store.end_employee_session(secret_hash(token))
