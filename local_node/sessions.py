"""Staff sessions and the PIN lockout: the policy (the SQL is in local_node/store.py).

A session is a random token (kept only as its SHA-256 in the database) bound to one NIP and
one device, plus a CSRF token for cookie-authenticated browser requests. Sessions are cached in
memory so a check-in never pays a database read or a slow hash: the first lookup that misses
loads every unexpired session in one query (after a restart, the morning's first check-ins
would otherwise each pay a read), and later misses still look up their one row.

A session ended by anything but expiry (sign-out, "end my other sessions", a roster that drops
the employee or changes their PIN) bumps a generation counter in the database in the same
transaction, and then rings the store's bell (a counter in shared memory). Every lookup reads
the bell, which costs no system call, and drops the whole cache when it moved; the database
generation is re-read every ``RECHECK_S`` seconds in case a process died between its commit and
its ring. A copy read before the change is never put back in the cache after it.

The PIN lockout reserves each PIN check in the database before the slow hash (all requests
in flight count), per NIP and per client address, so it holds across threads, processes and
restarts.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sync.timefmt import format_ts

from .errors import TooManyAttempts
from .store import Store

# Sessions kept in memory at most (about 300 bytes each); past this the cache starts over.
CACHE_MAX = 200_000
# How often a process re-reads the database generation besides watching the bell (seconds).
RECHECK_S = 2.0


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
        self._gen = store.session_generation()
        self._checked = time.monotonic()

    def create(self, nip: str, device: str, label: str | None = None) -> tuple[str, Session]:
        """A fresh session (never reuses a token the client brought: no fixation)."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        session = Session(nip, device, secrets.token_urlsafe(24), now + self.lifetime)
        key = token_hash(token)
        self.store.insert_session(key, nip, device, session.csrf, now, session.expires_at, label)
        with self._lock:
            self._cache[key] = session
        return token, session

    def _observe(self, gen: int) -> None:
        """A generation seen in the bell or the database: newer than ours drops the cache."""
        if gen > self._gen:
            with self._lock:
                if gen > self._gen:
                    self._cache.clear()
                    self._loaded = False
                    self._gen = gen

    def lookup(self, token: str) -> Session | None:
        if not token or len(token) > 200:
            return None
        self._observe(self.store.sessions_bell())
        if time.monotonic() - self._checked > RECHECK_S:
            self._checked = time.monotonic()
            self._observe(self.store.session_generation())
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
            row, gen = self.store.session_row(key)
            cached = Session(*row) if row else None
            self._observe(gen)
            with self._lock:
                if len(self._cache) > CACHE_MAX:
                    self._cache.clear()
                if gen == self._gen:  # never cache a copy older than the newest generation
                    self._cache[key] = cached
        if cached is None or cached.expires_at < time.time():
            return None
        return cached

    def _preload(self) -> None:
        """Cache every unexpired session with one query (once per generation).

        The rows come back as one JSON text in a single statement step: sqlite3 releases and
        retakes the GIL for every row it steps, and the first lookups arrive with the morning
        rush, when each retake waits behind dozens of request threads.
        """
        with self._load_lock:
            if self._loaded:
                return
            text, gen = self.store.live_sessions_json(time.time(), CACHE_MAX)
            self._observe(gen)
            sessions = json.loads(text)
            with self._lock:
                if gen != self._gen:
                    return  # a newer change arrived meanwhile: the next miss loads again
                for key, nip, device, csrf, expires_at in sessions:
                    # setdefault: a session ended meanwhile stays ended (cached as None).
                    self._cache.setdefault(key, Session(nip, device, csrf, float(expires_at)))
                self._loaded = True

    def end(self, token: str) -> None:
        key = token_hash(token)
        with self._lock:
            self._cache[key] = None
        self.store.end_sessions("token_hash = ?", (key,))

    def end_others(self, nip: str, keep_token: str) -> int:
        """End every session of ``nip`` but the one of ``keep_token``; return how many."""
        return self.store.end_sessions("nip = ? AND token_hash != ?", (nip, token_hash(keep_token)))

    def end_all(self, nip: str) -> int:
        """End every session of ``nip`` (a PIN reset, a device handed back)."""
        return self.store.end_sessions("nip = ?", (nip,))

    def list_for(self, nip: str, current_token: str) -> list[dict[str, object]]:
        """The NIP's live sessions: the device, what browser it is, when it was made, its
        last check-in from that device, and whether it is the caller's."""
        current = token_hash(current_token)
        last = self.store.last_checkin_by_device(nip)
        return [
            {
                "device": device,
                "label": label,
                "created": _ts(created),
                "expires": _ts(expires),
                "last_used": last.get(device),
                "current": key == current,
            }
            for key, device, created, expires, label in self.store.sessions_of(nip, time.time())
        ]

    def forget_cache(self) -> None:
        """Drop cached sessions (the next miss loads them again)."""
        with self._lock:
            self._cache.clear()
            self._loaded = False


def _ts(seconds: float) -> str:
    return format_ts(datetime.fromtimestamp(seconds, UTC))


class Lockout:
    """Counts PIN checks per key (``nip:...``, ``addr:...``) within a window.

    ``reserve`` before the slow hash, then exactly one of ``failed`` or ``succeeded``.
    """

    def __init__(self, store: Store, *, window_min: int, lock_min: int) -> None:
        self.store = store
        self.window = window_min * 60
        self.lock = lock_min * 60

    def reserve(self, limits: dict[str, int]) -> None:
        """Reserve one check per key (``limits`` maps key to its limit), or raise
        TooManyAttempts when any key is locked or its window is full."""
        now = time.time()
        until = self.store.pin_reserve(limits, now, self.window)
        if until is not None:
            minutes = max(1, math.ceil((until - now) / 60))
            raise TooManyAttempts(
                f"Too many wrong PINs. Try again in {minutes} minutes.",
                retry_after=int(until - now) + 1,
            )

    def failed(self, limits: dict[str, int]) -> None:
        self.store.pin_failed(limits, time.time(), self.lock)

    def succeeded(self, keys: list[str]) -> None:
        self.store.pin_succeeded(keys)
