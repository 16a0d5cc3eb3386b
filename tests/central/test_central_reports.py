"""Views for officials: attendance (JSON and CSV), nodes, tokens and the dashboard."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central.datadir import CentralPaths
from central.roster import import_roster
from central.store.sqlite import SqliteStore
from sync.demo_roster import make_roster, roster_csv
from sync.timefmt import WITA

from .conftest import Clock, FakeNode
from .officials import make_official, post_form, sign_in


def _at(hour: int, minute: int, second: int = 0) -> float:
    return datetime(2026, 10, 2, hour, minute, second, tzinfo=WITA).timestamp()


@pytest.fixture
def people(
    app: object, store: SqliteStore, central_paths: CentralPaths, tmp_path: Path, clock: Clock
) -> list[dict[str, str]]:
    from central.identity import load_identity

    people = make_roster(10)  # people[9]: staff of the unit people[0] heads
    import_roster(
        store,
        load_identity(central_paths, store),
        roster_csv(people),
        slips=tmp_path / "slips.csv",
        now=clock.now,
    )
    return people


@pytest.fixture
def day(client: FlaskClient, node: FakeNode, people: list[dict[str, str]], clock: Clock) -> str:
    """A morning at kec-alalak: on time, late, an anchor, then a back-dated record."""
    clock.now = _at(7, 0)
    assert node.push(client).status_code == 200
    clock.now = _at(7, 20)
    node.checkin(people[0]["nip"], ts=_at(7, 20))
    node.checkin(people[1]["nip"], ts=_at(7, 45, 30))
    clock.now = _at(8, 0)
    receipt = node.push(client, 1).get_json()["receipt"]
    node.anchor(receipt)
    node.checkin(people[2]["nip"], ts=_at(7, 10))  # back-dated past the anchor: not proven
    clock.now = _at(16, 5)
    node.checkin(people[0]["nip"], "out", ts=_at(16, 5))
    node.checkin(
        people[9]["nip"],
        ts=_at(16, 4),
        method="manual",
        witness=people[0]["nip"],
        reason="HP rusak, hadir apel",
    )
    assert node.push(client, 3).status_code == 200
    return "2026-10-02"


def test_attendance_json(
    client: FlaskClient, viewer_token: str, day: str, people: list[dict[str, str]]
) -> None:
    r = client.get(
        f"/api/v1/attendance?date={day}", headers={"Authorization": f"Bearer {viewer_token}"}
    )
    assert r.status_code == 200
    rows = {row["nip"]: row for row in r.get_json()["employees"]}
    assert len(rows) == 10
    a, b, c = (rows[p["nip"]] for p in people[:3])
    assert a["first_in"] == "2026-10-02T07:20:00.000+08:00" and a["late_minutes"] == 0
    assert a["last_out"] == "2026-10-02T16:05:00.000+08:00" and a["first_in_node"] == "kec-alalak"
    assert a["status"] == "unanchored"  # arrived before the node's first anchor
    assert b["late_minutes"] == 15
    assert c["first_in"] is None and c["excluded"] == 1 and c["status"] == "no-arrival"
    assert c["records"][0]["status"] == "out-of-bounds" and not c["records"][0]["counted"]
    assert a["records"][0]["ref"].startswith("kec-alalak/")
    assert a["records"][0]["method"] == "app" and "witness" not in a["records"][0]
    # A fallback counts like any signed record, and the report says who vouched and why.
    (manual,) = rows[people[9]["nip"]]["records"]
    assert (manual["method"], manual["witness"], manual["reason"], manual["counted"]) == (
        "manual",
        people[0]["nip"],
        "HP rusak, hadir apel",
        True,
    )
    assert rows[people[9]["nip"]]["first_in"] == "2026-10-02T16:04:00.000+08:00"


def test_attendance_unit_filter_and_csv(
    client: FlaskClient, viewer_token: str, day: str, people: list[dict[str, str]]
) -> None:
    auth = {"Authorization": f"Bearer {viewer_token}"}
    unit = people[1]["unit"]
    r = client.get("/api/v1/attendance", query_string={"date": day, "unit": unit}, headers=auth)
    assert {row["unit"] for row in r.get_json()["employees"]} == {unit}
    r = client.get(f"/api/v1/attendance?date={day}&format=csv", headers=auth)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    by_nip = {row["nip"].removeprefix("'"): row for row in rows}  # NIP kept as text
    assert by_nip[people[1]["nip"]]["late_minutes"] == "15"
    assert "[out-of-bounds]" in by_nip[people[2]["nip"]]["records"]
    assert by_nip[people[9]["nip"]]["records"].endswith(":in(manual)")
    assert "(" not in by_nip[people[0]["nip"]]["records"]


def test_nodes_overview(client: FlaskClient, viewer_token: str, day: str) -> None:
    r = client.get("/api/v1/nodes", headers={"Authorization": f"Bearer {viewer_token}"})
    (node,) = r.get_json()["nodes"]
    assert node["node"] == "kec-alalak" and node["status"] == "active"
    assert node["head_seq"] == 6 and node["records"] == 7
    assert node["clock_offset_ms"] == 0 and node["last_sync"].startswith("2026-10-02T16:05")
    assert any(a["kind"] == "time-out-of-bounds" for a in node["alerts"])


@pytest.mark.parametrize("path", ["/api/v1/nodes", "/api/v1/attendance?date=2026-10-02"])
def test_views_need_a_token(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 401
    r = client.get(path, headers={"Authorization": "Bearer pct_nope"})
    assert r.status_code == 401 and r.get_json()["error"] == "unauthorized"


def test_viewer_cannot_add_nodes_but_admin_can(
    client: FlaskClient, viewer_token: str, admin_token: str
) -> None:
    r = client.post(
        "/api/v1/nodes",
        json={"name": "kec-cerbon"},
        headers={"Authorization": f"Bearer {viewer_token}"},
    )
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden-role"
    r = client.post(
        "/api/v1/nodes",
        json={"name": "kec-cerbon"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert r.status_code == 201 and r.get_json()["token"].startswith("kec-cerbon.")


def test_dashboard_sign_in_and_page(
    client: FlaskClient, store: SqliteStore, clock: Clock, day: str
) -> None:
    r = client.get("/dashboard")
    assert r.status_code == 401 and "Nama akun" in r.get_data(as_text=True)
    make_official(store, "budi", "viewer", clock.now)
    r = sign_in(client, "budi")
    assert r.status_code == 303 and r.headers["Location"].endswith("/dashboard")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = client.get(f"/dashboard?date={day}").get_data(as_text=True)
    assert "kec-alalak" in page and "Ringkasan kehadiran" in page and "aktif" in page
    assert "http://" not in page and "https://" not in page  # no external assets
    # The manual entry of the day is listed for audit: who vouched and why.
    assert "daftar manual kepala unit" in page and "HP rusak, hadir apel" in page
    post_form(client, "/dashboard/keluar", {})
    assert client.get("/dashboard").status_code == 401


def test_dashboard_refuses_an_api_token(client: FlaskClient, viewer_token: str) -> None:
    """The API token is no dashboard sign-in any more (neither in the URL nor the form)."""
    r = client.get(f"/dashboard?token={viewer_token}")
    assert r.status_code == 401
    assert "presensi_central_session" not in r.headers.get("Set-Cookie", "")
    r = sign_in(client, "viewer", viewer_token)
    assert r.status_code == 401 and "kata sandi salah" in r.get_data(as_text=True)
