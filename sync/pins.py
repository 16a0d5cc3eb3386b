"""PIN hashes: slow, salted scrypt, in a self-describing string that travels in roster documents.

Format: ``scrypt$N$r$p$salt_b64$hash_b64``. N=2^14 costs tens of milliseconds per check, which
keeps it out of the check-in path (only sign-in pays it). A 6-digit PIN has only a million
values, so the real defence against guessing is the sign-in lockout; see docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

PIN_RE = re.compile(r"^[0-9]{6}\Z")
_N, _R, _P = 2**14, 8, 1


def check_pin_format(pin: object) -> str:
    """Return ``pin`` when it is 6 ASCII digits, else raise ValueError."""
    if not isinstance(pin, str) or not PIN_RE.match(pin):
        raise ValueError("PIN must be exactly 6 digits")
    return pin


def hash_pin(pin: str, *, n: int = _N) -> str:
    """Hash a PIN with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches ``stored``; False for any mismatch or malformed hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            pin.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def generate_pin() -> str:
    """A random 6-digit PIN for a slip handed to the employee."""
    return f"{secrets.randbelow(10**6):06d}"
