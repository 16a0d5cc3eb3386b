"""The local admin's password, sessions and lockout (the ``/admin`` page, issue 18).

One password per node, set on the mini-PC with ``presensi-node admin set-password`` (whoever
has a shell there is the local admin anyway). It is kept as an scrypt hash in ``meta``, set
through the log writer together with an ``admin`` record, so the log shows when it changed.

Sessions are server-side: a random token in an HttpOnly, SameSite=Strict cookie, kept only as
its SHA-256 in ``admin_sessions``, with a CSRF token that every form posts back.

Lockout: each try is *reserved* (counted) in one ``BEGIN IMMEDIATE`` transaction before the
slow hash runs, per client address and for all addresses together. Concurrent guesses
therefore cannot slip past the limit while the hashes of earlier tries are still running; a
correct password clears its address's count.

No Flask here.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sync.pins import hash_pin, verify_pin

from .errors import ApiError, TooManyAttempts, Unauthorized
from .log_commit import Sql
from .store import Store
from .writer import Appender

META_KEY = "admin_password"
MIN_LENGTH = 10
MAX_LENGTH = 200


class PasswordRejected(ApiError):
    code = "admin-password-weak"


class AdminNotSetUp(ApiError):
    status = 409
    code = "admin-not-set-up"

    def __init__(self) -> None:
        super().__init__(
            "no admin password yet: run presensi-node admin set-password --data DIR on the node"
        )


@dataclass(frozen=True, slots=True)
class AdminSession:
    csrf: str
    addr: str
    expires_at: float


def check_password(password: str) -> str:
    """The password when it is acceptable, else PasswordRejected saying why."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"the password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"the password must be at most {MAX_LENGTH} characters long")
    if password.strip() != password:
        raise PasswordRejected("the password must not start or end with a space")
    return password


def set_password(writer: Appender, password: str, *, by: str) -> dict[str, Any]:
    """Store a new admin password hash and end every admin session, with an ``admin`` record."""
    stored = hash_pin(check_password(password))
    apply = (
        Sql("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (META_KEY, stored)),
        Sql("DELETE FROM admin_sessions"),
    )
    record, _, _ = writer.append("admin", {"action": "admin-password-set", "by": by}, apply=apply)
    return record


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class AdminAuth:
    """Sign-in, sessions and lockout of the local admin over one node database."""

    def __init__(self, store: Store, config: dict[str, Any]) -> None:
        self.store = store
        self.lifetime = float(config["ADMIN_SESSION_HOURS"]) * 3600
        self.window = float(config["ADMIN_LOCK_MIN"]) * 60
        self.per_addr = int(config["ADMIN_MAX_FAILURES"])
        self.overall = int(config["ADMIN_GLOBAL_MAX_FAILURES"])

    def is_set_up(self) -> bool:
        return self.store.meta(META_KEY) is not None

    def sign_in(self, password: Any, addr: str) -> tuple[str, AdminSession]:
        """A new session for the right password; Unauthorized or TooManyAttempts otherwise."""
        stored = self.store.meta(META_KEY)
        if stored is None:
            raise AdminNotSetUp()
        if not isinstance(password, str) or not password:
            raise ApiError("type the admin password", code="admin-password-missing")
        addr_key = f"addr:{addr}"
        self._reserve({addr_key: self.per_addr, "all": self.overall})
        if not verify_pin(password[:MAX_LENGTH], stored):
            raise Unauthorized("the admin password is wrong", code="admin-password-wrong")
        self.store.conn().execute("DELETE FROM admin_attempts WHERE key = ?", (addr_key,))
        token = secrets.token_urlsafe(32)
        now = time.time()
        session = AdminSession(secrets.token_urlsafe(24), addr, now + self.lifetime)
        self.store.conn().execute(
            "INSERT INTO admin_sessions VALUES (?, ?, ?, ?, ?)",
            (_hash(token), session.csrf, addr, now, session.expires_at),
        )
        return token, session

    def _reserve(self, limits: dict[str, int]) -> None:
        """Count one try against every key, or raise TooManyAttempts; one transaction, so
        concurrent tries are counted one after another."""
        now = time.time()
        conn = self.store.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            updates = []
            for key, limit in limits.items():
                row = conn.execute(
                    "SELECT tries, window_start FROM admin_attempts WHERE key = ?", (key,)
                ).fetchone()
                tries, start = row if row and now - row[1] < self.window else (0, now)
                if tries >= limit:
                    wait = start + self.window - now
                    raise TooManyAttempts(
                        f"Too many wrong passwords. Try again in {math.ceil(wait / 60)} minutes.",
                        code="admin-locked",
                        retry_after=int(wait) + 1,
                    )
                updates.append((key, tries + 1, start))
            conn.executemany("INSERT OR REPLACE INTO admin_attempts VALUES (?, ?, ?)", updates)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def lookup(self, token: str) -> AdminSession | None:
        if not token or len(token) > 200:
            return None
        row = (
            self.store.conn()
            .execute(
                "SELECT csrf, addr, expires_at FROM admin_sessions WHERE token_hash = ?",
                (_hash(token),),
            )
            .fetchone()
        )
        if row is None or row[2] < time.time():
            return None
        return AdminSession(*row)

    def csrf_ok(self, session: AdminSession, sent: Any) -> bool:
        return isinstance(sent, str) and hmac.compare_digest(sent.encode(), session.csrf.encode())

    def sign_out(self, token: str) -> None:
        self.store.conn().execute(
            "DELETE FROM admin_sessions WHERE token_hash = ?", (_hash(token),)
        )
