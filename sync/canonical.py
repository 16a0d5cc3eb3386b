"""RFC 8785 (JSON Canonicalization Scheme) bytes: the one function every signer and verifier uses.

Records never contain floats (docs/contract.md section 1), which is what makes a fast path possible:
for objects of str/int/bool/None/list/dict with ASCII keys, ``json.dumps`` with sorted keys,
no spaces and ``ensure_ascii=False`` produces exactly the JCS bytes (JCS escapes only ``"``,
``\\``, and control characters, with the same short forms and lowercase ``\\u00xx`` as Python).
Anything outside that subset (non-ASCII keys, whose JCS order is by UTF-16 code units) goes
through the ``rfc8785`` reference implementation. tests/sync/test_canonical.py cross-checks
both paths with hypothesis.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from .errors import CanonicalError

MAX_SAFE_INT = 2**53 - 1

_dumps = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def _check(value: Any) -> bool:
    """Validate ``value``; return True when it is inside the fast-path subset.

    Exact-type tests first (what ``json.loads`` produces), so a record's many string leaves
    cost no recursive call; anything else takes the general ``isinstance`` path below.
    """
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is dict:
        fast = True
        for key, item in value.items():
            if type(key) is not str:
                if not isinstance(key, str):
                    raise CanonicalError("object keys must be strings")
            elif not key.isascii():
                fast = False
            leaf = type(item)
            if leaf is str or item is None or leaf is bool:
                continue
            fast = _check(item) and fast
        return fast
    if kind is int:
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return True
        raise CanonicalError(f"integer {value} is outside the safe range (|n| < 2^53)")
    return _check_general(value)


def _check_general(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return True
        raise CanonicalError(f"integer {value} is outside the safe range (|n| < 2^53)")
    if isinstance(value, float):
        raise CanonicalError("floating-point numbers are not allowed; send decimals as strings")
    if isinstance(value, list | tuple):
        fast = True
        for item in value:
            fast = _check(item) and fast
        return fast
    if isinstance(value, dict):
        fast = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError("object keys must be strings")
            fast = key.isascii() and _check(item) and fast
        return fast
    raise CanonicalError(f"type {type(value).__name__} cannot appear in a record")


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``.

    Raises CanonicalError for floats, unsafe integers, non-string keys, lone surrogates and
    non-JSON types.
    """
    fast = _check(value)
    try:
        if fast:
            return _dumps(value).encode("utf-8")
        return rfc8785.dumps(value)
    except (UnicodeEncodeError, rfc8785.CanonicalizationError) as exc:
        raise CanonicalError(f"value cannot be canonicalised: {exc}") from exc
