"""What the recap tests share: the example rules and variants, WITA times, a fake office."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask.testing import FlaskClient

from sync.timefmt import WITA

from .conftest import FakeNode

EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "rules-example.toml").read_text()
MID_MONTH = (
    EXAMPLE.replace('id = "contoh-perbup-2026"', 'id = "perbup-oktober"')
    .replace('effective_from = "2026-01-01"', 'effective_from = "2026-10-15"')
    .replace("late  = [[1, 30, 0.5]", "late  = [[1, 30, 0.75]")
)
SCHOOL = (
    EXAMPLE.replace('id = "contoh-perbup-2026"', 'id = "sekolah-6-hari"')
    .replace('# units = ["UPT Pendidikan Alalak"]', 'units = ["UPT Pendidikan Alalak"]')
    .replace('fri = "07:30-16:30"', 'fri = "07:30-11:00"\nsat = "07:30-12:30"', 1)
)
AFTER = date(2026, 11, 20)  # "today" for a finished October


def at(day: int, hm: str, month: int = 10) -> float:
    h, m, *rest = (int(x) for x in hm.split(":"))
    return datetime(2026, month, day, h, m, rest[0] if rest else 0, tzinfo=WITA).timestamp()


class Office:
    """A fake node and how much of its log central already holds."""

    def __init__(self, node: FakeNode, client: FlaskClient) -> None:
        self.node, self.client, self.sent = node, client, 0

    def checkin(self, nip: str, kind: str, day: int, hm: str, month: int = 10) -> None:
        self.node.checkin(nip, kind, ts=at(day, hm, month))

    def push(self) -> None:
        r = self.node.push(self.client, self.sent)
        assert r.status_code == 200, r.get_data(as_text=True)
        self.sent = len(self.node.records)
