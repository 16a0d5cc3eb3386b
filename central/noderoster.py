"""Each node's own roster document: only the employees that node serves. No Flask here.

With a six-column roster (``nip,name,unit,role,pin,node``) central gives a node only its
own employees and their PIN hashes, plus, from the day before an event through its end
(central/events.py), every employee of the units attending that event there. Each distinct
content gets its own signed document with the next version number (shared with the
regency-wide imports, so a node's versions only grow). With the five-column form every node
gets the regency-wide document, as before (docs/security.md says why that is weaker).
"""

from __future__ import annotations

from sync.canonical import canonical_bytes
from sync.rosterdoc import make_roster_doc
from sync.timefmt import wall_ts

from .identity import CentralIdentity
from .store.protocol import CentralStore
from .store.rows import EventRow, RosterVersion


def _roster_events(store: CentralStore, node: str, now: float) -> list[EventRow]:
    """The node's events whose roster period (the day before .. the window's end) is now."""
    moment = wall_ts(now)
    return [e for e in store.events_covering(moment, moment) if e.node == node]


def _key(base: int, events: list[EventRow]) -> str:
    """What a node's document is made of: the roster import and the events in force."""
    return f"{base}:" + ",".join(str(e.id) for e in sorted(events, key=lambda e: e.id))


def node_roster(
    store: CentralStore, identity: CentralIdentity, node: str, now: float
) -> RosterVersion | None:
    """The roster document ``node`` should hold now; None when central has none for it."""
    latest = store.latest_roster()
    if latest is None or not store.roster_assigns_nodes():
        return latest
    events = _roster_events(store, node, now)
    units = sorted({unit for e in events for unit in e.units})
    employees = store.employees_for_node(node, units)
    if not employees:
        return None

    def build(version: int) -> tuple[str, str, int]:
        issued = wall_ts(now)
        doc = make_roster_doc(
            central=identity.name,
            version=version,
            issued_ts=issued,
            employees=[
                {
                    "nip": e.nip,
                    "name": e.name,
                    "unit": e.unit,
                    "role": e.role,
                    "pin_hash": e.pin_hash,
                }
                for e in employees
            ],
            key=identity.key,
        )
        return issued, canonical_bytes(doc).decode("utf-8"), len(employees)

    return store.issue_node_roster(node, _key(latest.version, events), build, now)


def announced_version(store: CentralStore, identity: CentralIdentity, node: str, now: float) -> int:
    """The roster version a batch answer announces to ``node`` (0: none for it). Cheap
    while the node's document is current; when it must change (an import, an event's roster
    period beginning or ending), the new document is issued here, once."""
    latest = store.latest_roster_version()
    if latest == 0 or not store.roster_assigns_nodes():
        return latest
    last = store.last_node_roster(node)
    if last is not None and last[1] == _key(latest, _roster_events(store, node, now)):
        return last[0]
    doc = node_roster(store, identity, node, now)
    return doc.version if doc is not None else 0
