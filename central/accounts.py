"""Officials' personal accounts: roles, units, passwords, one-time password links, sessions
and the sign-in lockout. No Flask here; the pages are in ``central/account_pages.py``.

Roles, from least to most: ``viewer`` reads, ``approver`` also approves or rejects
(exceptions, objections), ``admin`` does everything. An account may be limited to units;
it then sees only those units' employees, on pages and through its API tokens.

Passwords are scrypt-hashed (``sync.pins`` format, N=2^15: 32 MiB and tens of ms per check).
A sign-in reserves its attempt against the account and the client address *before* the slow
hash runs (``CentralStore.reserve_login_attempt``), so concurrent guesses cannot get past the
limit the way a check-then-hash lockout lets them.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from functools import cache

from sync.pins import verify_pin

from .audit import audit_entry
from .errors import ApiError, Unauthorized
from .store.protocol import CentralStore
from .store.rows import ACCOUNT_ROLES, MACHINE_ACCOUNT, Account, AuditEntry

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}\Z")
PASSWORD_MIN, PASSWORD_MAX = 10, 200
UNIT_MAX = 120
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


class AccountError(ApiError):
    """Bad account input (400) with a message officials read on the page."""

    code = "bad-account"


class SignInRefused(Unauthorized):
    code = "bad-credentials"


class TooManyAttempts(ApiError):
    status = 429
    code = "too-many-attempts"


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account (through a session or one of its API tokens)."""

    account: str
    role: str
    units: tuple[str, ...]  # empty: every unit

    def can(self, role: str) -> bool:
        """True when this principal's role is ``role`` or above it."""
        return ACCOUNT_ROLES.index(self.role) >= ACCOUNT_ROLES.index(role)

    def sees_unit(self, unit: str | None) -> bool:
        """Limited accounts see only their units (and never people outside the roster)."""
        return not self.units or unit in self.units


def principal_of(account: Account, cap: str | None = None) -> Principal:
    """The account's principal; ``cap`` (a token's role) can only lower its role."""
    role = account.role
    if cap is not None and ACCOUNT_ROLES.index(cap) < ACCOUNT_ROLES.index(role):
        role = cap
    return Principal(account.name, role, account.units)


@dataclass(frozen=True)
class LoginLimits:
    per_account: int = 5
    per_address: int = 30
    window_s: float = 15 * 60
    lock_s: float = 15 * 60


def secret_hash(secret: str) -> str:
    """Sessions, links and tokens are random; only their SHA-256 is stored."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise AccountError(
            "nama akun: 2-40 huruf kecil, angka, titik, garis bawah atau "
            "tanda hubung, diawali huruf atau angka",
            code="bad-account-name",
        )
    if name == MACHINE_ACCOUNT:
        raise AccountError(f"nama {MACHINE_ACCOUNT!r} dipakai sistem", code="bad-account-name")
    return name


def check_role(role: object) -> str:
    if role not in ACCOUNT_ROLES:
        raise AccountError("peran harus viewer, approver atau admin", code="bad-role")
    return str(role)


def check_units(units: object) -> tuple[str, ...]:
    if not isinstance(units, list | tuple) or not all(
        isinstance(u, str) and 1 <= len(u.strip()) <= UNIT_MAX and u.isprintable() for u in units
    ):
        raise AccountError(f"unit kerja: 1-{UNIT_MAX} karakter", code="bad-unit")
    return tuple(sorted({u.strip() for u in units}))


def check_password(password: object, name: str) -> str:
    """A new password: 10-200 printable characters, not the account's name."""
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise AccountError(
            f"kata sandi harus {PASSWORD_MIN}-{PASSWORD_MAX} karakter", code="bad-password"
        )
    # U+FFFD is what undecodable bytes became: two different byte strings would then be
    # the same password.
    if not password.isprintable() or any(
        0xD800 <= ord(c) <= 0xDFFF or c == "\ufffd" for c in password
    ):
        raise AccountError(
            "kata sandi berisi karakter yang tidak dapat dipakai", code="bad-password"
        )
    if name.lower() in password.lower():
        raise AccountError("kata sandi tidak boleh memuat nama akun", code="bad-password")
    return password


def hash_password(password: str) -> str:
    """scrypt (N=2^15, r=8: 32 MiB per hash) in the ``sync.pins`` string format, which
    ``sync.pins.verify_pin`` checks."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=_SCRYPT_N,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
        dklen=32,
        maxmem=64 * 1024 * 1024,
    )
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


@cache
def _dummy_hash() -> str:
    """Checked when the account is unknown or has no password yet, so the answer takes as
    long as a real check and does not tell which names exist."""
    return hash_password("not-a-password")


def _new_link(
    store: CentralStore,
    name: str,
    *,
    now: float,
    hours: float,
    reset: bool,
    entry: AuditEntry | None = None,
) -> str:
    link = secrets.token_urlsafe(32)
    store.add_password_link(
        name, secret_hash(link), now + hours * 3600, now, reset=reset, entry=entry
    )
    return link


def create_account(
    store: CentralStore,
    name: str,
    role: str,
    units: list[str],
    *,
    actor: str,
    now: float,
    link_hours: float,
) -> str:
    """Create an account without a password; return the secret of its one-time link."""
    account = Account(
        check_name(name), check_role(role), check_units(units), None, False, False, now, None
    )
    scope = ", ".join(account.units) or "semua unit"
    entry = audit_entry(actor, "account-add", name, f"peran {role}; {scope}", now)
    if not store.add_account(account, entry):
        raise AccountError(f"akun {name!r} sudah ada", code="account-exists", status=409)
    return _new_link(store, name, now=now, hours=link_hours, reset=False)


def reset_password(
    store: CentralStore, name: str, *, actor: str, reason: object, now: float, link_hours: float
) -> str:
    """An admin's reset: the old password and every session end now; a new one-time link."""
    account = store.account(name)
    if account is None or account.machine:
        raise AccountError(f"akun {name!r} tidak ada", code="unknown-account", status=404)
    entry = audit_entry(actor, "password-reset", name, reason, now)
    return _new_link(store, name, now=now, hours=link_hours, reset=True, entry=entry)


def link_account(store: CentralStore, link: str, now: float) -> str | None:
    """The account a password link is for, while it is unused and unexpired."""
    if not link or len(link) > 100:
        return None
    return store.password_link_account(secret_hash(link), now)


def set_password_with_link(store: CentralStore, link: str, password: str, now: float) -> str:
    name = link_account(store, link, now)
    if name is None:
        raise AccountError(
            "tautan tidak berlaku (sudah dipakai atau kedaluwarsa)", code="bad-link", status=404
        )
    hashed = hash_password(check_password(password, name))
    if store.use_password_link(secret_hash(link), hashed, now) is None:
        raise AccountError(
            "tautan tidak berlaku (sudah dipakai atau kedaluwarsa)", code="bad-link", status=404
        )
    return name


def check_credentials(
    store: CentralStore, name: str, password: str, *, address: str, now: float, limits: LoginLimits
) -> Account:
    """The account when ``password`` is right; TooManyAttempts when the account or the
    address is locked, SignInRefused otherwise (one message for every failure)."""
    if not isinstance(name, str) or not isinstance(password, str):
        raise SignInRefused("nama akun atau kata sandi salah")
    name = name.strip().lower()[:64]
    account_key = f"account:{name}"
    wait = store.reserve_login_attempt(
        {account_key: limits.per_account, f"addr:{address}": limits.per_address},
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
    account = store.account(name) if NAME_RE.match(name) else None
    usable = (
        account is not None
        and not account.machine
        and not account.disabled
        and account.password_hash is not None
    )
    ok = verify_pin(
        password[:PASSWORD_MAX],
        account.password_hash if usable and account and account.password_hash else _dummy_hash(),
    )
    if not (ok and usable and account):
        raise SignInRefused("nama akun atau kata sandi salah")
    store.clear_login_attempts(account_key)
    return account


def start_session(
    store: CentralStore, account: str, *, now: float, hours: float
) -> tuple[str, str]:
    """A new session (never one the browser brought: no fixation); (token, csrf)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    store.add_session(secret_hash(token), account, csrf, now, now + hours * 3600)
    return token, csrf


def session_of(store: CentralStore, token: str | None, now: float) -> tuple[Principal, str] | None:
    """(principal, csrf) of a live session token."""
    if not token or len(token) > 100:
        return None
    found = store.session(secret_hash(token), now)
    if found is None:
        return None
    account, csrf = found
    return principal_of(account), csrf


def change_password(
    store: CentralStore,
    name: str,
    current: str,
    new: str,
    *,
    address: str,
    now: float,
    limits: LoginLimits,
) -> None:
    """Change one's own password; the current one is checked under the same lockout, and
    every session of the account ends (the caller starts a new one for this browser)."""
    check_credentials(store, name, current, address=address, now=now, limits=limits)
    store.set_password(name, hash_password(check_password(new, name)), now)
