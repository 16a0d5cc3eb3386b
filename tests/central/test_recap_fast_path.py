"""The recap's fast path (rows aggregated in the database, shared days, the yearly count
from the punched days alone) gives exactly what the straightforward path gives: every
check-in row judged by ``record_status``, every day of every employee judged, on a
randomized month with every kind of row that does not count."""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from central.discipline import level_of, yearly
from central.exceptions import add_exception, add_incident, decide
from central.identity import load_identity
from central.recap import (
    Cutoffs,
    DayResult,
    RecapInputs,
    counted_checkins,
    judge_plan_day,
    load_book,
    month_recap,
    summarize,
    unit_plan,
    utc_ts,
    wita_seconds,
)
from central.reports import ReportSettings
from central.roster import import_roster
from central.rules import Discipline, import_rules
from central.store.rows import Acceptance, StoredRecord
from sync.demo_roster import make_roster, roster_csv

from .conftest import Clock
from .recap_support import AFTER, EXAMPLE, MID_MONTH, SCHOOL

NODES = ("kec-alalak", "kec-belawang", "kec-cerbon")


def reference_inputs(
    store: Any,
    first: date,
    last: date,
    *,
    today: date,
    settings: ReportSettings,
    cutoffs: Cutoffs | None,
) -> RecapInputs:
    """``load_inputs`` as it was before the aggregate: every row through record_status."""
    book = load_book(store, cutoffs.rule_cutoff if cutoffs else None)
    employees = [(e.nip, e.name, e.unit) for e in store.employees()]
    inputs = RecapInputs(first, last, today, book, employees, closed=cutoffs is not None)
    unit_of = {e[0]: e[2] for e in employees}
    seen: set[tuple[str, str]] = set()
    for rec_id, rec, counted in counted_checkins(store, first, last, settings):
        who = rec.nip
        if who is None or who not in unit_of or rec.day is None:
            continue
        seen.add((who, rec.node))
        key = (who, rec.day)
        if cutoffs is not None and rec_id > cutoffs.record_cutoff:
            inputs.after_close[key] = inputs.after_close.get(key, 0) + 1
            inputs.late_records.append(
                {
                    "nip": who,
                    "date": rec.day,
                    "kind": rec.kind,
                    "ref": f"{rec.node}/{rec.epoch}/{rec.seq}",
                    "ts": rec.ts,
                    "counted": counted,
                }
            )
        elif not counted:
            inputs.excluded[key] = inputs.excluded.get(key, 0) + 1
        else:
            inputs.punches.setdefault(key, []).append(
                (wita_seconds(rec.ts), rec.kind or "", rec.node)
            )
    for who, node in seen:
        inputs.unit_nodes.setdefault(unit_of[who], set()).add(node)
        inputs.nip_nodes.setdefault(who, set()).add(node)
    from central.exceptions import approved_exceptions, approved_incidents

    event_cutoff = cutoffs.event_cutoff if cutoffs else None
    for exc in approved_exceptions(store, first, last, event_cutoff):
        inputs.exceptions.setdefault(exc.nip, []).append(exc)
    inputs.incidents = approved_incidents(
        store, utc_ts(first, 0), utc_ts(last, 86399), event_cutoff
    )
    inputs.heads = store.node_heads()
    return inputs


def reference_days(inputs: RecapInputs, nip: str, unit: str) -> list[DayResult]:
    """Every day judged on its own: no shared results."""
    out = []
    for plan in unit_plan(inputs, unit):
        if plan.rules is None:
            result = DayResult(plan.day, "tanpa-aturan")
        elif plan.day > inputs.today:
            result = DayResult(plan.day, "belum", plan.rules, plan.hours)
        else:
            result = judge_plan_day(
                inputs,
                nip,
                plan,
                inputs.punches.get((nip, plan.text), []),
                inputs.exceptions.get(nip, []),
            )
        result.excluded = inputs.excluded.get((nip, plan.text), 0)
        result.after_close = inputs.after_close.get((nip, plan.text), 0)
        result.final = plan.final
        out.append(result)
    return out


def reference_year(inputs: RecapInputs, nip: str, name: str, unit: str) -> dict[str, Any]:
    """The yearly count as it was: walk every day of the year in order."""
    from decimal import ROUND_DOWN, Decimal

    from central.recap import money

    absent = late = early = run = longest = 0
    discipline = Discipline()
    for d in reference_days(inputs, nip, unit):
        if d.hours is None or d.status in ("belum", "tanpa-aturan", "libur"):
            continue
        if d.rules is not None:
            discipline = d.rules.discipline
        late += d.counted_late
        early += d.counted_early
        if d.status == "TK":
            absent += 1
            run += 1
            longest = max(longest, run)
        else:
            run = 0
    equivalent = Decimal(late + early) / Decimal(discipline.minutes_per_day)
    count = absent + int(equivalent.to_integral_value(rounding=ROUND_DOWN))
    return {
        "nip": nip,
        "name": name,
        "unit": unit,
        "absent_days": absent,
        "late_minutes": late,
        "early_minutes": early,
        "minutes_as_days": money(equivalent),
        "count_days": count,
        "longest_absent_run": longest,
        "level": level_of(count, longest, discipline),
    }


def _ts(day: date, seconds: int) -> str:
    return utc_ts(day, seconds)


def _random_rows(
    rng: random.Random,
    nips: list[str],
    foreign_nip: str,
) -> tuple[list[StoredRecord], dict[str, str]]:
    """Check-ins of 2026 up to November (mostly the month and its edges): several a day,
    in and out in any order, from three nodes, with every flag that stops a row
    counting; returns the rows and each node's epoch."""
    epochs = {node: secrets.token_hex(16) for node in NODES}
    seqs = dict.fromkeys(NODES, 0)
    rows = []
    day = date(2026, 1, 2)
    while day <= date(2026, 11, 3):
        for nip in [*nips, foreign_nip]:
            # Before the month a record every week or two (runs of absences for the year),
            # then most days.
            if rng.random() < (0.15 if day >= date(2026, 9, 28) else 0.7):
                continue  # absent
            if nip in nips[:3] and day > date(2026, 10, 10):
                continue  # gone from mid-October: the year's longest run is its last
            for _ in range(rng.choice((1, 2, 2, 2, 3, 4))):
                node = rng.choice(NODES)
                seqs[node] += 1
                secs = rng.choice(
                    (
                        rng.randrange(6 * 3600, 18 * 3600),
                        7 * 3600 + 30 * 60 + rng.randrange(-90, 90),
                        16 * 3600 + rng.randrange(-90, 90),
                        rng.randrange(0, 86400),
                    )
                )
                ts = _ts(day, secs)
                rows.append(
                    StoredRecord(
                        node=node,
                        epoch=epochs[node],
                        seq=seqs[node],
                        type="checkin",
                        ts=ts,
                        hash=secrets.token_hex(32),
                        nip=nip,
                        day=day.isoformat(),
                        kind=rng.choice(("in", "out")),
                        record="{}",
                        lower_ts=None if rng.random() < 0.3 else ts,
                        upper_ts=ts,
                        out_of_bounds=rng.random() < 0.04,
                        problem="bad body" if rng.random() < 0.04 else None,
                        foreign=nip == foreign_nip or rng.random() < 0.04,
                        method="app",
                    )
                )
        day += timedelta(days=1)
    return rows, epochs


@pytest.mark.parametrize("require_anchor", [False, True])
def test_fast_path_equals_the_reference_on_a_random_month(
    central_store: Any,
    central_paths: Any,
    central_clock: Clock,
    tmp_path: Path,
    require_anchor: bool,
) -> None:
    store, clock = central_store, central_clock
    rng = random.Random(1500 + require_anchor)
    people = make_roster(24)
    import_roster(
        store,
        load_identity(central_paths, store),
        roster_csv(people),
        slips=tmp_path / "slips.csv",
        now=clock.now,
    )
    units = sorted({p["unit"] for p in people})
    import_rules(store, EXAMPLE, by="kabid", now=clock.now)
    import_rules(store, MID_MONTH, by="kabid", now=clock.now)
    import_rules(
        store, SCHOOL.replace("UPT Pendidikan Alalak", units[0]), by="kabid", now=clock.now
    )
    nips = [p["nip"] for p in people]
    rows, epochs = _random_rows(rng, nips, "199001012015011999")
    with store.ingest_transaction() as tx:
        tx.insert_records(rows)
        # kec-belawang's log forked at a seq in the middle; kec-cerbon's got a receipt,
        # so its rows without an anchor may be anchor-missing.
        fork_seq = next(r.seq for r in rows[len(rows) // 2 :] if r.node == "kec-belawang")
        tx.add_evidence(
            "kec-belawang", epochs["kec-belawang"], fork_seq, "fork", None, "{}", clock.now
        )
        tx.insert_receipt(
            "kec-cerbon", epochs["kec-cerbon"], 1, "0" * 64, "2026-10-10T00:00:00.000Z", "{}"
        )
    for rec in rng.sample([r for r in rows if r.foreign or r.lower_ts is None], 40):
        store.add_acceptance(
            Acceptance(
                rec.node, rec.epoch, rec.seq, "foreign-node", "kabid", "test", "diterima", clock.now
            )
        )
    book = load_book(store)
    for i in range(12):
        new = add_exception(
            store,
            book,
            nip=rng.choice(nips),
            kind=rng.choice(sorted(book.kinds())),
            first=f"2026-10-{rng.randrange(1, 28):02d}",
            last=f"2026-10-{rng.randrange(28, 31):02d}",
            part=("day", "arrival", "departure")[i % 3],
            reason="uji",
            by="operator",
            now=clock.now,
        )
        decide(store, "exception", new, "approve", "kabid", clock.now)
    inc = add_incident(
        store,
        ts_from="2026-10-05T07:00:00+08:00",
        ts_to="2026-10-05T17:00:00+08:00",
        unit=None,
        node="kec-alalak",
        reason="server mati",
        by="operator",
        now=clock.now,
    )
    decide(store, "incident", inc, "approve", "kabid", clock.now)
    settings = ReportSettings(require_anchor=require_anchor)
    cut = store.cutoffs()
    # A closed month: rows above the cutoff are listed after the close, never counted.
    closed = Cutoffs(
        cut["record_cutoff"] - len(rows) // 5,
        cut["event_cutoff"],
        cut["rule_cutoff"],
        cut["day_close_cutoff"],
    )
    first, last = date(2026, 10, 1), date(2026, 10, 31)
    for cutoffs, today in ((None, AFTER), (None, date(2026, 10, 20)), (closed, AFTER)):
        fast = month_recap(store, "2026-10", today=today, settings=settings, cutoffs=cutoffs)
        ref = reference_inputs(store, first, last, today=today, settings=settings, cutoffs=cutoffs)
        assert ref.excluded and ref.punches  # the month holds rows that do not count
        expected = [
            summarize(n, name, u, reference_days(ref, n, u)) for n, name, u in ref.employees
        ]
        assert fast["employees"] == expected
        if cutoffs is not None:
            assert ref.late_records
            key = lambda r: r["ref"]  # noqa: E731
            assert sorted(fast["after_close"]["records"], key=key) == sorted(
                ref.late_records, key=key
            )
    for today in (AFTER, date(2026, 10, 14)):
        fast_year = yearly(store, 2026, today=today, settings=settings)
        ref = reference_inputs(
            store,
            date(2026, 1, 1),
            date(2026, 12, 31),
            today=today,
            settings=settings,
            cutoffs=None,
        )
        assert fast_year["employees"] == [
            reference_year(ref, n, name, u) for n, name, u in ref.employees
        ]
        assert any(e["absent_days"] and e["late_minutes"] for e in fast_year["employees"])
        runs = {e["longest_absent_run"] for e in fast_year["employees"]}
        assert len(runs) > 3, runs  # runs of many lengths, some of them at the end
