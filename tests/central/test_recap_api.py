"""The recap's HTTP API: roles, bad input (400 with a message, nothing stored), and the CSV
and XLSX holding exactly the JSON's numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from central.auth import create_api_token
from central.identity import load_identity
from central.recap_export import HEADER
from central.roster import import_roster
from central.rules import import_rules
from central.store.sqlite import SqliteStore
from sync.demo_roster import make_roster, roster_csv

from .conftest import Clock, FakeNode
from .officials import make_official
from .recap_support import EXAMPLE, at

GOOD_EXCEPTION = {
    "nip": "",
    "kind": "cuti",
    "from": "2026-10-05",
    "to": "2026-10-06",
    "reason": "cuti tahunan",
    "by": "Operator",
}


@pytest.fixture
def month(
    client: FlaskClient,
    store: SqliteStore,
    central_paths: Any,
    tmp_path: Path,
    clock: Clock,
    node: FakeNode,
) -> list[dict[str, str]]:
    people = make_roster(12)
    people[3]["name"] = '=HYPERLINK("http://x")'  # a hostile roster cell
    import_roster(
        store,
        load_identity(central_paths, store),
        roster_csv(people),
        slips=tmp_path / "slips.csv",
        now=clock.now,
    )
    import_rules(store, EXAMPLE, by="Kabid", now=clock.now)
    for i, person in enumerate(people):
        for day in (1, 2, 5, 6, 7):
            node.checkin(person["nip"], "in", ts=at(day, f"07:{20 + 7 * i % 40:02d}"))
            if (day + i) % 3:
                node.checkin(person["nip"], "out", ts=at(day, f"15:{10 + 4 * i:02d}"))
    clock.now = at(31, "23:00")
    assert node.push(client).status_code == 200
    return people


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_recap_roles(client: FlaskClient, month: Any, viewer_token: str, admin_token: str) -> None:
    assert client.get("/api/v1/recap?month=2026-10").status_code == 401
    assert client.get("/api/v1/recap?month=2026-10", headers=auth(viewer_token)).status_code == 200
    assert client.get("/api/v1/discipline?year=2026", headers=auth(viewer_token)).status_code == 200
    body = dict(GOOD_EXCEPTION, nip=month[0]["nip"])
    r = client.post("/api/v1/exceptions", json=body, headers=auth(viewer_token))
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden-role"


def test_exception_flow_over_http(
    client: FlaskClient,
    month: list[dict[str, str]],
    store: SqliteStore,
    clock: Clock,
    viewer_token: str,
) -> None:
    make_official(store, "operator", "admin", clock.now)
    make_official(store, "kabid", "admin", clock.now)
    operator = create_api_token(store, "admin", now=clock.now, account="operator")
    kabid = create_api_token(store, "admin", now=clock.now, account="kabid")
    nip = month[0]["nip"]
    # The acting official is the token's account: a "by" naming someone else changes nothing.
    r = client.post(
        "/api/v1/exceptions", json=dict(GOOD_EXCEPTION, nip=nip, by="Kabid"), headers=auth(operator)
    )
    assert r.status_code == 201, r.get_json()
    new = r.get_json()["id"]
    assert r.get_json()["history"][0]["by"] == "operator"
    viewer = client.post(f"/api/v1/exceptions/{new}/approve", json={}, headers=auth(viewer_token))
    assert viewer.status_code == 403 and viewer.get_json()["error"] == "forbidden-role"
    same = client.post(
        f"/api/v1/exceptions/{new}/approve", json={"by": "kabid"}, headers=auth(operator)
    )
    assert same.status_code == 403 and same.get_json()["error"] == "same-official"
    ok = client.post(
        f"/api/v1/exceptions/{new}/approve", json={"reason": "surat cuti ada"}, headers=auth(kabid)
    )
    assert ok.status_code == 200
    assert [(h["action"], h["by"]) for h in ok.get_json()["history"]] == [
        ("add", "operator"),
        ("approve", "kabid"),
    ]
    again = client.post(f"/api/v1/exceptions/{new}/reject", json={}, headers=auth(kabid))
    assert again.status_code == 409
    r = client.get(f"/api/v1/recap?month=2026-10&nip={nip}", headers=auth(viewer_token))
    (emp,) = r.get_json()["employees"]
    assert emp["exception_days"] == {"cuti": 2}
    inc = client.post(
        "/api/v1/incidents",
        headers=auth(operator),
        json={
            "from": "2026-10-07T07:00:00+08:00",
            "to": "2026-10-07T10:00:00+08:00",
            "reason": "server pusat mati",
        },
    )
    assert inc.status_code == 201
    done = client.post(
        f"/api/v1/incidents/{inc.get_json()['id']}/approve", json={}, headers=auth(kabid)
    )
    assert done.status_code == 200 and done.get_json()["state"] == "approved"
    day7 = {
        d["date"]: d
        for d in client.get(
            f"/api/v1/recap?month=2026-10&nip={nip}", headers=auth(viewer_token)
        ).get_json()["employees"][0]["days"]
    }["2026-10-07"]
    assert day7["incident"]["reason"] == "server pusat mati"
    entries, _ = store.audit_page(0, 50)
    assert [
        (e.actor, e.action, e.target, e.reason)
        for e in reversed(entries)
        if e.action.startswith(("exception", "incident"))
    ] == [
        ("operator", "exception-add", f"exception {new}", "cuti tahunan"),
        ("kabid", "exception-approve", f"exception {new}", "surat cuti ada"),
        ("operator", "incident-add", f"incident {inc.get_json()['id']}", "server pusat mati"),
        (
            "kabid",
            "incident-approve",
            f"incident {inc.get_json()['id']}",
            "(tanpa alasan tertulis)",
        ),
    ]


def test_a_shared_machine_token_cannot_approve_its_own_proposal(
    client: FlaskClient, month: list[dict[str, str]], admin_token: str
) -> None:
    r = client.post(
        "/api/v1/exceptions",
        json=dict(GOOD_EXCEPTION, nip=month[0]["nip"]),
        headers=auth(admin_token),
    )
    new = r.get_json()["id"]
    for by in ("Kabid", "Sekda"):  # naming another official in the body does not help
        same = client.post(
            f"/api/v1/exceptions/{new}/approve", json={"by": by}, headers=auth(admin_token)
        )
        assert same.status_code == 403 and same.get_json()["error"] == "same-official"


def test_a_unit_limited_admin_acts_only_for_its_unit(
    client: FlaskClient,
    month: list[dict[str, str]],
    store: SqliteStore,
    clock: Clock,
    admin_token: str,
) -> None:
    mine, other = month[0], next(p for p in month if p["unit"] != month[0]["unit"])
    make_official(store, "kasi", "admin", clock.now, units=[mine["unit"]])
    kasi = create_api_token(store, "admin", now=clock.now, account="kasi")
    r = client.post(
        "/api/v1/exceptions", json=dict(GOOD_EXCEPTION, nip=other["nip"]), headers=auth(kasi)
    )
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden-unit"
    theirs = client.post(
        "/api/v1/exceptions", json=dict(GOOD_EXCEPTION, nip=other["nip"]), headers=auth(admin_token)
    ).get_json()["id"]
    r = client.post(f"/api/v1/exceptions/{theirs}/approve", json={}, headers=auth(kasi))
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden-unit"
    recap = client.get("/api/v1/recap?month=2026-10", headers=auth(kasi)).get_json()
    assert {e["unit"] for e in recap["employees"]} == {mine["unit"]}
    r = client.get(f"/api/v1/recap?month=2026-10&unit={other['unit']}", headers=auth(kasi))
    assert r.status_code == 403


def test_month_close_and_reopen_are_audited(
    client: FlaskClient, month: Any, store: SqliteStore, admin_token: str
) -> None:
    r = client.post("/api/v1/months/2026-10/close", json={}, headers=auth(admin_token))
    assert r.status_code == 201 and r.get_json()["closed_by"] == "mesin-api"
    r = client.post(
        "/api/v1/months/2026-10/reopen", json={"reason": "koreksi cuti"}, headers=auth(admin_token)
    )
    assert r.status_code == 200
    entries, _ = store.audit_page(0, 10)
    assert [(e.actor, e.action, e.target, e.reason) for e in reversed(entries)][-2:] == [
        ("mesin-api", "month-close", "month 2026-10", "bulan 2026-10 ditutup"),
        ("mesin-api", "month-reopen", "month 2026-10", "koreksi cuti"),
    ]
    assert r.get_json() == {"month": "2026-10", "state": "open"}


@pytest.mark.parametrize(
    "query,code",
    [
        ("", "bad-month"),
        ("month=2026-13", "bad-month"),
        ("month=26-10", "bad-month"),
        ("month=2026-1x", "bad-month"),
        ("month=1999-12", "bad-month"),
        ("month=2026-10&format=pdf", "bad-format"),
        ("month=2026-10&unit=" + "x" * 121, "bad-unit"),
    ],
)
def test_bad_recap_queries(
    client: FlaskClient, month: Any, viewer_token: str, query: str, code: str
) -> None:
    r = client.get(f"/api/v1/recap?{query}", headers=auth(viewer_token))
    assert r.status_code == 400 and r.get_json()["error"] == code and r.get_json()["message"]


@pytest.mark.parametrize("query", ["", "year=26", "year=abcd", "year=1999"])
def test_bad_discipline_queries(client: FlaskClient, viewer_token: str, query: str) -> None:
    r = client.get(f"/api/v1/discipline?{query}", headers=auth(viewer_token))
    assert r.status_code == 400 and r.get_json()["error"] == "bad-year"


@pytest.mark.parametrize(
    "change,code",
    [
        ({"nip": "123"}, "bad-nip"),
        ({"nip": None}, "bad-nip"),
        ({"kind": "libur-panjang"}, "bad-kind"),
        ({"kind": 3}, "bad-kind"),
        ({"from": "2026-02-30"}, "bad-date"),
        ({"to": "05-10-2026"}, "bad-date"),
        ({"from": "2026-10-07", "to": "2026-10-06"}, "bad-date"),
        ({"from": "2026-01-01", "to": "2027-06-01"}, "bad-date"),
        ({"part": "siang"}, "bad-part"),
        ({"reason": ""}, "bad-reason"),
        ({"reason": "x" * 501}, "bad-reason"),
        ({"reason": "cuti\x00"}, "bad-reason"),
    ],
)
def test_bad_exceptions_store_nothing(
    client: FlaskClient,
    month: list[dict[str, str]],
    admin_token: str,
    store: SqliteStore,
    change: dict[str, Any],
    code: str,
) -> None:
    body = dict(GOOD_EXCEPTION, nip=month[0]["nip"]) | change
    r = client.post("/api/v1/exceptions", json=body, headers=auth(admin_token))
    assert r.status_code == 400 and r.get_json()["error"] == code, r.get_json()
    assert r.get_json()["message"]
    assert store.exceptions_between("2000-01-01", "2100-01-01") == []


@pytest.mark.parametrize(
    "body,code",
    [
        ({"from": "kemarin", "to": "2026-10-07T10:00:00+08:00"}, "bad-ts"),
        ({"from": "2026-10-07T07:00:00", "to": "2026-10-07T10:00:00+08:00"}, "bad-ts"),
        ({"from": "2026-10-07T10:00:00+08:00", "to": "2026-10-07T07:00:00+08:00"}, "bad-ts"),
        ({"unit": "A", "node": "kec-alalak"}, "bad-scope"),
        ({"node": "Kec Alalak!"}, "bad-node"),
        ({"unit": ""}, "bad-unit"),
        ({"reason": None}, "bad-reason"),
    ],
)
def test_bad_incidents(
    client: FlaskClient, admin_token: str, store: SqliteStore, body: dict[str, Any], code: str
) -> None:
    good = {
        "from": "2026-10-07T07:00:00+08:00",
        "to": "2026-10-07T10:00:00+08:00",
        "reason": "server mati",
        "by": "Operator",
    }
    r = client.post("/api/v1/incidents", json=good | body, headers=auth(admin_token))
    assert r.status_code == 400 and r.get_json()["error"] == code, r.get_json()
    assert store.incidents_between("0", "9") == []


@pytest.mark.parametrize(
    "path,body,status",
    [
        ("/api/v1/exceptions/abc/approve", {"by": "B"}, 400),
        ("/api/v1/exceptions/0/approve", {"by": "B"}, 400),
        ("/api/v1/exceptions/99/approve", {"by": "B"}, 404),
        ("/api/v1/exceptions/99/approve", {"reason": "x"}, 400),
        ("/api/v1/incidents/99/reject", {"by": "B"}, 404),
        ("/api/v1/exceptions/1/cancel", {"by": "B"}, 404),
        ("/api/v1/months/2026-13/close", {"by": "B"}, 400),
        ("/api/v1/months/2026-10/reopen", {"by": "B", "reason": "salah"}, 409),
    ],
)
def test_bad_decisions(
    client: FlaskClient, admin_token: str, month: Any, path: str, body: dict[str, Any], status: int
) -> None:
    r = client.post(path, json=body, headers=auth(admin_token))
    assert r.status_code == status and r.get_json()["message"], r.get_json()


def test_no_rules_is_a_clear_409(client: FlaskClient, viewer_token: str) -> None:
    r = client.get("/api/v1/recap?month=2026-10", headers=auth(viewer_token))
    assert r.status_code == 409 and r.get_json()["error"] == "no-rules"


def _as_json_numbers(emp: dict[str, Any]) -> list[Any]:
    return [
        emp["nip"],
        emp["name"],
        emp["unit"],
        emp["working_days"],
        emp["present_days"],
        emp["absent_days"],
        " ".join(f"{k}:{v}" for k, v in sorted(emp["exception_days"].items())),
        *emp["late"].values(),
        *emp["early"].values(),
        emp["late_minutes"],
        emp["early_minutes"],
        emp["deduction"],
        emp["attendance_percent"],
        emp["rule"],
    ]


def test_csv_and_xlsx_hold_the_json_numbers(
    client: FlaskClient, month: list[dict[str, str]], viewer_token: str
) -> None:
    data = client.get("/api/v1/recap?month=2026-10", headers=auth(viewer_token)).get_json()
    expected = {e["nip"]: _as_json_numbers(e) for e in data["employees"]}
    assert len(expected) == 12 and any(e["deduction"] != "0.00" for e in data["employees"])
    r = client.get("/api/v1/recap?month=2026-10&format=csv", headers=auth(viewer_token))
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0] == HEADER
    for row in rows[1:]:
        assert row[0].startswith("'")  # the NIP stays text
        values = [v[1:] if v.startswith("'") else v for v in row]
        assert values == [str(v) for v in expected[values[0]]]
    hostile = next(row for row in rows if row[1].startswith("'="))
    assert hostile[1] == '\'=HYPERLINK("http://x")'
    r = client.get("/api/v1/recap?month=2026-10&format=xlsx", headers=auth(viewer_token))
    assert r.headers["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(r.data))
    assert book.sheetnames[0] == "Ringkasan"
    units = {e["unit"] for e in data["employees"]}
    assert len(book.sheetnames) == 1 + len(units)
    seen = 0
    for sheet in book.worksheets[1:]:
        assert sheet.freeze_panes == "A3"
        title = sheet.cell(1, 1).value
        assert isinstance(title, str) and "2026-10" in title and "contoh-perbup-2026" in title
        assert [c.value for c in sheet[2]] == [
            c
            for c in (
                "NIP",
                "Nama",
                "Unit kerja",
                "Hari kerja",
                "Hadir",
                "TK",
                "Pengecualian",
                "TL1",
                "TL2",
                "TL3",
                "TL4",
                "PSW1",
                "PSW2",
                "PSW3",
                "PSW4",
                "Menit terlambat",
                "Menit pulang cepat",
                "Potongan (%)",
                "TPP presensi (%)",
                "Aturan",
            )
        ]
        for cells in sheet.iter_rows(min_row=3, values_only=True):
            want = expected[cells[0]]
            assert isinstance(cells[0], str) and len(cells[0]) == 18
            assert isinstance(cells[2], str) and cells[2] in title
            got = list(cells)
            got[17] = str(Decimal(str(got[17])).quantize(Decimal("0.01")))
            got[18] = str(Decimal(str(got[18])).quantize(Decimal("0.01")))
            got[6] = got[6] or ""
            assert got == want
            seen += 1
    assert seen == 12
    assert sheet.cell(3, 2).data_type == "s"
    summary = [r for r in book["Ringkasan"].iter_rows(min_row=3, values_only=True)]
    counts = [r[1] for r in summary if isinstance(r[1], int)]
    assert len(counts) == len(summary) and sum(counts) == 12


@pytest.mark.parametrize("month", ["2026-13", "x" * 300, "2026-1"])
def test_reopen_of_a_bad_month_is_a_400_not_a_500(
    client: FlaskClient, admin_token: str, month: str
) -> None:
    # Found by the schemathesis fuzz: a 300-character month reached the audit entry's
    # length check (a ValueError, 500) before the month was validated.
    r = client.post(
        f"/api/v1/months/{month}/reopen", json={"reason": "salah tutup"}, headers=auth(admin_token)
    )
    assert r.status_code == 400, r.get_data(as_text=True)
