"""The pictures on central's pages (issue 16 item 3): SVG built by ``central/charts.py``,
parsed back with ``xml.etree``, each bar following the data, and the text table after each
picture holding the same numbers. Arrivals on the day page, the attendance rate per unit on
the month chart page, and each node's backlog and clock offset history on the nodes page
(``003_node_history``, written at ingest, on both backends)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from central import charts
from central.identity import load_identity
from central.month_rates import unit_rates
from central.node_history import KEEP_DAYS
from central.recap_close import recap
from central.roster import import_roster
from central.rules import import_rules
from central.store.sqlite import SqliteStore
from sync import records
from sync.batches import encode_batch
from sync.demo_roster import make_roster, roster_csv
from sync.timefmt import WITA

from .conftest import Clock, FakeNode, ts_at
from .officials import make_official, sign_in
from .recap_support import EXAMPLE, at

SVG = ""  # inline SVG in HTML: no namespace declared


def _at(hour: int, minute: int, second: int = 0) -> float:
    return datetime(2026, 10, 2, hour, minute, second, tzinfo=WITA).timestamp()


def attr(el: ET.Element, name: str) -> str:
    """The attribute ``name`` of ``el``, which must be there."""
    value = el.get(name)
    assert value is not None, (el.tag, name)
    return value


def text(el: ET.Element | None) -> str:
    """The text of ``el``, which must be there and hold some."""
    assert el is not None and el.text is not None, el
    return el.text


def svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", page, re.S)]


def bars(svg: ET.Element) -> list[tuple[str, float, float]]:
    """(title, height or width, data-value) of each bar, in drawing order."""
    out: list[tuple[str, float, float]] = []
    horizontal = "rates" in (svg.get("class") or "")
    for rect in svg.iter(SVG + "rect"):
        if rect.get("class") != "bar":
            continue
        title = rect.find(SVG + "title")
        size = float(attr(rect, "width" if horizontal else "height"))
        out.append(
            (text(title) if title is not None else "", size, float(rect.get("data-value", "nan")))
        )
    return out


def table_rows(page: str, table_id: str) -> dict[str, list[str]]:
    """First cell -> the other cells of each row of the table with ``table_id``."""
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


# --- the arrivals picture ----------------------------------------------------------------


def test_arrival_bins_and_the_tallest_bar() -> None:
    times = ["07:25:00", "07:26:30", "07:29:59", "07:30:00", "06:29:59", "09:00:00", "06:30"]
    binned = charts.arrival_bins(times)
    assert len(binned.bins) == 30 and binned.bins[0] == ("06:30", 1)
    assert dict(binned.bins)["07:25"] == 3 and dict(binned.bins)["07:30"] == 1
    assert (binned.before, binned.after) == (1, 1)
    svg = ET.fromstring(
        charts.arrival_chart(
            binned,
            ident="a",
            title="T <&>",
            desc="D",
            work_start="07:30",
            mark_text="jam masuk 07:30",
        )
    )
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "a-title a-desc"
    assert text(svg.find(SVG + "title")) == "T <&>"
    drawn = bars(svg)
    assert len(drawn) == 30
    tallest = max(drawn, key=lambda b: b[1])
    assert tallest[0] == "07:25-07:30: 3" and tallest[2] == 3
    heights = {t.split(":")[0] + ":" + t.split(":")[1][:2]: h for t, h, _ in drawn}
    assert heights["07:30"] == pytest.approx(tallest[1] / 3, abs=0.1)
    assert heights["08:00"] == 0
    (mark,) = [line for line in svg.iter(SVG + "line") if line.get("class") == "mark"]
    (bar_0730,) = [
        r
        for r in svg.iter(SVG + "rect")
        if r.get("class") == "bar" and text(r.find(SVG + "title")).startswith("07:30-")
    ]
    assert float(attr(mark, "x1")) == pytest.approx(float(attr(bar_0730, "x")) - 1, abs=0.2)


@pytest.fixture
def morning(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    node: FakeNode,
    central_paths: Any,
    tmp_path: Path,
) -> list[dict[str, str]]:
    people = make_roster(10)
    import_roster(
        store,
        load_identity(central_paths, store),
        roster_csv(people),
        slips=tmp_path / "slips.csv",
        now=clock.now,
    )
    for person, moment in zip(
        people,
        [_at(7, 25), _at(7, 26, 30), _at(7, 29, 59), _at(7, 31), _at(6, 0), _at(9, 10)],
        strict=False,
    ):
        node.checkin(person["nip"], ts=moment)
    clock.now = _at(9, 30)
    assert node.push(client).status_code == 200
    make_official(store, "budi", "viewer", clock.now)
    sign_in(client, "budi")
    return people


def test_the_day_page_draws_the_arrivals_and_lists_them(
    client: FlaskClient, morning: list[dict[str, str]]
) -> None:
    page = client.get("/dashboard?date=2026-10-02").get_data(as_text=True)
    (svg,) = [s for s in svgs(page) if s.get("id") == "arrivals-chart"]
    drawn = bars(svg)
    assert max(drawn, key=lambda b: b[1])[0] == "07:25-07:30: 3"
    assert sum(b[2] for b in drawn) == 4  # 06:00 and 09:10 are outside the bins
    rows = table_rows(page, "arrivals-table")
    assert len(rows) == 31 and rows["07:25"] == ["3"] and rows["07:30"] == ["1"]
    assert {k: v for k, v in rows.items() if v not in (["0"], ["Datang"])} == {
        "07:25": ["3"],
        "07:30": ["1"],
    }
    assert "Sebelum 06:30: 1 orang" in page and "sesudahnya: 1 orang" in page
    # One unit only: people[0] and people[9] are the secretariat; people[0] came at 07:25.
    unit = morning[0]["unit"]
    page = client.get("/dashboard", query_string={"date": "2026-10-02", "unit": unit}).get_data(
        as_text=True
    )
    (svg,) = [s for s in svgs(page) if s.get("id") == "arrivals-chart"]
    assert [b[0] for b in bars(svg) if b[2]] == ["07:25-07:30: 1"]
    assert unit in text(svg.find(SVG + "title"))


@pytest.mark.parametrize("unit", ["Tidak Ada", "x" * 500, "<script>"])
def test_an_unknown_unit_is_a_400_page(
    client: FlaskClient, morning: list[dict[str, str]], unit: str
) -> None:
    r = client.get("/dashboard", query_string={"date": "2026-10-02", "unit": unit})
    assert r.status_code == 400 and 'data-code="bad-unit"' in r.get_data(as_text=True)
    assert "<script>" not in r.get_data(as_text=True)


# --- the attendance rate per unit over a month ---------------------------------------------


def test_the_month_chart_follows_the_recap(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    node: FakeNode,
    central_paths: Any,
    tmp_path: Path,
) -> None:
    people = make_roster(10)
    import_roster(
        store,
        load_identity(central_paths, store),
        roster_csv(people),
        slips=tmp_path / "slips.csv",
        now=clock.now,
    )
    import_rules(store, EXAMPLE, by="Kabid", now=clock.now)
    secretariat = people[0]["unit"]
    for day in (1, 2):
        node.checkin(people[0]["nip"], "in", ts=at(day, "07:20"))
        node.checkin(people[0]["nip"], "out", ts=at(day, "16:35"))
    node.checkin(people[9]["nip"], "in", ts=at(5, "07:10"))
    node.checkin(people[9]["nip"], "out", ts=at(5, "16:10"))
    node.checkin(people[1]["nip"], "in", ts=at(5, "07:10"))
    clock.now = at(31, "23:00")
    assert node.push(client).status_code == 200
    make_official(store, "budi", "viewer", clock.now)
    sign_in(client, "budi")
    page = client.get("/dashboard/grafik/bulan?month=2026-10").get_data(as_text=True)
    (svg,) = svgs(page)
    drawn = {t.rsplit(":", 1)[0]: (w, v) for t, w, v in bars(svg)}
    rows = table_rows(page, "month-rates")
    # By hand: the secretariat's two employees worked 22 days each in October 2026; three
    # days present out of 44 is 6.8 %.
    assert rows[secretariat][:5] == ["2", "44", "3", "41", "0"] and rows[secretariat][5] == "6.8"
    assert drawn[secretariat][1] == 6.8
    # Every bar and every row is the recap engine's, and bar widths follow the rates.
    rates = unit_rates(recap(store, "2026-10", today=datetime(2026, 11, 20).date()))
    assert len(drawn) == len(rows) - 1 == len(rates) == 9
    for r in rates:
        assert rows[r.unit][5] == str(r.rate) and drawn[r.unit][1] == float(r.rate)
    full = max(w for w, _ in drawn.values())
    top = max(drawn.values())
    for w, v in drawn.values():
        assert w == pytest.approx(full * v / top[1], abs=0.2)


@pytest.mark.parametrize("month", ["2026-13", "26-10", "oktober", "2026-10-01", "1999-12"])
def test_a_bad_month_is_a_400_page_in_indonesian(
    client: FlaskClient, store: SqliteStore, clock: Clock, month: str
) -> None:
    import_rules(store, EXAMPLE, by="Kabid", now=clock.now)
    make_official(store, "budi", "viewer", clock.now)
    sign_in(client, "budi")
    r = client.get("/dashboard/grafik/bulan", query_string={"month": month})
    assert r.status_code == 400 and "bulan harus berbentuk TTTT-BB" in r.get_data(as_text=True)


# --- the nodes page and the node history -----------------------------------------------------


def _push(
    client: FlaskClient,
    node: FakeNode,
    start: int,
    *,
    head_seq: Any = None,
    wall_behind_s: float = 0.0,
    raw_head: str | None = None,
) -> Any:
    chosen = node.records[start:]
    clock = {"wall_ts": ts_at(node.clock.now - wall_behind_s), "mono_us": 5_000_000}
    body = encode_batch(
        node.name, node.epoch, [records.serialize(r) for r in chosen], clock, head_seq=head_seq
    )
    if raw_head is not None:
        body = body[:-1] + f',"head_seq":{raw_head}}}'.encode()
    return node.request(
        client, "POST", "/api/v1/batches", body, {"Content-Type": "application/json"}
    )


def test_ingest_keeps_the_hourly_backlog_and_offset_and_the_page_draws_them(
    client: FlaskClient, store: SqliteStore, clock: Clock, node: FakeNode
) -> None:
    make_official(store, "budi", "viewer", clock.now)
    start = clock.now = (int(clock.now) // 3600) * 3600 + 60  # one minute into an hour
    for _ in range(5):
        node.checkin("198501012010011001")
    # The node holds 5 more records than this batch carries, its clock 2.5 s behind.
    assert (
        _push(client, node, 0, head_seq=len(node.records) + 4, wall_behind_s=2.5).status_code == 200
    )
    sent = len(node.records)
    clock.advance(600)  # same hour: the latest figures win
    node.checkin("198501012010011001")
    assert (
        _push(client, node, sent, head_seq=len(node.records) + 1, wall_behind_s=1.2).status_code
        == 200
    )
    sent = len(node.records)
    clock.advance(2 * 3600)  # two hours on; an older node says nothing of its head
    node.checkin("198501012010011001")
    assert _push(client, node, sent, wall_behind_s=-3.0).status_code == 200
    hours = store.node_history(start - 86400)
    assert [(h.hour - (int(start) // 3600) * 3600, h.backlog, h.offset_ms) for h in hours] == [
        (0, 2, 1200),
        (7200, None, -3000),
    ]

    sign_in(client, "budi")
    clock.advance(180)
    page = client.get("/dashboard/node").get_data(as_text=True)
    backlog_svg, offset_svg = svgs(page)
    assert "kec-alalak" in text(backlog_svg.find(SVG + "title"))
    # Two hours two apart (within the 3 h gap): one line of two points for the offset;
    # the backlog has one known point, a dot.
    (line,) = offset_svg.iter(SVG + "polyline")
    assert len(attr(line, "points").split()) == 2
    (dot,) = backlog_svg.iter(SVG + "circle")
    ys = [float(p.split(",")[1]) for p in attr(line, "points").split()]
    assert ys[0] < ys[1]  # +1.2 s is drawn above -3.0 s
    hours_table = page.split('class="node-hours"', 1)[1].split("</table>", 1)[0]
    assert ">2<" in hours_table and "1,2" in hours_table and "-3,0" in hours_table
    row = table_rows(page, "nodes")["kec-alalak"]
    assert row[0] == "tersinkron" and row[3] == "-"  # the last batch said nothing of a backlog
    assert row[1].startswith(("hari ini ", "kemarin ")) and row[1].endswith(" WITA (3 menit lalu)")
    assert row[4] == "jam node mendahului 3,0 detik"
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", page.split("<main>")[1])  # no raw ISO
    # English: the same page, other words.
    page = client.get("/dashboard/node?lang=en").get_data(as_text=True)
    row = table_rows(page, "nodes")["kec-alalak"]
    assert row[0] == "in sync" and row[1].endswith(" WITA (3 minutes ago)")
    assert row[4] == "node clock 3.0 s ahead"


def test_node_history_is_pruned_after_the_keep_days(
    client: FlaskClient, store: SqliteStore, clock: Clock, node: FakeNode
) -> None:
    first = clock.now
    assert _push(client, node, 0, head_seq=0).status_code == 200
    clock.advance((KEEP_DAYS + 1) * 86400)
    node.checkin("198501012010011001")
    assert _push(client, node, 1, head_seq=1).status_code == 200
    assert [h.backlog for h in store.node_history(first - 3600)] == [0]


@pytest.mark.parametrize("head", ["-1", "1.5", "true", '"7"', "null", str(2**53), "[]"])
def test_a_bad_head_seq_is_refused_and_stores_nothing(
    client: FlaskClient, store: SqliteStore, clock: Clock, node: FakeNode, head: str
) -> None:
    r = _push(client, node, 0, raw_head=head)
    assert r.status_code == 400 and json.loads(r.get_data())["error"] == "bad-batch"
    assert store.node_history(clock.now - 86400) == []
    row = store.node("kec-alalak")
    assert row is not None and row.head_seq is None


def test_a_head_seq_below_the_batch_is_ignored(
    client: FlaskClient, store: SqliteStore, clock: Clock, node: FakeNode
) -> None:
    node.checkin("198501012010011001")
    assert _push(client, node, 0, head_seq=0, wall_behind_s=0).status_code == 200
    (hour,) = store.node_history(clock.now - 86400)
    assert hour.backlog is None and hour.offset_ms is not None and abs(hour.offset_ms) <= 1
