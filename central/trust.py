"""What central believes of a node's check-ins beyond its signature. No Flask here.

A node's key proves the node signed a record, not that the record is true. Central trusts a
node only for its own office (docs/security.md, "A node that lies"):

- at ingest (``judge``): every check-in body is checked as strictly as the node builds it
  (``sync.checkinbody``) plus the rules that need the roster (a ``manual`` record's witness is
  a ``head`` of the subject's unit; a ``witness`` is on the roster); and whether the employee
  is on the pushing node's roster. The verdicts are stored with the record (``problem``,
  ``foreign``): a signed record is evidence and is always kept, never refused (refusing one
  record would stall the node's whole chain behind it);
- when reading (``TrustFacts`` + ``reports.record_status``, the one place that decides
  whether a record counts): events that open a node to other units, officials' acceptances,
  and how long each log has had a working link (``anchor-missing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sync.checkinbody import body_problem
from sync.records import Record
from sync.timefmt import WITA, format_ts, parse_ts

from .store.protocol import CentralStore, IngestTx
from .store.rows import Employee, EventRow, StoredRecord

# Statuses an official may accept (count after all); the others are hard evidence problems.
ACCEPTABLE = ("foreign-node", "anchor-missing")


@dataclass(frozen=True)
class Verdict:
    problem: str | None
    foreign: bool
    method: str | None


def _roster_problem(body: dict[str, Any], employees: dict[str, Employee]) -> str | None:
    """The witness rules that need the roster; ``body`` passed ``body_problem`` already."""
    method, witness = body["method"], str(body.get("witness"))
    if method not in ("witness", "manual"):
        return None
    voucher = employees.get(witness)
    if voucher is None:
        return f"the witness {witness} is not on the roster"
    if method == "manual":
        subject = employees.get(body["nip"])
        if voucher.role != "head":
            return f"the manual check-in's witness {witness} is not a head"
        if subject is None or subject.unit != voucher.unit:
            return f"the manual check-in's witness {witness} heads another unit"
    return None


def in_event(events: list[EventRow], node: str, unit: str | None, ts: str) -> bool:
    """Whether a check-in at ``node`` at ``ts`` by a member of ``unit`` is inside an event."""
    return unit is not None and any(
        e.node == node and unit in e.units and e.start_ts <= ts <= e.end_ts for e in events
    )


def judge(tx: IngestTx, node: str, records: list[Record]) -> tuple[dict[int, Verdict], list[str]]:
    """Verdicts for the check-ins among ``records`` (by seq) and the alerts to raise."""
    checkins = [r for r in records if r["type"] == "checkin"]
    if not checkins:
        return {}, []
    nips = [
        value
        for r in checkins
        if isinstance(b := r["body"], dict)
        for k in ("nip", "witness")
        if isinstance(value := b.get(k), str)
    ]
    employees = tx.employees_by_nip(nips)
    has_roster = bool(employees) or tx.has_roster()
    stamps = [r["ts"] for r in checkins]  # a lying node need not keep them in order
    events = tx.events_at(node, min(stamps), max(stamps)) if has_roster else []
    verdicts: dict[int, Verdict] = {}
    invalid: list[str] = []
    foreign: list[int] = []
    for record in checkins:
        body = record["body"]
        problem = body_problem(body)
        if problem is None and has_roster:
            problem = _roster_problem(body, employees)
        method = body.get("method") if isinstance(body.get("method"), str) else None
        emp = employees.get(body.get("nip")) if isinstance(body.get("nip"), str) else None
        # Without a roster at central (a node on its own CSV) there is nothing to judge by.
        home = not has_roster or (emp is not None and emp.node in (None, node))
        verdicts[record["seq"]] = Verdict(problem, not home, method)
        if problem is not None:
            invalid.append(f"seq {record['seq']}: {problem}")
        elif not home and not in_event(events, node, emp.unit if emp else None, record["ts"]):
            foreign.append(record["seq"])
    alerts = []
    if invalid:
        alerts.append(
            f"invalid-body|{len(invalid)} signed check-in(s) with a body the node "
            f"software never makes, kept as evidence and not counted: "
            f"{'; '.join(invalid[:5])[:600]}"
        )
    if foreign:
        alerts.append(
            f"foreign-node|{len(foreign)} check-in(s) for employees not on this "
            f"node's roster (seq {', '.join(map(str, foreign[:10]))}), not counted "
            "until an official accepts them"
        )
    return verdicts, alerts


def anchor_missing(
    rec_upper: str, lower: str | None, link_start: str | None, grace_s: float
) -> bool:
    """True for a record with no anchor before it that central first received more than
    ``grace_s`` after the node's log got its first receipt: an honest node anchors every
    receipt, so a node with a working link whose records stay unanchored is withholding
    them (and could backdate them freely)."""
    if lower is not None or link_start is None:
        return False
    return parse_ts(rec_upper) > parse_ts(link_start) + timedelta(seconds=grace_s)


@dataclass
class TrustFacts:
    """What ``record_status`` needs beyond the record: load once per report (``load``)."""

    forks: dict[tuple[str, str], int] = field(default_factory=dict)
    link_starts: dict[tuple[str, str], str] = field(default_factory=dict)
    events: list[EventRow] = field(default_factory=list)
    accepted: set[tuple[str, str, int]] = field(default_factory=set)
    units: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(
        cls, store: CentralStore, ts_from: str | None = None, ts_to: str | None = None
    ) -> TrustFacts:
        """Facts for records with ``ts`` in [ts_from, ts_to] (all events when not given)."""
        events = store.events_covering(ts_from, ts_to) if ts_from and ts_to else store.events()
        return cls(
            forks=store.fork_points(),
            link_starts=store.link_starts(),
            events=events,
            accepted=store.accepted_refs(),
            units=store.employee_units(),
        )

    def in_event(self, rec: StoredRecord) -> bool:
        return bool(rec.nip) and in_event(
            self.events, rec.node, self.units.get(rec.nip or ""), rec.ts
        )


def day_in_range(day: date) -> bool:
    """Days central answers for: a WITA day at the edge of ``date``'s range has no UTC
    bounds (day_bounds would overflow), and no attendance record is that old or that new."""
    return date(2000, 1, 1) <= day <= date(2999, 12, 31)


def day_bounds(day: str) -> tuple[str, str]:
    """The record timestamps (UTC) of the first and last millisecond of a WITA day."""
    start = datetime.combine(date.fromisoformat(day), time(0, 0), tzinfo=WITA)
    return format_ts(start), format_ts(start + timedelta(days=1) - timedelta(milliseconds=1))
