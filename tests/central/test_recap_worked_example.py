"""docs/recap.md works one employee's October 2026 by hand; this checks every figure of it
against the recap computed from signed check-ins pushed to central."""

from __future__ import annotations

from pathlib import Path

from central.exceptions import add_exception, decide
from central.recap import load_book
from central.recap_close import recap
from central.store import SqliteStore

from .conftest import Clock
from .test_recap_month import AFTER, Office, days, emp, offices, people  # noqa: F401

DOC = (Path(__file__).resolve().parents[2] / "docs" / "recap.md").read_text()


def test_the_hand_worked_month(store: SqliteStore, people: list[dict[str, str]],
                               offices: tuple[Office, Office], clock: Clock) -> None:
    a, _ = offices
    nip = people[0]["nip"]
    plan = [(1, "07:45:10", "15:20:00"), (2, "07:31:00", "16:30:00"),
            (3, "09:00", "11:00"), (7, None, "16:05"), (8, "07:20", None),
            (9, "09:15", "16:29:30"), (12, "08:35:00", "16:00")]
    plan += [(d, "07:25", "16:35" if d in (16, 23, 30) else "16:05")
             for d in (13, 14, 15, 16, 19, 20, 21, 22, 23, 26, 27, 28, 29, 30)]
    for day, arrival, departure in plan:
        if arrival:
            a.checkin(nip, "in", day, arrival)
        if departure:
            a.checkin(nip, "out", day, departure)
    a.push()
    book = load_book(store)
    for kind, day, part in (("cuti", "2026-10-06", "day"), ("izin", "2026-10-09", "arrival")):
        new = add_exception(store, book, nip=nip, kind=kind, first=day, last=day, part=part,
                            reason="disetujui kepala unit", by="Operator", now=clock.now)
        decide(store, "exception", new, "approve", "Kabid", clock.now)

    result = recap(store, "2026-10", today=AFTER, nip=nip)
    month = emp(result, nip)
    figures = {k: month[k] for k in ("working_days", "present_days", "absent_days",
                                     "exception_days", "late", "early", "late_minutes",
                                     "early_minutes", "deduction", "attendance_percent")}
    assert figures == {
        "working_days": 22, "present_days": 20, "absent_days": 1,
        "exception_days": {"cuti": 1},
        "late": {"TL1": 2, "TL2": 0, "TL3": 1, "TL4": 1},
        "early": {"PSW1": 0, "PSW2": 1, "PSW3": 0, "PSW4": 1},
        "late_minutes": 81, "early_minutes": 40,
        "deduction": "9.25", "attendance_percent": "36.30"}
    by_day = days(result, nip)
    assert {d: by_day[f"2026-10-{d:02d}"]["deduction"] for d in (1, 2, 3, 5, 6, 7, 8, 9, 12)} \
        == {1: "1.50", 2: "0.50", 3: "0.00", 5: "3.00", 6: "0.00", 7: "1.50", 8: "1.50",
            9: "0.00", 12: "1.25"}
    assert by_day["2026-10-03"]["status"] == "libur"
    assert by_day["2026-10-12"]["late_band"] == "TL3"
    # The page shows the same figures.
    for text in ('**"9.25"**', '**"36.30"**', "`late_minutes` 15 + 1 + 65 = 81"):
        assert text in DOC
