"""Check-ins: validating what a phone sends and turning it into a ``checkin`` record body.

Besides the staff member's own phone (method ``app``) there are the office fallbacks of the
first day, as signed records too: ``witness`` (on a colleague's phone, with the owner's own
PIN; the colleague's NIP goes in ``witness``) and ``manual`` (entered by the unit head for a
member of the unit, with a ``reason``; the head's NIP goes in ``witness``).

No Flask here: routes parse JSON and call these functions.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.timefmt import TS_RE, format_ts

from .errors import ApiError

KINDS = ("in", "out")
ALLOWED = {"kind", "client_ts", "presence", "geo"}
# What each fallback request may carry besides (or instead of) the fields of ALLOWED.
WITNESS_ALLOWED = ALLOWED | {"nip", "pin"}
MANUAL_ALLOWED = {"nip", "kind", "reason", "client_ts"}
REASON_MAX = 200
_DECIMAL_RE = re.compile(r"^-?[0-9]{1,4}(\.[0-9]{1,8})?\Z")
IDEM_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,100}\Z")


def _bad(message: str, code: str = "bad-request") -> ApiError:
    return ApiError(message, code=code)


def _decimal(value: Any, what: str, low: int, high: int) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        raise _bad(
            f'geo.{what} must be a decimal string such as "-2.9987", not a number', "geo-invalid"
        )
    if not isinstance(value, str) or not _DECIMAL_RE.match(value):
        raise _bad(f"geo.{what} must be a decimal string", "geo-invalid")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise _bad(f"geo.{what} must be a decimal string", "geo-invalid") from exc
    if not low <= number <= high:
        raise _bad(f"geo.{what} is out of range", "geo-invalid")
    return value


def parse_geo(geo: Any) -> dict[str, str]:
    if (
        not isinstance(geo, dict)
        or set(geo) - {"lat", "lon", "acc_m"}
        or not {"lat", "lon"} <= set(geo)
    ):
        raise _bad("geo must be an object with lat, lon and optional acc_m", "geo-invalid")
    out = {
        "lat": _decimal(geo["lat"], "lat", -90, 90),
        "lon": _decimal(geo["lon"], "lon", -180, 180),
    }
    if "acc_m" in geo:
        out["acc_m"] = _decimal(geo["acc_m"], "acc_m", 0, 9999)
    return out


def parse_client_ts(value: Any) -> str | None:
    """The phone's clock as a record timestamp, or None. Accepts RFC 3339 with an offset."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise _bad("client_ts must be an RFC 3339 timestamp string or null", "client-ts-invalid")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad(
            "client_ts must be an RFC 3339 timestamp string or null", "client-ts-invalid"
        ) from exc
    if moment.tzinfo is None:
        raise _bad("client_ts needs a time zone (Z or +08:00)", "client-ts-invalid")
    if not 2000 <= moment.year <= 2100:
        raise _bad("client_ts is not a plausible date", "client-ts-invalid")
    if TS_RE.fullmatch(value):
        return value  # already in the record form (what the app sends): format_ts gives it back
    return format_ts(moment)


def _check_fields(payload: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise _bad("request body must be a JSON object")
    unknown = set(payload) - allowed
    if unknown:
        raise _bad(f"unknown fields: {', '.join(sorted(unknown))[:200]}")
    return payload


def parse_reason(value: Any) -> str:
    """Why a head enters a check-in by hand: required, one line, at most REASON_MAX characters."""
    if not isinstance(value, str):
        raise _bad(
            "reason must be a string saying why the check-in is entered by hand", "reason-invalid"
        )
    reason = value.strip()
    if not 3 <= len(reason) <= REASON_MAX or any(ord(c) < 32 or c == "\x7f" for c in reason):
        raise _bad(f"reason must be 3-{REASON_MAX} characters on one line", "reason-invalid")
    return reason


def fallback_target(payload: Any, allowed: set[str]) -> str:
    """The NIP a witness or manual check-in is for (checked against the roster later)."""
    nip = _check_fields(payload, allowed).get("nip")
    if not isinstance(nip, str):
        raise _bad("nip of the employee checking in is required", "nip-invalid")
    return nip


def checkin_body(
    payload: Any,
    *,
    nip: str,
    device: str,
    method: str = "app",
    witness: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Validate a check-in request and return the record body.

    ``payload`` holds only the fields of ALLOWED: a fallback route takes its own fields
    (``nip``, ``pin``, ``reason``) out first and passes them as arguments.
    """
    _check_fields(payload, ALLOWED)
    kind = payload.get("kind")
    if kind not in KINDS:
        raise _bad('kind must be "in" (datang) or "out" (pulang)', "kind-invalid")
    body: dict[str, Any] = {
        "nip": nip,
        "kind": kind,
        "method": method,
        "device": device,
        "client_ts": parse_client_ts(payload.get("client_ts")),
    }
    presence = payload.get("presence")
    if presence is not None:
        if not isinstance(presence, str) or not 1 <= len(presence) <= 200:
            raise _bad("presence must be a string of at most 200 characters", "presence-invalid")
        body["presence"] = presence
    if payload.get("geo") is not None:
        body["geo"] = parse_geo(payload["geo"])
    if witness is not None:
        body["witness"] = witness
    if reason is not None:
        body["reason"] = reason
    return body


def check_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not IDEM_RE.match(value):
        raise _bad(
            "Idempotency-Key must be 8-100 characters of letters, digits, _ . : -",
            "idempotency-key-invalid",
        )
    return value
