"""The October the month-page tests share (Flask tests and the browser test): a roster of
twelve, the example rules, and check-ins pushed by a node through central's real ingest."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from central.datadir import CentralPaths
from central.identity import load_identity
from central.roster import import_roster
from central.rules import import_rules
from central.store.protocol import CentralStore
from sync.demo_roster import make_roster, roster_csv

from .conftest import Clock, FakeNode
from .recap_support import EXAMPLE, at

MONTH = "2026-10"


def fill_october(
    client: FlaskClient,
    store: CentralStore,
    paths: CentralPaths,
    root: Path,
    clock: Clock,
    node: FakeNode,
) -> list[dict[str, str]]:
    """October at kec-alalak. people[9] (unit of people[0]) has the interesting days:
    1 Oct late 15 min and out 40 min early; 2 Oct on time; 5 Oct in on the unit head's
    manual list (people[0] vouches) one minute late. Everyone else comes on 1 Oct only."""
    people = make_roster(12)
    import_roster(
        store,
        load_identity(paths, store),
        roster_csv(people),
        slips=root / "slips.csv",
        now=clock.now,
    )
    import_rules(store, EXAMPLE, by="Kabid", now=clock.now)
    subject, head = people[9], people[0]
    node.checkin(subject["nip"], "in", ts=at(1, "07:45:10"))
    node.checkin(subject["nip"], "out", ts=at(1, "15:20"))
    node.checkin(subject["nip"], "in", ts=at(2, "07:29"))
    node.checkin(subject["nip"], "out", ts=at(2, "16:31"))  # a Friday: 16:30
    node.checkin(
        subject["nip"],
        "in",
        ts=at(5, "07:31"),
        method="manual",
        witness=head["nip"],
        reason="HP rusak, hadir apel",
    )
    node.checkin(subject["nip"], "out", ts=at(5, "16:00"))
    for person in people[:9] + people[10:]:
        node.checkin(person["nip"], "in", ts=at(1, "07:25"))
        node.checkin(person["nip"], "out", ts=at(1, "16:05"))
    clock.now = at(31, "23:00")
    assert node.push(client).status_code == 200
    return people
