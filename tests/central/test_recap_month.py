"""The monthly recap from records pushed by (fake, really signed) nodes into a real central
SQLite: nodes and days, rule versions, overlays, day finality and the month close."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central.database import open_store
from central.errors import ApiError, Conflict, Forbidden
from central.exceptions import add_exception, add_incident, decide
from central.identity import load_identity
from central.recap import load_book
from central.recap_close import close_day, close_month, recap, reopen_month
from central.roster import import_roster
from central.rules import import_rules
from central.store.sqlite import SqliteStore
from sync.demo_roster import make_roster, roster_csv

from .conftest import Clock, FakeNode, enroll
from .recap_support import AFTER, EXAMPLE, MID_MONTH, SCHOOL, Office, at


@pytest.fixture
def people(
    app: object, store: SqliteStore, central_paths: Any, tmp_path: Path, clock: Clock
) -> list[dict[str, str]]:
    people = make_roster(9)
    import_roster(
        store,
        load_identity(central_paths, store),
        roster_csv(people),
        slips=tmp_path / "slips.csv",
        now=clock.now,
    )
    import_rules(store, EXAMPLE, by="Kabid Disiplin", now=clock.now)
    return people


@pytest.fixture
def offices(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    node: FakeNode,
) -> tuple[Office, Office]:
    clock.now = at(1, "06:00")
    other = enroll(client, store, clock, "kec-belawang")
    clock.now = at(31, "23:00")
    return Office(node, client), Office(other, client)


def emp(result: dict[str, Any], nip: str) -> dict[str, Any]:
    return next(e for e in result["employees"] if e["nip"] == nip)


def days(result: dict[str, Any], nip: str) -> dict[str, dict[str, Any]]:
    return {d["date"]: d for d in emp(result, nip)["days"]}


def test_contract_example_day_two_nodes_and_midnight(
    store: SqliteStore,
    people: list[dict[str, str]],
    offices: tuple[Office, Office],
) -> None:
    a, b = offices
    nip = people[0]["nip"]
    a.checkin(nip, "in", 1, "07:45:10")
    a.checkin(nip, "out", 1, "15:20:00")
    b.checkin(nip, "in", 2, "07:20")  # arrives at one office ...
    a.checkin(nip, "out", 2, "16:31")  # ... leaves from another
    a.checkin(nip, "in", 5, "07:30")
    a.checkin(nip, "out", 5, "23:59")  # 15:59 UTC: still Monday in WITA
    a.checkin(nip, "in", 6, "00:01")  # 16:01 UTC on the 5th: Tuesday in WITA
    a.checkin(nip, "out", 6, "16:00")
    a.push()
    b.push()
    result = recap(store, "2026-10", today=AFTER, nip=nip)
    d = days(result, nip)
    first = d["2026-10-01"]
    assert {
        k: first[k]
        for k in (
            "rule",
            "start",
            "end",
            "in",
            "out",
            "late_minutes",
            "early_minutes",
            "late_band",
            "early_band",
            "exception",
            "incident",
            "deduction",
        )
    } == {
        "rule": "contoh-perbup-2026",
        "start": "07:30",
        "end": "16:00",
        "in": "07:45:10",
        "out": "15:20:00",
        "late_minutes": 15,
        "early_minutes": 40,
        "late_band": "TL1",
        "early_band": "PSW2",
        "exception": None,
        "incident": None,
        "deduction": "1.50",
    }
    assert (d["2026-10-02"]["in_node"], d["2026-10-02"]["out_node"]) == (
        "kec-belawang",
        "kec-alalak",
    )
    assert d["2026-10-02"]["deduction"] == "0.00"
    assert (d["2026-10-05"]["out"], d["2026-10-05"]["early_minutes"]) == ("23:59:00", 0)
    assert (d["2026-10-06"]["in"], d["2026-10-06"]["late_minutes"]) == ("00:01:00", 0)
    month = emp(result, nip)
    assert month["working_days"] == 22 and month["present_days"] == 4
    assert month["absent_days"] == 18
    assert month["late"] == {"TL1": 1, "TL2": 0, "TL3": 0, "TL4": 0}
    assert month["early"] == {"PSW1": 0, "PSW2": 1, "PSW3": 0, "PSW4": 0}
    assert month["deduction"] == "55.50"  # 1.50 + 18 x 3.00
    assert month["attendance_percent"] == "17.80"  # 40 x 44.50 / 100


def test_rule_change_mid_month_and_school_six_day_week(
    store: SqliteStore, people: list[dict[str, str]], offices: tuple[Office, Office], clock: Clock
) -> None:
    import_rules(store, MID_MONTH, by="Kabid Disiplin", now=clock.now)
    import_rules(store, SCHOOL, by="Kabid Disiplin", now=clock.now)
    a, _ = offices
    office_nip, teacher = people[0]["nip"], people[8]["nip"]
    assert people[8]["unit"] == "UPT Pendidikan Alalak"
    for day in (14, 15):
        a.checkin(office_nip, "in", day, "07:35")
        a.checkin(office_nip, "out", day, "16:00")
    a.checkin(teacher, "in", 3, "07:29")  # a Saturday: a working day for the school
    a.checkin(teacher, "out", 3, "12:30")
    a.checkin(teacher, "in", 2, "07:30")  # Friday ends at 11:00 at the school
    a.checkin(teacher, "out", 2, "11:00")
    a.push()
    result = recap(store, "2026-10", today=AFTER)
    assert result["rules"] == ["contoh-perbup-2026", "perbup-oktober", "sekolah-6-hari"]
    d = days(result, office_nip)
    assert (d["2026-10-14"]["rule"], d["2026-10-14"]["deduction"]) == ("contoh-perbup-2026", "0.50")
    assert (d["2026-10-15"]["rule"], d["2026-10-15"]["deduction"]) == ("perbup-oktober", "0.75")
    assert "2026-10-03" not in d  # a Saturday without records: not listed
    t = days(result, teacher)
    assert {x["rule"] for x in t.values()} == {"sekolah-6-hari"}
    assert (t["2026-10-03"]["status"], t["2026-10-03"]["deduction"]) == ("hadir", "0.00")
    assert (t["2026-10-02"]["end"], t["2026-10-02"]["deduction"]) == ("11:00", "0.00")
    assert t["2026-10-10"]["status"] == "TK"  # a Saturday without a record
    assert emp(result, teacher)["working_days"] == 27


def test_exception_after_the_fact_needs_a_second_official(
    store: SqliteStore, people: list[dict[str, str]], offices: tuple[Office, Office], clock: Clock
) -> None:
    nip = people[1]["nip"]
    before = days(recap(store, "2026-10", today=AFTER, nip=nip), nip)["2026-10-07"]
    assert (before["status"], before["deduction"]) == ("TK", "3.00")
    book = load_book(store)
    new = add_exception(
        store,
        book,
        nip=nip,
        kind="sakit",
        first="2026-10-07",
        last="2026-10-08",
        part="day",
        reason="surat dokter",
        by="Operator BKPSDM",
        now=clock.now,
    )
    proposed = days(recap(store, "2026-10", today=AFTER, nip=nip), nip)["2026-10-07"]
    assert proposed["status"] == "TK"  # proposed is not approved
    with pytest.raises(Forbidden):
        decide(store, "exception", new, "approve", "operator bkpsdm", clock.now)
    decide(store, "exception", new, "approve", "Kabid Disiplin", clock.now)
    with pytest.raises(Conflict):
        decide(store, "exception", new, "reject", "Sekretaris", clock.now)
    result = recap(store, "2026-10", today=AFTER, nip=nip)
    after = days(result, nip)["2026-10-07"]
    assert (after["status"], after["exception"], after["deduction"]) == (
        "exception",
        "sakit",
        "0.00",
    )
    assert emp(result, nip)["exception_days"] == {"sakit": 2}
    assert emp(result, nip)["absent_days"] == 20
    # A rejected one never counts.
    other = add_exception(
        store,
        book,
        nip=nip,
        kind="cuti",
        first="2026-10-09",
        last="2026-10-09",
        part="day",
        reason="cuti",
        by="A",
        now=clock.now,
    )
    decide(store, "exception", other, "reject", "B", clock.now, reason="tanpa surat")
    assert days(recap(store, "2026-10", today=AFTER, nip=nip), nip)["2026-10-09"]["status"] == "TK"


def test_partial_exception_and_incident_window(
    store: SqliteStore, people: list[dict[str, str]], offices: tuple[Office, Office], clock: Clock
) -> None:
    a, b = offices
    late, other_unit, on_b = people[2]["nip"], people[3]["nip"], people[4]["nip"]
    for nip in (late, other_unit):
        a.checkin(nip, "in", 8, "08:40")
        a.checkin(nip, "out", 8, "16:00")
    b.checkin(on_b, "in", 8, "08:40")
    b.checkin(on_b, "out", 8, "16:00")
    a.checkin(late, "in", 9, "09:15")  # permission to arrive late on the 9th
    a.checkin(late, "out", 9, "16:30")  # a Friday
    a.push()
    b.push()
    x = add_exception(
        store,
        load_book(store),
        nip=late,
        kind="izin",
        first="2026-10-09",
        last="2026-10-09",
        part="arrival",
        reason="antar anak sakit",
        by="A",
        now=clock.now,
    )
    decide(store, "exception", x, "approve", "B", clock.now)
    unit_incident = add_incident(
        store,
        ts_from="2026-10-08T07:00:00+08:00",
        ts_to="2026-10-08T09:00:00+08:00",
        unit=people[2]["unit"],
        node=None,
        reason="server pusat down",
        by="A",
        now=clock.now,
    )
    node_incident = add_incident(
        store,
        ts_from="2026-10-08T07:00:00+08:00",
        ts_to="2026-10-08T09:00:00+08:00",
        unit=None,
        node="kec-belawang",
        reason="listrik padam",
        by="A",
        now=clock.now,
    )
    unapproved = recap(store, "2026-10", today=AFTER)
    assert days(unapproved, late)["2026-10-08"]["late_band"] == "TL3"
    for inc in (unit_incident, node_incident):
        decide(store, "incident", inc, "approve", "B", clock.now)
    result = recap(store, "2026-10", today=AFTER)
    d8 = days(result, late)["2026-10-08"]
    assert (d8["late_minutes"], d8["late_band"], d8["deduction"]) == (70, None, "0.00")
    assert d8["incident"] == {
        "id": unit_incident,
        "reason": "server pusat down",
        "parts": ["arrival"],
    }
    assert days(result, other_unit)["2026-10-08"]["late_band"] == "TL3"  # another unit
    assert days(result, on_b)["2026-10-08"]["incident"]["id"] == node_incident
    d9 = days(result, late)["2026-10-09"]
    assert (d9["late_band"], d9["exception"], d9["exception_part"], d9["deduction"]) == (
        None,
        "izin",
        "arrival",
        "0.00",
    )


def test_day_final_close_and_records_after_close(
    store: SqliteStore, people: list[dict[str, str]], offices: tuple[Office, Office], clock: Clock
) -> None:
    a, b = offices
    nip = people[0]["nip"]
    a.checkin(nip, "in", 20, "07:30")
    a.checkin(nip, "out", 20, "16:00")
    b.checkin(nip, "in", 12, "07:30")
    a.push()
    b.push()
    live = recap(store, "2026-10", today=AFTER, nip=nip)
    d = days(live, nip)
    # kec-alalak pushed a record of the 20th, kec-belawang only one of the 12th's morning:
    # the 9th is final (both pushed records made after its end), the 12th not yet.
    assert d["2026-10-09"]["final"] is True and d["2026-10-12"]["final"] is False
    assert live["final"] is False
    close_day(store, "2026-10-12", None, "kec-belawang mati listrik seminggu", "Kabid", clock.now)
    assert days(recap(store, "2026-10", today=AFTER, nip=nip), nip)["2026-10-12"]["final"]
    sealed = close_month(store, "2026-10", "Kepala BKPSDM", clock.now)
    with pytest.raises(Conflict):
        close_month(store, "2026-10", "Kepala BKPSDM", clock.now)
    frozen = recap(store, "2026-10", today=AFTER, nip=nip)
    assert frozen["final"] is True and frozen["closed"]["inputs_unchanged"] is True
    assert frozen["closed"]["inputs_sha256"] == sealed["inputs_sha256"]
    # A late sync brings the 21st; an exception is approved for the 22nd.
    a.checkin(nip, "in", 21, "07:30")
    a.checkin(nip, "out", 21, "16:00")
    a.push()
    x = add_exception(
        store,
        load_book(store),
        nip=nip,
        kind="cuti",
        first="2026-10-22",
        last="2026-10-22",
        part="day",
        reason="cuti",
        by="A",
        now=clock.now,
    )
    decide(store, "exception", x, "approve", "B", clock.now)
    still = recap(store, "2026-10", today=AFTER, nip=nip)
    assert emp(still, nip) == emp(frozen, nip) | {"days": emp(still, nip)["days"]}
    assert days(still, nip)["2026-10-21"]["status"] == "TK"
    assert days(still, nip)["2026-10-21"]["after_close"] == 2
    assert [r["date"] for r in still["after_close"]["records"]] == ["2026-10-21"] * 2
    assert [(e["id"], e["action"]) for e in still["after_close"]["exceptions"]] == [
        (x, "add"),
        (x, "approve"),
    ]
    assert still["closed"]["inputs_unchanged"] is True
    with pytest.raises(ApiError):
        reopen_month(store, "2026-10", "Admin", "", clock.now)
    reopen_month(store, "2026-10", "Admin Diskominfo", "rekaman terlambat sinkron", clock.now)
    reopened = recap(store, "2026-10", today=AFTER, nip=nip)
    assert "closed" not in reopened
    assert days(reopened, nip)["2026-10-21"]["status"] == "hadir"
    assert days(reopened, nip)["2026-10-22"]["exception"] == "cuti"
    history = store.month_actions("2026-10")
    assert [(h["action"], h["by"], h["reason"]) for h in history] == [
        ("close", "Kepala BKPSDM", None),
        ("reopen", "Admin Diskominfo", "rekaman terlambat sinkron"),
    ]


def test_days_not_yet_come_are_not_judged(
    store: SqliteStore,
    people: list[dict[str, str]],
    offices: tuple[Office, Office],
) -> None:
    nip = people[0]["nip"]
    result = recap(store, "2026-10", today=date(2026, 10, 14), nip=nip)
    month = emp(result, nip)
    d = days(result, nip)
    assert d["2026-10-15"]["status"] == "belum" and d["2026-10-15"]["deduction"] == "0.00"
    assert d["2026-10-14"]["status"] == "TK" and d["2026-10-14"]["final"] is False
    assert month["working_days"] == 10 and month["absent_days"] == 10
    assert result["final"] is False


DOC = (Path(__file__).resolve().parents[2] / "docs" / "recap.md").read_text()


def test_the_hand_worked_month(
    store: SqliteStore, people: list[dict[str, str]], offices: tuple[Office, Office], clock: Clock
) -> None:
    a, _ = offices
    nip = people[0]["nip"]
    plan = [
        (1, "07:45:10", "15:20:00"),
        (2, "07:31:00", "16:30:00"),
        (3, "09:00", "11:00"),
        (7, None, "16:05"),
        (8, "07:20", None),
        (9, "09:15", "16:29:30"),
        (12, "08:35:00", "16:00"),
    ]
    plan += [
        (d, "07:25", "16:35" if d in (16, 23, 30) else "16:05")
        for d in (13, 14, 15, 16, 19, 20, 21, 22, 23, 26, 27, 28, 29, 30)
    ]
    for day, arrival, departure in plan:
        if arrival:
            a.checkin(nip, "in", day, arrival)
        if departure:
            a.checkin(nip, "out", day, departure)
    a.push()
    book = load_book(store)
    for kind, on, part in (("cuti", "2026-10-06", "day"), ("izin", "2026-10-09", "arrival")):
        new = add_exception(
            store,
            book,
            nip=nip,
            kind=kind,
            first=on,
            last=on,
            part=part,
            reason="disetujui kepala unit",
            by="Operator",
            now=clock.now,
        )
        decide(store, "exception", new, "approve", "Kabid", clock.now)

    result = recap(store, "2026-10", today=AFTER, nip=nip)
    month = emp(result, nip)
    figures = {
        k: month[k]
        for k in (
            "working_days",
            "present_days",
            "absent_days",
            "exception_days",
            "late",
            "early",
            "late_minutes",
            "early_minutes",
            "deduction",
            "attendance_percent",
        )
    }
    assert figures == {
        "working_days": 22,
        "present_days": 20,
        "absent_days": 1,
        "exception_days": {"cuti": 1},
        "late": {"TL1": 2, "TL2": 0, "TL3": 1, "TL4": 1},
        "early": {"PSW1": 0, "PSW2": 1, "PSW3": 0, "PSW4": 1},
        "late_minutes": 81,
        "early_minutes": 40,
        "deduction": "9.25",
        "attendance_percent": "36.30",
    }
    by_day = days(result, nip)
    assert {d: by_day[f"2026-10-{d:02d}"]["deduction"] for d in (1, 2, 3, 5, 6, 7, 8, 9, 12)} == {
        1: "1.50",
        2: "0.50",
        3: "0.00",
        5: "3.00",
        6: "0.00",
        7: "1.50",
        8: "1.50",
        9: "0.00",
        12: "1.25",
    }
    assert by_day["2026-10-03"]["status"] == "libur"
    assert by_day["2026-10-12"]["late_band"] == "TL3"
    # The page shows the same figures.
    for text in ('**"9.25"**', '**"36.30"**', "`late_minutes` 15 + 1 + 65 = 81"):
        assert text in DOC


@pytest.fixture
def roster_only(
    app: object, store: SqliteStore, central_paths: Any, tmp_path: Path, clock: Clock
) -> list[dict[str, str]]:
    people = make_roster(3)
    import_roster(
        store,
        load_identity(central_paths, store),
        roster_csv(people),
        slips=tmp_path / "slips.csv",
        now=clock.now,
    )
    import_rules(
        store,
        EXAMPLE.replace('effective_from = "2026-01-01"', 'effective_from = "2026-10-01"'),
        by="Kabid",
        now=clock.now,
    )
    return people


def test_yearly_discipline_count(
    store: SqliteStore,
    roster_only: list[dict[str, str]],
    clock: Clock,
    node: FakeNode,
    client: FlaskClient,
) -> None:
    from central.discipline import yearly

    office = Office(node, client)
    late, runner, fine = (p["nip"] for p in roster_only)
    working = [d for d in range(1, 31) if date(2026, 10, d).weekday() < 5]
    for d in working:
        end = "16:30" if date(2026, 10, d).weekday() == 4 else "16:00"
        if d not in (1, 2, 5):  # three days absent
            # 08:02 is 32 minutes late (TL2): 19 days x 32 = 608 minutes, 1 whole day of 450
            office.checkin(late, "in", d, "08:02")
            office.checkin(late, "out", d, end)
        if d not in working[:10]:  # the first ten working days absent in a row
            office.checkin(runner, "in", d, "07:20")
            office.checkin(runner, "out", d, end)
        office.checkin(fine, "in", d, "07:20")
        office.checkin(fine, "out", d, end)
    office.push()
    result = {e["nip"]: e for e in yearly(store, 2026, today=date(2026, 11, 1))["employees"]}
    a = result[late]
    assert (
        a["absent_days"],
        a["late_minutes"],
        a["minutes_as_days"],
        a["count_days"],
        a["longest_absent_run"],
        a["level"],
    ) == (3, 608, "1.35", 4, 3, "teguran tertulis")
    b = result[runner]
    assert (b["absent_days"], b["longest_absent_run"], b["level"]) == (
        10,
        10,
        "pemberhentian dengan hormat tidak atas permintaan sendiri",
    )
    c = result[fine]
    assert (c["absent_days"], c["count_days"], c["level"]) == (0, 0, None)


def test_concurrent_decisions_only_one_wins(
    store: SqliteStore, people: list[dict[str, str]], central_paths: Any, clock: Clock
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    new = add_exception(
        store,
        load_book(store),
        nip=people[0]["nip"],
        kind="cuti",
        first="2026-10-01",
        last="2026-10-01",
        part="day",
        reason="cuti",
        by="Operator",
        now=clock.now,
    )

    def attempt(i: int) -> str:
        own = open_store(central_paths)  # its own connection, like another worker
        try:
            return decide(
                own, "exception", new, ("approve", "reject")[i % 2], f"Pejabat {i}", clock.now
            )
        except Conflict:
            return "conflict"
        finally:
            own.close()

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(16)))
    assert sorted(set(outcomes)) in (["approved", "conflict"], ["conflict", "rejected"])
    assert outcomes.count("conflict") == 15
    actions = [e["action"] for e in store.overlay_events("exception", [new])]
    assert actions[0] == "add" and len(actions) == 2
