"""Views for officials: attendance per employee per WITA day, and the state of each node.

No Flask here. A check-in counts only when central can stand behind it; ``record_status`` is
the one place that decides (the report, the dashboard and the monthly recap call it). Listed
but not counted: records at or after a fork in a node's log (``disputed``), bodies the node
software never makes (``invalid-body``), a ``ts`` outside the interval central can prove
(``out-of-bounds``), employees not on the pushing node's roster outside an event
(``foreign-node``), and records with no anchor before them from a log whose link had worked
for longer than ``ANCHOR_GRACE_S`` (``anchor-missing``). An official may accept the last two
(``accepted``, counted). Other records with no anchor before them (a node's first hour, or
offline since enrollment) are counted and marked ``unanchored``, unless ``REQUIRE_ANCHOR``
(then an official may accept them too).

Each record's ``method`` is shown: a valid check-in made through an office fallback
(``witness`` on a colleague's phone, ``manual`` by the unit head) counts like any other
signed record, and the report names who vouched for it (``witness``) and why (``reason``) so
officials can audit.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sync.timefmt import WITA, parse_ts

from .spreadsheet import csv_cell, nip_cell, xlsx_bytes
from .store.protocol import CentralStore
from .store.rows import StoredRecord
from .trust import TrustFacts, anchor_missing, day_bounds

CSV_FIELDS = [
    "nip",
    "name",
    "unit",
    "first_in",
    "first_in_node",
    "last_out",
    "last_out_node",
    "late_minutes",
    "status",
    "excluded",
    "records",
]


@dataclass(frozen=True)
class ReportSettings:
    work_start: str = "07:30"
    require_anchor: bool = False
    anchor_grace_s: float = 3600.0


def _wita(ts: str) -> datetime:
    return parse_ts(ts).astimezone(WITA)


def _iso_wita(ts: str) -> str:
    moment = _wita(ts)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+08:00"


def record_status(
    rec: StoredRecord, facts: TrustFacts, settings: ReportSettings
) -> tuple[str, bool]:
    """(status, counted) of one check-in record; ``facts``: ``TrustFacts.load(store)``."""
    fork = facts.forks.get((rec.node, rec.epoch))
    if fork is not None and rec.seq >= fork:
        return "disputed", False
    if rec.problem is not None:
        return "invalid-body", False
    if rec.out_of_bounds:
        return "out-of-bounds", False
    accepted = (rec.node, rec.epoch, rec.seq) in facts.accepted
    if rec.foreign and not facts.in_event(rec):
        return ("accepted", True) if accepted else ("foreign-node", False)
    if anchor_missing(
        rec.upper_ts,
        rec.lower_ts,
        facts.link_starts.get((rec.node, rec.epoch)),
        settings.anchor_grace_s,
    ):
        return ("accepted", True) if accepted else ("anchor-missing", False)
    if rec.lower_ts is None:
        if settings.require_anchor and accepted:
            return "accepted", True
        return "unanchored", not settings.require_anchor
    return "ok", True


def _vouching(rec: StoredRecord) -> dict[str, Any]:
    """How the record was made (``method``) and, for a fallback, who vouched and why."""
    body = json.loads(rec.record).get("body")
    body = body if isinstance(body, dict) else {}
    out: dict[str, Any] = {"method": body.get("method")}
    for field in ("witness", "reason", "geo_distance_m", "geo_outside"):
        if field in body:
            out[field] = body[field]
    return out


def late_minutes(first_in: str, day: str, work_start: str) -> int:
    """Whole minutes after the start of work (WITA) on ``day``; 0 when on time."""
    hour, minute = (int(part) for part in work_start.split(":"))
    start = datetime.combine(
        datetime.strptime(day, "%Y-%m-%d").date(), time(hour, minute), tzinfo=WITA
    )
    late = _wita(first_in) - start
    return max(0, int(late // timedelta(minutes=1)))


def attendance(
    store: CentralStore,
    day: str,
    *,
    unit: str | None = None,
    settings: ReportSettings | None = None,
) -> list[dict[str, Any]]:
    """One row per employee (roster order) plus anyone with records but not on the roster."""
    settings = settings or ReportSettings()
    facts = TrustFacts.load(store, *day_bounds(day))
    by_nip: dict[str, list[StoredRecord]] = {}
    for rec in store.checkins_on(day):
        if rec.nip:
            by_nip.setdefault(rec.nip, []).append(rec)
    rows: list[dict[str, Any]] = []
    people: list[tuple[str, str | None, str | None]] = [
        (e.nip, e.name, e.unit) for e in store.employees()
    ]
    on_roster = {p[0] for p in people}
    people += [(nip, None, None) for nip in sorted(by_nip) if nip not in on_roster]
    for nip, name, emp_unit in people:
        if unit is not None and emp_unit != unit:
            continue
        rows.append(_row(nip, name, emp_unit, by_nip.get(nip, []), day, facts, settings))
    return rows


def _row(
    nip: str,
    name: str | None,
    unit: str | None,
    recs: list[StoredRecord],
    day: str,
    facts: TrustFacts,
    settings: ReportSettings,
) -> dict[str, Any]:
    refs: list[dict[str, Any]] = []
    first_in: StoredRecord | None = None
    last_out: StoredRecord | None = None
    excluded = 0
    marked = False
    for rec in sorted(recs, key=lambda r: (r.ts, r.node, r.seq)):
        status, counted = record_status(rec, facts, settings)
        ref = {
            "ref": f"{rec.node}/{rec.epoch}/{rec.seq}",
            "node": rec.node,
            "epoch": rec.epoch,
            "seq": rec.seq,
            "kind": rec.kind,
            "ts": _iso_wita(rec.ts),
            "status": status,
            "counted": counted,
            "lower_ts": rec.lower_ts,
            "upper_ts": rec.upper_ts,
        }
        if rec.problem is not None:
            ref["problem"] = rec.problem
        refs.append(ref | _vouching(rec))
        if not counted:
            excluded += 1
            continue
        marked = marked or status == "unanchored"
        if rec.kind == "in" and first_in is None:
            first_in = rec
        if rec.kind == "out":
            last_out = rec
    if first_in is None:
        status = "no-arrival"
    elif marked:
        status = "unanchored"
    else:
        status = "ok"
    return {
        "nip": nip,
        "name": name,
        "unit": unit,
        "first_in": _iso_wita(first_in.ts) if first_in else None,
        "first_in_node": first_in.node if first_in else None,
        "last_out": _iso_wita(last_out.ts) if last_out else None,
        "last_out_node": last_out.node if last_out else None,
        "late_minutes": late_minutes(first_in.ts, day, settings.work_start) if first_in else None,
        "status": status,
        "excluded": excluded,
        "records": refs,
    }


def _flat(row: dict[str, Any]) -> list[Any]:
    """A report row as the values of CSV_FIELDS; ``records`` holds the refs separated by
    spaces, each with its kind, ``(kiosk)``, ``(witness)`` or ``(manual)`` unless made with
    the app, and its status unless ok."""
    flat = {k: row[k] for k in CSV_FIELDS if k != "records"}
    flat["records"] = " ".join(
        f"{r['ref']}:{r['kind']}"
        + ("" if r["method"] in ("app", None) else f"({r['method']})")
        + ("" if r["status"] == "ok" else f"[{r['status']}]")
        for r in row["records"]
    )
    return [flat[k] for k in CSV_FIELDS]


def attendance_csv(rows: list[dict[str, Any]]) -> str:
    """The report as CSV, safe to open in a spreadsheet (central/spreadsheet.py)."""
    out = io.StringIO()
    # CRLF (RFC 4180): the writer then quotes any cell holding a CR or LF, so a name with a
    # bare CR cannot start a new row in a spreadsheet.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for row in rows:
        nip, *rest = _flat(row)
        writer.writerow([nip_cell(nip), *map(csv_cell, rest)])
    return out.getvalue()


def attendance_xlsx(rows: list[dict[str, Any]], day: str) -> bytes:
    """The report as an Excel workbook: text cells stay text (NIPs, names, formulas)."""
    return xlsx_bytes(CSV_FIELDS, (_flat(row) for row in rows), title=f"presensi {day}")


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, WITA).isoformat(timespec="seconds")


def nodes_overview(
    store: CentralStore,
    *,
    alerts_per_node: int = 10,
    day: str | None = None,
    fallback_threshold: int | None = None,
) -> list[dict[str, Any]]:
    """Per node: status, head, records held, last sync, clock offset, recent alerts and, for
    ``day``, its witness and manual check-ins against the alert threshold."""
    out = []
    counts = store.fallback_counts(day) if day else {}
    for node in store.nodes():
        fallbacks: dict[str, Any] = {
            "day": day,
            **counts.get(node.name, {"witness": 0, "manual": 0}),
        }
        fallbacks["threshold"] = fallback_threshold
        fallbacks["over"] = (
            fallback_threshold is not None
            and fallbacks["witness"] + fallbacks["manual"] > fallback_threshold
        )
        out.append(
            {
                "node": node.name,
                "status": node.status,
                "epoch": node.epoch,
                "head_seq": node.head_seq,
                "head": node.head_hash,
                "records": node.records_count,
                "last_sync": _iso(node.last_sync),
                "last_sync_ts": node.last_sync,
                "clock_offset_ms": node.clock_offset_ms,
                "enrolled_at": _iso(node.enrolled_at),
                "fallbacks": fallbacks,
                "alerts": [
                    {"kind": a.kind, "message": a.message, "ts": _iso(a.ts)}
                    for a in store.alerts(node.name, alerts_per_node)
                ],
                # The list above is cut at alerts_per_node; this says how many are still open.
                "open_alerts": store.alert_page(
                    node=node.name, kind=None, state="open", offset=0, limit=0
                )[1],
            }
        )
    return out
