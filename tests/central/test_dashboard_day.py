"""The day view takes ``?date=`` (issue 16 item 2, first page): any past day's unit summary,
who is late, who has not checked in, and fallbacks with the voucher's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central.store.sqlite import SqliteStore

from .conftest import Clock
from .officials import make_official, sign_in
from .test_central_reports import day, people  # noqa: F401 - fixtures


@pytest.fixture
def official(client: FlaskClient, store: SqliteStore, clock: Clock) -> FlaskClient:
    make_official(store, "budi", "viewer", clock.now)
    sign_in(client, "budi")
    return client


def _rows(page: str, table: str) -> str:
    return page.split(f'id="{table}"')[1].split("</table>")[0]


def test_a_past_day_shows_its_records(
    official: FlaskClient,
    clock: Clock,
    day: str,  # noqa: F811
    people: list[dict[str, str]],  # noqa: F811
) -> None:
    clock.advance(3 * 86400)  # three days later: "today" has no records
    today = official.get("/dashboard").get_data(as_text=True)
    assert 'id="day">2026-10-05<' in today and "Tidak ada yang terlambat" in today
    page = official.get(f"/dashboard?date={day}").get_data(as_text=True)
    assert f'id="day">{day}<' in page and f"Ringkasan kehadiran {day}" in page
    late = _rows(page, "late")
    assert people[1]["name"] in late and ">15<" in late
    vouched = _rows(page, "vouched")
    # The fixture's manual entry: one member vouched for by people[0], named, not only NIP.
    (subject,) = [p for p in people[1:] if p["name"] in vouched]
    assert people[0]["name"] in vouched and f"NIP {people[0]['nip']}" in vouched
    assert "HP rusak, hadir apel" in vouched
    absent = _rows(page, "absent")
    # people[2]'s only record is out of bounds (not counted); from people[4] on nobody came
    # except the subject of the manual entry.
    assert people[2]["name"] in absent
    assert all(p["name"] in absent for p in people[4:] if p is not subject)
    assert all(p["name"] not in absent for p in (people[0], people[1], subject))


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-30",
        "2026-13-01",
        "26-10-02",
        "2026-10-2",
        "kemarin",
        "2026-10-02T00:00",
        "2026-10-02%00",
        "２０２６-10-02",
        "2026-10-02'--",
        "9999-12-31",
        "0001-01-01",
    ],
)
def test_bad_dates_are_a_400_page(official: FlaskClient, value: str) -> None:
    r = official.get("/dashboard", query_string={"date": value})
    assert r.status_code == 400 and r.mimetype == "text/html"
    body = r.get_data(as_text=True)
    assert 'data-code="bad-date"' in body and "tanggal" in body


def test_the_absent_list_says_when_it_is_cut(
    client: FlaskClient, store: SqliteStore, clock: Clock, tmp_path: Path
) -> None:
    from central.identity import load_identity
    from central.roster import import_roster
    from sync.demo_roster import make_roster, roster_csv

    svc = client.application.extensions["presensi_central"]
    import_roster(
        store,
        load_identity(svc.paths, store),
        roster_csv(make_roster(130)),
        slips=tmp_path / "slips.csv",
        now=clock.now,
    )
    make_official(store, "budi", "viewer", clock.now)
    sign_in(client, "budi")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Belum presensi datang (130)" in page
    assert 'id="absent-cut"' in page and "Menampilkan 100 dari 130 baris" in page
