"""The office's location and radius, and how far a check-in's ``geo`` lies from it (issue 18,
item 9).

The local admin sets the coordinates and a radius on the admin page; that is an ``admin``
record (``action: office-location``) and the value in ``meta``. A check-in that carries
``geo`` (phones send it only over HTTPS) then gets ``geo_distance_m`` (whole metres, an
integer: no floats in a record) and ``geo_outside`` (true beyond the radius). It is still
recorded and still counted: the LAN already shows the phone was at the office, and phone GPS
is easy to fake (docs/security.md). Central lists the distance with the record.

No Flask here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import ApiError
from .log_commit import Sql
from .store import Store
from .writer import Appender

META_KEY = "office_location"
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
MAX_RADIUS_M = 5000


@dataclass(frozen=True)
class OfficeLocation:
    lat: str
    lon: str
    radius_m: int


def _coordinate(value: Any, what: str, limit: int) -> str:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ApiError(
            f"{what} must be a decimal number such as -2.9987", code="location-invalid"
        ) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise ApiError(f"{what} must be between -{limit} and {limit}", code="location-invalid")
    return f"{number.quantize(Decimal('0.000001')):f}".rstrip("0").rstrip(".")


def parse(lat: Any, lon: Any, radius: Any) -> OfficeLocation:
    """Check what the admin typed; ApiError saying what is wrong."""
    try:
        radius_m = int(str(radius).strip())
    except ValueError:
        raise ApiError("the radius must be whole metres", code="location-invalid") from None
    if not 10 <= radius_m <= MAX_RADIUS_M:
        raise ApiError(f"the radius must be 10 to {MAX_RADIUS_M} metres", code="location-invalid")
    return OfficeLocation(
        _coordinate(lat, "latitude", 90), _coordinate(lon, "longitude", 180), radius_m
    )


def set_location(writer: Appender, location: OfficeLocation, *, by: str) -> dict[str, Any]:
    """Store the office location with an ``admin`` record saying who set what."""
    value = {"lat": location.lat, "lon": location.lon, "radius_m": location.radius_m}
    record, _, _ = writer.append(
        "admin",
        {"action": "office-location", **value, "by": by},
        apply=(
            Sql(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (META_KEY, json.dumps(value)),
            ),
        ),
    )
    return record


def load(store: Store) -> OfficeLocation | None:
    text = store.meta(META_KEY)
    if not text:
        return None
    value = json.loads(text)
    return OfficeLocation(value["lat"], value["lon"], int(value["radius_m"]))


def distance_m(lat1: str, lon1: str, lat2: str, lon2: str) -> int:
    """Great-circle distance in whole metres (haversine)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a))))


def judge(location: OfficeLocation | None, geo: dict[str, str] | None) -> dict[str, Any]:
    """The fields a check-in body gets for its ``geo``: nothing without both."""
    if location is None or not geo:
        return {}
    distance = distance_m(location.lat, location.lon, geo["lat"], geo["lon"])
    return {"geo_distance_m": distance, "geo_outside": distance > location.radius_m}
