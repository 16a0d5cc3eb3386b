"""The demo's past month (scripts/demolib/history.py): made through a real node and a real
central over HTTP, every check-in at central and counted, the node's log intact, re-runs add
nothing. A short span (5 working days, 30 employees) stands in for the demo's month."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from local_node.datadir import NodePaths
from local_node.store import Store
from scripts.demolib.history import NODE, Summary, generate
from scripts.demolib.history_plan import (
    START,
    day_plan,
    national_holidays,
    recent_working_days,
    working_days,
)
from sync.demo_roster import make_roster
from sync.timefmt import wita_day
from testkit.factories import CentralProcess, CentralSetup, make_central, run_cli

WEEK = [date(2026, 11, 23) + timedelta(days=i) for i in range(5)]  # Monday to Friday
REPO = Path(__file__).resolve().parents[2]


def _get(central: CentralProcess, token: str, path: str, **params: str) -> Any:
    r = requests.get(
        central.url + path, params=params, timeout=30, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    return r.json()


def _head(paths: NodePaths) -> int | None:
    store = Store(paths.db)
    try:
        head = store.head()
        return head[0] if head else None
    finally:
        store.close()


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[CentralSetup, NodePaths, Summary]:
    root = tmp_path_factory.mktemp("history")
    central = make_central(root, people=30)
    paths = NodePaths(root / "node")
    summary = generate(
        central.data, paths.root, central.people, WEEK, central_url="http://127.0.0.1:8700"
    )
    return central, paths, summary


def test_every_checkin_is_at_central_and_counted(
    month: tuple[CentralSetup, NodePaths, Summary], capsys: pytest.CaptureFixture[str]
) -> None:
    setup, paths, summary = month
    with capsys.disabled():
        print(f"\n{summary.line()}")
    assert summary.skipped is None and summary.days == WEEK
    methods = Counter(method for _, _, _, method, _ in summary.made)
    assert set(methods) == {"app", "kiosk", "witness", "manual"}, methods
    assert methods["app"] > len(summary.made) / 2
    central = CentralProcess(setup.data).start()
    try:
        seen: dict[int, tuple[str, str, str, str]] = {}
        late: list[int] = []
        for day in [*WEEK, date(2026, 11, 28), date(2026, 11, 29)]:
            rows = _get(central, setup.viewer_token, "/api/v1/attendance", date=day.isoformat())[
                "employees"
            ]
            for row in rows:
                assert row["status"] in ("ok", "no-arrival"), row
                if row["late_minutes"]:
                    late.append(row["late_minutes"])
                for ref in row["records"]:
                    assert (ref["status"], ref["counted"]) == ("ok", True), ref
                    # Bounded by receipts: an anchor before it, and pushed the same day.
                    assert ref["lower_ts"] is not None
                    assert wita_day(ref["upper_ts"]) == day.isoformat(), ref
                    seen[ref["seq"]] = (row["nip"], ref["kind"], ref["method"], day.isoformat())
        made = {
            seq: (nip, kind, method, wita_day(ts)) for seq, nip, kind, method, ts in summary.made
        }
        assert seen == made
        assert {day for *_, day in made.values()} == {d.isoformat() for d in WEEK}
        arrivals = [ts for _, _, kind, _, ts in summary.made if kind == "in"]
        assert len(late) < len(arrivals) / 3 and any(m > 90 for m in late), late
        node = _get(central, setup.viewer_token, "/api/v1/nodes")["nodes"][0]
        assert node["node"] == NODE and node["status"] == "active"
        assert node["records"] == summary.records_at_central
        # No trust alert: nothing out of bounds, unanchored, foreign or over the fallback limit.
        assert {a["kind"] for a in node["alerts"]} == {"enrolled"}, node["alerts"]
    finally:
        central.stop()
    verified = run_cli("local_node", "verify", "--data", str(paths.root)).stdout
    assert verified.startswith("OK:")
    assert NodePaths(paths.root).config.read_text().count('"http://127.0.0.1:8700"') == 1


def test_a_second_run_adds_nothing(month: tuple[CentralSetup, NodePaths, Summary]) -> None:
    setup, paths, first = month
    head = _head(paths)
    again = generate(setup.data, paths.root, setup.people, WEEK, central_url="http://x:1")
    assert again.skipped and not again.made
    assert _head(paths) == head
    assert '"http://127.0.0.1:8700"' in paths.config.read_text()


def test_working_days_skip_weekends_and_holidays() -> None:
    assert date(2026, 4, 3) in national_holidays(2026)  # Good Friday (Easter 5 April)
    days = working_days(date(2026, 12, 21), date(2026, 12, 27))
    assert days == [date(2026, 12, d) for d in (21, 22, 23, 24)]  # 25th Natal, weekend
    month = recent_working_days(date(2026, 12, 3))
    assert month[0] == date(2026, 11, 3) and month[-1] == date(2026, 12, 2)
    assert len(month) == 22 and all(d.weekday() < 5 for d in month)


def test_the_plan_is_seeded_and_shaped_like_an_office_day() -> None:
    people = make_roster(300, seed=2026)
    day = date(2026, 11, 27)  # a Friday: the day ends at 16:30
    plan = day_plan(day, people, random.Random(5))
    assert plan == day_plan(day, people, random.Random(5))
    assert [b.at for b in plan] == sorted(b.at for b in plan)
    ins = [(b.at, c) for b in plan for c in b.checkins if c.kind == "in"]
    outs = [(b.at, c) for b in plan for c in b.checkins if c.kind == "out"]
    assert 270 <= len(ins) < 300 and len(outs) <= len(ins)
    on_time = [at for at, _ in ins if at.time() < START]
    assert len(on_time) > 0.8 * len(ins)
    assert sum(at.hour == 7 for at in on_time) > 0.9 * len(on_time)
    assert sum(at.hour * 60 + at.minute >= 16 * 60 + 30 for at, _ in outs) > 0.9 * len(outs)
    heads = {p["nip"]: p["unit"] for p in people if p["role"] == "head"}
    unit = {p["nip"]: p["unit"] for p in people}
    for _, c in ins + outs:
        if c.method == "manual":
            assert heads.get(c.voucher or "") == unit[c.nip] and c.reason
        if c.method == "witness":
            assert c.voucher != c.nip and unit[c.voucher or ""] == unit[c.nip]


def test_the_demo_has_a_flag_to_skip_it() -> None:
    out = subprocess.run(
        [sys.executable, "scripts/demo.py", "--help"],
        cwd=REPO,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--no-history" in out.stdout
