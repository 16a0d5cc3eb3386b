"""The officials' month pages (issue 16 item 2): the month per unit and for the regency, one
employee's month day by day with each record and why each day costs what it costs, the
exception and incident pages (propose, a second official decides, history), the download
buttons, and the unit limits of the signed-in account. Flask test clients, real stores."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from central import create_app, month_pages
from central.auth import create_api_token
from central.database import record_database
from central.datadir import CentralPaths
from central.identity import init_central
from central.store.protocol import CentralStore
from central.store.sqlite import SqliteStore

from .conftest import BACKENDS, Clock, FakeNode, enroll
from .month_support import MONTH, fill_october
from .officials import csrf_of, make_official, sign_in


@pytest.fixture
def people(
    client: FlaskClient,
    store: SqliteStore,
    central_paths: CentralPaths,
    tmp_path: Path,
    clock: Clock,
    node: FakeNode,
) -> list[dict[str, str]]:
    """A fresh October for a test that changes it (proposals and decisions)."""
    return fill_october(client, store, central_paths, tmp_path, clock, node)


@dataclass
class October:
    """One October per module and backend for the tests that only read it (or check that
    nothing was stored, or only propose); accounts: budi (viewer), operator (approver), kasi
    and kasi-approver (limited to people[0]'s unit), and a viewer API token."""

    app: Flask
    store: CentralStore
    people: list[dict[str, str]]
    token: str
    clients: dict[str, FlaskClient] = field(default_factory=dict)

    def signed_in(self, name: str) -> FlaskClient:
        """A browser signed in as ``name``, once per module: thirty sign-ins from one
        address within 15 minutes would lock the address (the lockout is tested elsewhere)."""
        if name not in self.clients:
            client = self.app.test_client()
            assert sign_in(client, name).status_code == 303
            self.clients[name] = client
        return self.clients[name]


@pytest.fixture(scope="module", params=BACKENDS)
def october(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[October]:
    cluster = name = None
    root = tmp_path_factory.mktemp("october")
    paths = CentralPaths(root / "central")
    if request.param == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        name = cluster.create_database(template=request.getfixturevalue("pg_template"))
        record_database(paths, cluster.url(name))
    init_central(paths)
    clock = Clock()
    app = create_app({"DATA_DIR": str(paths.root), "TESTING": True, "CLOCK": clock})
    store = app.extensions["presensi_central"].store
    client = app.test_client()
    people = fill_october(
        client, store, paths, root, clock, enroll(client, store, clock, "kec-alalak")
    )
    make_official(store, "budi", "viewer", clock.now)
    make_official(store, "operator", "approver", clock.now)
    make_official(store, "kasi", "viewer", clock.now, units=[people[0]["unit"]])
    make_official(store, "kasi-approver", "approver", clock.now, units=[people[0]["unit"]])
    try:
        yield October(app, store, people, create_api_token(store, "viewer", now=clock.now))
    finally:
        app.extensions["presensi_central"].close()
        if cluster is not None and name is not None:
            cluster.drop_database(name)


def _official(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    name: str,
    role: str,
    units: list[str] | None = None,
) -> FlaskClient:
    make_official(store, name, role, clock.now, units=units)
    sign_in(client, name)
    return client


def _fresh(client: FlaskClient) -> FlaskClient:
    return client.application.test_client()


def _api_recap(client: FlaskClient, token: str, **args: str) -> dict[str, Any]:
    r = client.get(
        "/api/v1/recap",
        query_string={"month": MONTH, **args},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def _row(page: str, nip: str) -> str:
    return page.split(f'data-nip="{nip}"')[1].split("</tr>")[0]


def _cell(row: str, cls: str) -> str:
    found = re.search(rf'class="num {cls}">([^<]*)<', row)
    assert found, row
    return found.group(1)


def test_the_month_page_shows_the_engines_figures_per_unit_and_searches(
    october: October, monkeypatch: pytest.MonkeyPatch
) -> None:
    people, viewer_token = october.people, october.token
    client = october.signed_in("budi")
    r = client.get(f"/dashboard/bulan?month={MONTH}")
    assert r.status_code == 200, r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    assert "Oktober 2026" in page and "contoh-perbup-2026" in page
    recap = _api_recap(client, viewer_token)
    assert len(recap["employees"]) == 12
    for emp in recap["employees"]:
        row = _row(page, emp["nip"])
        assert _cell(row, "deduction") == emp["deduction"]
        assert _cell(row, "share") == emp["attendance_percent"]
        assert emp["name"] in row
    # Every unit has its table and a line in the summary, plus the regency's total.
    for unit in {p["unit"] for p in people}:
        assert f">{unit} (" in page
    assert "Seluruh kabupaten</th>" in page
    subject = people[9]
    found = client.get(
        "/dashboard/bulan", query_string={"month": MONTH, "q": subject["name"].split()[0].lower()}
    ).get_data(as_text=True)
    assert f'data-nip="{subject["nip"]}"' in found
    assert all(
        f'data-nip="{p["nip"]}"' not in found
        for p in people
        if subject["name"].split()[0].lower() not in p["name"].lower()
    )
    by_nip = client.get(
        "/dashboard/bulan", query_string={"month": MONTH, "q": subject["nip"][-6:]}
    ).get_data(as_text=True)
    assert by_nip.count("data-nip=") == 1 and subject["nip"] in by_nip
    # A page of the whole regency stops listing employees at ROWS_MAX and says so; the
    # summary still counts everyone.
    monkeypatch.setattr(month_pages, "ROWS_MAX", 5)
    cut = client.get(f"/dashboard/bulan?month={MONTH}").get_data(as_text=True)
    assert cut.count("data-nip=") == 5 and "Menampilkan 5 dari 12 pegawai" in cut
    assert re.search(r"Seluruh kabupaten</th>\s*<th class=\"num\">12<", cut)
    monkeypatch.undo()
    # The month defaults to the current month (WITA) and the navigation links to the pages.
    assert "Oktober 2026" in client.get("/dashboard/bulan").get_data(as_text=True)
    assert 'href="/dashboard/bulan"' in page and 'href="/dashboard/pengecualian"' in page


def test_one_employees_month_day_by_day_with_records_and_reasons(october: October) -> None:
    people, viewer_token = october.people, october.token
    subject, head = people[9], people[0]
    client = october.signed_in("budi")
    r = client.get(f"/dashboard/bulan/pegawai/{subject['nip']}?month={MONTH}")
    assert r.status_code == 200, r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    (emp,) = _api_recap(client, viewer_token, nip=subject["nip"])["employees"]
    assert f'id="deduction">{emp["deduction"].replace(".", ",")}%<' in page

    def day(text: str) -> str:
        return page.split(f'id="day-{text}"')[1].split("</tr>")[0]

    first = day("2026-10-01")
    assert "07:45:10" in first and "15:20:00" in first and "kec-alalak" in first
    assert "HP sendiri" in first
    assert "terlambat 15 menit dari jam masuk 07:30: TL1, 0,50%" in first
    assert "40 menit sebelum jam pulang 16:00: PSW2, 1,00%" in first
    assert "Potongan hari ini: 1,50%" in first
    assert "tepat waktu" in day("2026-10-02") and "Potongan hari ini: 0,00%" in day("2026-10-02")
    fifth = day("2026-10-05")
    assert "daftar manual kepala unit" in fifth and head["name"] in fifth and head["nip"] in fifth
    assert "HP rusak, hadir apel" in fifth and "TL1, 0,50%" in fifth, fifth
    absent = day("2026-10-06")
    assert "TK (tanpa keterangan)" in absent and "Potongan hari ini: 3,00%" in absent
    assert 'id="day-2026-10-03"' not in page  # a Saturday without records: not listed


def test_a_unit_limited_viewer_sees_only_its_unit_on_pages_downloads_and_api(
    october: October,
) -> None:
    people, store = october.people, october.store
    mine, other = people[0]["unit"], people[1]["unit"]
    client = october.signed_in("kasi")
    page = client.get(f"/dashboard/bulan?month={MONTH}").get_data(as_text=True)
    ours = [p for p in people if p["unit"] == mine]
    assert page.count("data-nip=") == len(ours) == 2
    assert all(p["nip"] in page for p in ours) and other not in page
    for path in (
        f"/dashboard/bulan?month={MONTH}&unit={other}",
        f"/dashboard/bulan/unduh?month={MONTH}&unit={other}&format=csv",
        f"/dashboard/hari/unduh?date=2026-10-01&unit={other}",
        f"/dashboard/bulan/pegawai/{people[1]['nip']}?month={MONTH}",
    ):
        r = client.get(path)
        assert r.status_code == 403, path
        body = r.get_data(as_text=True)
        assert r.mimetype == "text/html" and 'data-code="forbidden-unit"' in body
        assert "unit kerja" in body and people[1]["name"] not in body
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/dashboard/bulan/unduh?month={MONTH}&format=csv").get_data(
                    as_text=True
                )
            )
        )
    )
    assert sorted(r["nip"].lstrip("'") for r in rows) == sorted(p["nip"] for p in ours)
    day = list(
        csv.DictReader(
            io.StringIO(
                client.get("/dashboard/hari/unduh?date=2026-10-01&format=csv").get_data(
                    as_text=True
                )
            )
        )
    )
    assert sorted(r["nip"].lstrip("'") for r in day) == sorted(p["nip"] for p in ours)
    # The same account's API token: the same limit.
    token = create_api_token(store, "viewer", now=time.time(), account="kasi")
    recap = _api_recap(client, token)
    assert {e["unit"] for e in recap["employees"]} == {mine}
    r = client.get(
        "/api/v1/recap",
        query_string={"month": MONTH, "unit": other},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden-unit"


def test_an_exception_proposed_on_the_page_needs_a_second_official(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    viewer_token: str,
    people: list[dict[str, str]],
) -> None:
    subject = people[9]
    first = _official(client, store, clock, "operator", "approver")
    before = _api_recap(client, viewer_token, nip=subject["nip"])["employees"][0]
    r = first.post(
        "/dashboard/pengecualian",
        data={
            "nip": subject["nip"],
            "kind": "sakit",
            "from": "2026-10-06",
            "to": "2026-10-07",
            "part": "day",
            "reason": "sakit, surat dokter",
            "doc_no": "SKD/12/X/2026",
            "csrf": csrf_of(first, "/dashboard/pengecualian"),
        },
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("ok=usul")
    (row,) = store.exceptions_between("2026-10-01", "2026-10-31")
    queue = first.get("/dashboard/pengecualian").get_data(as_text=True)
    assert "Usulan Anda sendiri" in queue and f'id="approve-{row["id"]}"' not in queue
    assert "SKD/12/X/2026" in queue and subject["name"] in queue
    # The proposer posting the approval anyway: refused, in Indonesian, nothing changes.
    r = first.post(
        f"/dashboard/pengecualian/{row['id']}/setujui",
        data={"csrf": csrf_of(first, "/dashboard/pengecualian")},
    )
    assert r.status_code == 403 and "Anda sendiri yang mengusulkan" in r.get_data(as_text=True)
    assert [e["action"] for e in store.overlay_events("exception")] == ["add"]

    second = _fresh(client)
    make_official(store, "kabid", "approver", clock.now)
    sign_in(second, "kabid")
    queue = second.get("/dashboard/pengecualian").get_data(as_text=True)
    assert f'id="approve-{row["id"]}"' in queue
    r = second.post(
        f"/dashboard/pengecualian/{row['id']}/setujui",
        data={"reason": "surat dokter ada", "csrf": csrf_of(second, "/dashboard/pengecualian")},
    )
    assert r.status_code == 303
    history = second.get("/dashboard/pengecualian").get_data(as_text=True)
    assert 'class="state-approved">disetujui' in history and "surat dokter ada" in history
    after = _api_recap(client, viewer_token, nip=subject["nip"])["employees"][0]
    assert after["exception_days"] == {"sakit": 2}
    assert Decimal(after["deduction"]) == Decimal(before["deduction"]) - Decimal("6.00")
    month_page = second.get(f"/dashboard/bulan?month={MONTH}").get_data(as_text=True)
    assert _cell(_row(month_page, subject["nip"]), "deduction") == after["deduction"]
    day = (
        second.get(f"/dashboard/bulan/pegawai/{subject['nip']}?month={MONTH}")
        .get_data(as_text=True)
        .split('id="day-2026-10-06"')[1]
        .split("</tr>")[0]
    )
    assert "Pengecualian sakit sehari penuh" in day and "SKD/12/X/2026" in day
    listed = (
        second.get(f"/dashboard/bulan/pegawai/{subject['nip']}?month={MONTH}")
        .get_data(as_text=True)
        .split('id="exceptions"')[1]
        .split("</table>")[0]
    )
    assert "disetujui" in listed and "SKD/12/X/2026" in listed and "kabid" in listed
    entries, _ = store.audit_page(0, 50)
    assert [
        (e.actor, e.action, e.reason) for e in reversed(entries) if e.action.startswith("exception")
    ] == [
        ("operator", "exception-add", "sakit, surat dokter"),
        ("kabid", "exception-approve", "surat dokter ada"),
    ]


def test_incidents_on_the_page_and_a_viewer_only_reads(
    client: FlaskClient, store: SqliteStore, clock: Clock, people: list[dict[str, str]]
) -> None:
    viewer = _official(client, store, clock, "budi", "viewer")
    page = viewer.get("/dashboard/pengecualian").get_data(as_text=True)
    assert 'id="read-only"' in page and 'id="propose"' not in page
    r = viewer.post(
        "/dashboard/pengecualian",
        data={
            "nip": people[0]["nip"],
            "kind": "cuti",
            "from": "2026-10-06",
            "reason": "cuti",
            "csrf": csrf_of(viewer, "/dashboard/pengecualian"),
        },
    )
    assert r.status_code == 403 and "peran akun Anda" in r.get_data(as_text=True)
    assert store.exceptions_between("0000-01-01", "9999-12-31") == []

    admin = _fresh(client)
    make_official(store, "admin1", "admin", clock.now)
    sign_in(admin, "admin1")
    r = admin.post(
        "/dashboard/gangguan",
        data={
            "from": "2026-10-06T07:00",
            "to": "2026-10-06T09:00",
            "unit": people[9]["unit"],
            "reason": "listrik padam",
            "csrf": csrf_of(admin, "/dashboard/gangguan"),
        },
    )
    assert r.status_code == 303
    (inc,) = store.incidents_between("0", "9")
    assert inc["ts_from"] == "2026-10-05T23:00:00.000Z"  # 07:00 WITA
    approver = _fresh(client)
    make_official(store, "kabid", "approver", clock.now)
    sign_in(approver, "kabid")
    r = approver.post(
        f"/dashboard/gangguan/{inc['id']}/tolak",
        data={"reason": "", "csrf": csrf_of(approver, "/dashboard/gangguan")},
    )
    assert r.status_code == 400 and "alasan penolakan wajib diisi" in r.get_data(as_text=True)
    r = approver.post(
        f"/dashboard/gangguan/{inc['id']}/tolak",
        data={
            "reason": "listrik menyala, genset ada",
            "csrf": csrf_of(approver, "/dashboard/gangguan"),
        },
    )
    assert r.status_code == 303
    page = viewer.get("/dashboard/gangguan").get_data(as_text=True)
    assert "ditolak" in page and "listrik menyala, genset ada" in page
    assert "6 Okt 2026 07.00 WITA" in page
    # The employee's month lists the incident of their unit with its outcome.
    listed = (
        viewer.get(f"/dashboard/bulan/pegawai/{people[9]['nip']}?month={MONTH}")
        .get_data(as_text=True)
        .split('id="incidents"')[1]
        .split("</table>")[0]
    )
    assert "listrik padam" in listed and "ditolak" in listed


def test_a_unit_limited_approver_decides_and_proposes_only_for_its_unit(october: October) -> None:
    people, store = october.people, october.store
    outsider = next(p for p in people if p["unit"] != people[0]["unit"])
    operator = october.signed_in("operator")
    r = operator.post(
        "/dashboard/pengecualian",
        data={**GOOD, "nip": outsider["nip"], "csrf": csrf_of(operator, "/dashboard/bulan")},
    )
    assert r.status_code == 303
    new = store.exceptions_between("0000-01-01", "9999-12-31")[-1]["id"]
    limited = october.signed_in("kasi-approver")
    page = limited.get("/dashboard/pengecualian").get_data(as_text=True)
    assert f'id="exception-{new}"' not in page and outsider["name"] not in page
    events = store.overlay_events("exception")
    r = limited.post(
        f"/dashboard/pengecualian/{new}/setujui",
        data={"csrf": csrf_of(limited, "/dashboard/bulan")},
    )
    assert r.status_code == 403 and "di luar unit kerja" in r.get_data(as_text=True)
    r = limited.post(
        "/dashboard/pengecualian",
        data={**GOOD, "nip": outsider["nip"], "csrf": csrf_of(limited, "/dashboard/bulan")},
    )
    assert r.status_code == 403 and "di luar unit kerja" in r.get_data(as_text=True)
    r = limited.post("/dashboard/pengecualian", data={**GOOD, "nip": outsider["nip"]})
    assert r.status_code == 403  # no CSRF token: refused
    assert store.overlay_events("exception") == events


GOOD = {
    "nip": "",
    "kind": "cuti",
    "from": "2026-10-06",
    "to": "2026-10-07",
    "part": "day",
    "reason": "cuti tahunan",
    "doc_no": "",
}


@pytest.mark.parametrize(
    ("path", "form", "status", "text"),
    [
        ("/dashboard/bulan?month=2026-13", None, 400, "bulan itu tidak ada"),
        ("/dashboard/bulan?month=oktober", None, 400, "bulan harus berbentuk TTTT-BB"),
        ("/dashboard/bulan?month=2026-1", None, 400, "bulan harus berbentuk TTTT-BB"),
        ("/dashboard/bulan?month=1999-12", None, 400, "bulan itu tidak ada"),
        ("/dashboard/bulan/unduh?month=2026-10&format=pdf", None, 400, "format unduhan"),
        (
            "/dashboard/bulan?month=2026-10&unit=Dinas+Rahasia",
            None,
            404,
            "unit kerja tidak dikenal",
        ),
        ("/dashboard/bulan?month=2026-10&q=" + "x" * 61, None, 400, "kata pencarian"),
        ("/dashboard/bulan/pegawai/12345?month=2026-10", None, 400, "NIP harus 18 angka"),
        (
            "/dashboard/bulan/pegawai/199001012020011999?month=2026-10",
            None,
            404,
            "tidak ada di roster",
        ),
        ("/dashboard/hari/unduh?date=2026-02-30", None, 400, "tanggal"),
        ("/dashboard/pengecualian", {"from": "2026-10-32"}, 400, "tanggal tidak sah"),
        (
            "/dashboard/pengecualian",
            {"from": "2026-10-08", "to": "2026-10-01"},
            400,
            "tanggal tidak sah",
        ),
        ("/dashboard/pengecualian", {"reason": ""}, 400, "alasan wajib diisi"),
        ("/dashboard/pengecualian", {"reason": "   "}, 400, "alasan wajib diisi"),
        ("/dashboard/pengecualian", {"kind": "liburan"}, 400, "pilih jenis pengecualian"),
        ("/dashboard/pengecualian", {"part": "siang"}, 400, "bagian harus"),
        ("/dashboard/pengecualian", {"nip": "123"}, 400, "NIP harus 18 angka"),
        ("/dashboard/pengecualian", {"nip": "199001012020011999"}, 404, "tidak ada di roster"),
        ("/dashboard/pengecualian", {"doc_no": "x" * 81}, 400, "nomor surat"),
        (
            "/dashboard/gangguan",
            {"from": "kemarin", "to": "2026-10-06T09:00"},
            400,
            "waktu tidak sah",
        ),
        (
            "/dashboard/gangguan",
            {"from": "2026-10-06T09:00", "to": "2026-10-06T07:00"},
            400,
            "waktu tidak sah",
        ),
        ("/dashboard/gangguan", {"unit": "Dinas Rahasia"}, 404, "unit kerja tidak dikenal"),
        ("/dashboard/gangguan", {"reason": ""}, 400, "alasan wajib diisi"),
        ("self-approval", None, 403, "Anda sendiri yang mengusulkan"),
        ("/dashboard/pengecualian/999/setujui", {}, 404, "usulan itu tidak ada"),
    ],
)
def test_bad_input_is_a_clear_4xx_in_indonesian_and_nothing_is_stored(
    october: October, path: str, form: dict[str, str] | None, status: int, text: str
) -> None:
    people, store = october.people, october.store
    official = october.signed_in("operator")
    if path == "self-approval":
        r = official.post(
            "/dashboard/pengecualian",
            data={**GOOD, "nip": people[0]["nip"], "csrf": csrf_of(official, "/dashboard/bulan")},
        )
        assert r.status_code == 303
        existing = store.exceptions_between("0000-01-01", "9999-12-31")[-1]["id"]
        path, form = f"/dashboard/pengecualian/{existing}/setujui", {}
    exceptions = store.exceptions_between("0000-01-01", "9999-12-31")
    incidents = store.incidents_between("0", "9")
    events = store.overlay_events("exception") + store.overlay_events("incident")
    audit = store.audit_page(0, 1000)[1]
    if form is None:
        r = official.get(path)
    else:
        base = (
            GOOD
            if "pengecualian" in path
            else {
                "from": "2026-10-06T07:00",
                "to": "2026-10-06T09:00",
                "unit": people[0]["unit"],
                "reason": "server mati",
            }
        )
        data = (
            {**base, "nip": people[0]["nip"], **form}
            if path.endswith("pengecualian")
            else {**base, **form}
        )
        r = official.post(path, data={**data, "csrf": csrf_of(official, "/dashboard/bulan")})
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "text/html"
    assert text in r.get_data(as_text=True)
    assert store.exceptions_between("0000-01-01", "9999-12-31") == exceptions
    assert store.incidents_between("0", "9") == incidents
    assert store.overlay_events("exception") + store.overlay_events("incident") == events
    assert store.audit_page(0, 1000)[1] == audit


def test_the_download_buttons_hold_the_json_numbers(october: October) -> None:
    viewer_token = october.token
    anonymous = october.app.test_client()
    r = anonymous.get(f"/dashboard/bulan/unduh?month={MONTH}&format=xlsx")
    assert r.status_code == 401 and "masuk" in r.get_data(as_text=True)
    client = october.signed_in("budi")
    page = client.get(f"/dashboard/bulan?month={MONTH}").get_data(as_text=True)
    href = re.search(r'id="xlsx" href="([^"]+)"', page)
    assert href
    r = client.get(href.group(1).replace("&amp;", "&"))
    assert r.status_code == 200 and str(r.mimetype).endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(r.data))
    recap = _api_recap(client, viewer_token)
    seen: dict[str, list[Any]] = {}
    for sheet in book.worksheets[1:]:
        rows = list(sheet.iter_rows(values_only=True))
        header = list(rows[1])
        for row in rows[2:]:
            seen[str(row[0])] = [
                row[header.index(h)]
                for h in ("TL1", "TL4", "PSW2", "TK", "Potongan (%)", "TPP presensi (%)")
            ]
    assert seen == {
        e["nip"]: [
            e["late"]["TL1"],
            e["late"]["TL4"],
            e["early"]["PSW2"],
            e["absent_days"],
            float(e["deduction"]),
            float(e["attendance_percent"]),
        ]
        for e in recap["employees"]
    }
    csv_href = re.search(r'id="csv" href="([^"]+)"', page)
    assert csv_href
    lines = list(
        csv.DictReader(
            io.StringIO(client.get(csv_href.group(1).replace("&amp;", "&")).get_data(as_text=True))
        )
    )
    assert {r["nip"].lstrip("'"): r["deduction"] for r in lines} == {
        e["nip"]: e["deduction"] for e in recap["employees"]
    }
    # The day view's buttons: the day's attendance, through the session.
    day = client.get("/dashboard?date=2026-10-01").get_data(as_text=True)
    assert 'id="xlsx"' in day and "Unduh Excel" in day and "Unduh CSV" in day
    r = client.get("/dashboard/hari/unduh?date=2026-10-01&format=xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data)).worksheets[0]
    assert sheet.max_row == 1 + 12


def test_the_api_takes_an_optional_document_number(
    client: FlaskClient, store: SqliteStore, admin_token: str, people: list[dict[str, str]]
) -> None:
    auth = {"Authorization": f"Bearer {admin_token}"}
    body = {
        "nip": people[0]["nip"],
        "kind": "dinas_luar",
        "from": "2026-10-08",
        "to": "2026-10-08",
        "reason": "rapat di Banjarmasin",
    }
    r = client.post("/api/v1/exceptions", json={**body, "doc_no": "x" * 81}, headers=auth)
    assert r.status_code == 400 and r.get_json()["error"] == "bad-doc-no"
    assert store.exceptions_between("0000-01-01", "9999-12-31") == []
    with_doc = client.post(
        "/api/v1/exceptions", json={**body, "doc_no": " ST/090/X/2026 "}, headers=auth
    ).get_json()["id"]
    without = client.post("/api/v1/exceptions", json=body, headers=auth).get_json()["id"]
    assert store.exception_doc_numbers([with_doc, without]) == {with_doc: "ST/090/X/2026"}
