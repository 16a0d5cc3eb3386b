"""The body of a ``checkin`` record, checked on its own (docs/contract.md section 1).

Central checks every check-in it ingests with this, as strictly as the node builds them
(local_node/checkins.py), so a node that signs a body the node software never makes is seen:
``method`` one of four, an 18-digit plausible NIP (a spreadsheet formula is not one), ``kind``
``in`` or ``out``, decimal strings for coordinates, a ``witness`` exactly for the fallbacks and
never the subject, a ``reason`` exactly for ``manual``. Rules that need the roster (a manual
record's witness is a head of the subject's unit) are central's (central/trust.py).

Members the Contract does not name are not judged: the Contract grows by new optional fields.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import NIPError
from .nip import check_nip
from .timefmt import TS_RE

KINDS = ("in", "out")
METHODS = ("app", "kiosk", "witness", "manual")
VOUCHED = ("witness", "manual")
TEXT_MAX = 200
_DECIMAL_RE = re.compile(r"^-?[0-9]{1,4}(\.[0-9]{1,8})?\Z")
_GEO_RANGES = {"lat": (-90, 90), "lon": (-180, 180), "acc_m": (0, 9999)}


_ONE_LINE_RE = re.compile(r"[^\x00-\x1f\x7f]*\Z")


def _text(value: Any, what: str, low: int = 1) -> str | None:
    if not isinstance(value, str):
        return f"{what} must be a string"
    if not low <= len(value.strip()) <= TEXT_MAX or value != value.strip():
        return f"{what} must be {low}-{TEXT_MAX} characters without outer spaces"
    if not _ONE_LINE_RE.match(value):
        return f"{what} must be one line without control characters"
    return None


def _geo_problem(geo: Any) -> str | None:
    if not isinstance(geo, dict) or not {"lat", "lon"} <= set(geo) <= set(_GEO_RANGES):
        return "geo must be an object with lat, lon and optional acc_m"
    for name, value in geo.items():
        if not isinstance(value, str) or not _DECIMAL_RE.match(value):
            return f"geo.{name} must be a decimal string"
        low, high = _GEO_RANGES[name]
        try:
            if not low <= Decimal(value) <= high:
                return f"geo.{name} is out of range"
        except InvalidOperation:
            return f"geo.{name} must be a decimal string"
    return None


def body_problem(body: Any) -> str | None:
    """Why ``body`` is not a check-in body the node software makes, or None when it is."""
    if not isinstance(body, dict):
        return "body must be an object"
    try:
        check_nip(body.get("nip"))
    except NIPError as exc:
        return f"nip: {exc}"
    if body.get("kind") not in KINDS:
        return "kind must be in or out"
    method = body.get("method")
    if method not in METHODS:
        return f"method must be one of {', '.join(METHODS)}"
    if "device" not in body:
        return "device is missing"
    problem = _text(body["device"], "device")
    if problem:
        return problem
    client_ts = body.get("client_ts", "missing")
    if client_ts is not None and (not isinstance(client_ts, str) or not TS_RE.match(client_ts)):
        return "client_ts must be null or a record timestamp"
    presence = body.get("presence", "")
    if not isinstance(presence, str) or len(presence) > TEXT_MAX:
        return f"presence must be a string of at most {TEXT_MAX} characters"
    if "presence" in body and not presence:
        return "presence is empty"
    if method == "kiosk" and "presence" not in body:
        return "a kiosk check-in must carry the kiosk code in presence"
    if "geo" in body and (problem := _geo_problem(body["geo"])):
        return problem
    if method in VOUCHED:
        try:
            witness = check_nip(body.get("witness"))
        except NIPError as exc:
            return f"witness: {exc}"
        if witness == body["nip"]:
            return "the witness is the employee checking in"
    elif "witness" in body:
        return f"a {method} check-in has no witness"
    if method == "manual":
        if "reason" not in body:
            return "a manual check-in needs a reason"
        if problem := _text(body["reason"], "reason", 3):
            return problem
    elif "reason" in body:
        return f"a {method} check-in has no reason"
    return None
