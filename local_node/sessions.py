"""Staff sessions and the PIN lockout.

A session is a random token (kept only as its SHA-256 in the database) bound to one NIP and
one device, plus a CSRF token for cookie-authenticated browser requests. Sessions are cached in
memory so a check-in never pays a database read or a slow hash: the first lookup that misses
loads every unexpired session in one query (after a restart, the morning's first check-ins
would otherwise each pay a read), and later misses still look up their one row. Failed PINs
are counted per NIP and per client address in the database, so a lockout holds across restarts.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass

from .errors import TooManyAttempts
from .store import Store

# Sessions kept in memory at most (about 300 bytes each); past this the cache starts over.
CACHE_MAX = 200_000


@dataclass(frozen=True, slots=True)
class Session:
    nip: str
    device: str
    csrf: str
    expires_at: float


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Sessions:
    def __init__(self, store: Store, days: int) -> None:
        self.store = store
        self.lifetime = days * 86400
        self._cache: dict[str, Session | None] = {}
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._loaded = False

    def create(self, nip: str, device: str) -> tuple[str, Session]:
        """A fresh session (never reuses a token the client brought: no fixation)."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        session = Session(nip, device, secrets.token_urlsafe(24), now + self.lifetime)
        self.store.conn().execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
            (token_hash(token), nip, device, session.csrf, now, session.expires_at),
        )
        with self._lock:
            self._cache[token_hash(token)] = session
        return token, session

    def lookup(self, token: str) -> Session | None:
        if not token or len(token) > 200:
            return None
        key = token_hash(token)
        with self._lock:
            known = key in self._cache
            cached = self._cache.get(key)
        if not known and not self._loaded:
            self._preload()
            with self._lock:
                known = key in self._cache
                cached = self._cache.get(key)
        if not known:
            row = self.store.conn().execute(
                "SELECT nip, device, csrf, expires_at FROM sessions WHERE token_hash = ?", (key,)
            ).fetchone()
            cached = Session(*row) if row else None
            with self._lock:
                if len(self._cache) > CACHE_MAX:
                    self._cache.clear()
                self._cache[key] = cached
        if cached is None or cached.expires_at < time.time():
            return None
        return cached

    def _preload(self) -> None:
        """Cache every unexpired session with one query (once, until ``forget_cache``).

        The rows come back as one JSON text in a single statement step: sqlite3 releases and
        retakes the GIL for every row it steps, and the first lookups arrive with the morning
        rush, when each retake waits behind dozens of request threads.
        """
        with self._load_lock:
            if self._loaded:
                return
            row = self.store.conn().execute(
                "SELECT json_group_array(json_array(token_hash, nip, device, csrf, expires_at))"
                " FROM (SELECT * FROM sessions WHERE expires_at >= ? LIMIT ?)",
                (time.time(), CACHE_MAX)).fetchone()
            sessions = json.loads(row[0]) if row and row[0] else []
            with self._lock:
                for key, nip, device, csrf, expires_at in sessions:
                    # setdefault: a session ended meanwhile stays ended (cached as None).
                    self._cache.setdefault(key, Session(nip, device, csrf, float(expires_at)))
                self._loaded = True

    def end(self, token: str) -> None:
        key = token_hash(token)
        self.store.conn().execute("DELETE FROM sessions WHERE token_hash = ?", (key,))
        with self._lock:
            self._cache[key] = None

    def forget_cache(self) -> None:
        """Drop cached sessions (after a roster change removed some)."""
        with self._lock:
            self._cache.clear()
            self._loaded = False


class Lockout:
    """Counts failed PINs per key (``nip:...``, ``addr:...``) within a window."""

    def __init__(self, store: Store, *, window_min: int, lock_min: int) -> None:
        self.store = store
        self.window = window_min * 60
        self.lock = lock_min * 60

    def check(self, keys: dict[str, int]) -> None:
        """Raise TooManyAttempts when any key is locked. ``keys`` maps key to its limit."""
        now = time.time()
        conn = self.store.conn()
        for key in keys:
            row = conn.execute(
                "SELECT locked_until FROM pin_failures WHERE key = ?", (key,)).fetchone()
            if row and row[0] > now:
                minutes = max(1, math.ceil((row[0] - now) / 60))
                raise TooManyAttempts(
                    f"Too many wrong PINs. Try again in {minutes} minutes.",
                    retry_after=int(row[0] - now) + 1)

    def failed(self, keys: dict[str, int]) -> None:
        now = time.time()
        conn = self.store.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for key, limit in keys.items():
                row = conn.execute(
                    "SELECT failures, window_start FROM pin_failures WHERE key = ?", (key,)
                ).fetchone()
                failures, start = (row if row and now - row[1] < self.window else (0, now))
                failures += 1
                locked = now + self.lock if failures >= limit else 0.0
                conn.execute(
                    "INSERT OR REPLACE INTO pin_failures VALUES (?, ?, ?, ?)",
                    (key, 0 if locked else failures, now if locked else start, locked),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def succeeded(self, key: str) -> None:
        self.store.conn().execute("DELETE FROM pin_failures WHERE key = ?", (key,))
