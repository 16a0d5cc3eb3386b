"""The month pages in a real Chromium against a real central (issue 16 items 2 and 5), at
phone (360x740) and desktop (1280x800) sizes: an official opens a month, proposes an
exception, a second official approves it and the month changes; a viewer limited to one unit
cannot see another, on the pages and through the API with its own token. No page scrolls
sideways. Screenshots go to ``$PRESENSI_TEST_OUTPUT/screenshots`` (default
``test-output/screenshots``)."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pypdf import PdfReader

from central import create_app
from central.auth import create_api_token
from testkit.factories import CHROMIUM, CHROMIUM_ARGS, REPO, CentralProcess, run_cli

from .conftest import Clock, enroll
from .month_support import MONTH, fill_october
from .officials import PASSWORD, make_official

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
SHOTS = Path(os.environ.get("PRESENSI_TEST_OUTPUT", REPO / "test-output")) / "screenshots"


@dataclass
class Central:
    server: CentralProcess
    people: list[dict[str, str]]
    kasi_token: str


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/lib/bootstrap.sh)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    """October pushed by a node through the real ingest, three officials, then the real
    server on that data directory."""
    root = tmp_path_factory.mktemp("month-browser")
    data = root / "central"
    run_cli("central", "init", "--data", str(data))
    clock = Clock()
    app = create_app({"DATA_DIR": str(data), "CLOCK": clock})
    store = app.extensions["presensi_central"].store
    try:
        client = app.test_client()
        people = fill_october(
            client,
            store,
            app.extensions["presensi_central"].paths,
            root,
            clock,
            enroll(client, store, clock, "kec-alalak"),
        )
        for name in ("operator", "kabid"):
            make_official(store, name, "approver", time.time())
        make_official(store, "kasi", "viewer", time.time(), units=[people[0]["unit"]])
        token = create_api_token(store, "viewer", now=time.time(), account="kasi")
    finally:
        app.extensions["presensi_central"].close()
    server = CentralProcess(data, workers=1).start()
    yield Central(server, people, token)
    server.stop()


def _fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll}px > {width}px"


def _shot(page: Page, name: str, size: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"central-{name}-{size}.png"), full_page=True)


def _sign_in(browser: Browser, url: str, name: str, size: str) -> Page:
    context = browser.new_context(viewport=VIEWPORTS[size])  # type: ignore[arg-type]
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(url + "/dashboard/masuk")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("#signin-btn").click()
    expect(page.locator("#who")).to_contain_text(name)
    return page


def _deduction(page: Page, nip: str) -> Decimal:
    return Decimal(page.locator(f'tr[data-nip="{nip}"] td.deduction').inner_text())


@pytest.mark.parametrize("size", VIEWPORTS)
def test_propose_approve_and_the_month_changes(
    browser: Browser, central: Central, size: str
) -> None:
    url, width = central.server.url, VIEWPORTS[size]["width"]
    # One subject per size: the phone run and the desktop run each change their own month.
    subject = central.people[9] if size == "phone" else central.people[10]
    operator = _sign_in(browser, url, "operator", size)
    operator.get_by_role("link", name="Bulan", exact=True).click()
    operator.locator("#month-input").fill(MONTH)
    operator.locator("#month-btn").click()
    expect(operator.locator("#month")).to_have_text("Oktober 2026")
    before = _deduction(operator, subject["nip"])
    _fits(operator, width)
    _shot(operator, "month", size)

    operator.locator(f'tr[data-nip="{subject["nip"]}"] a').click()
    expect(operator.locator("#name")).to_have_text(subject["name"])
    expect(operator.locator("#day-2026-10-06")).to_contain_text("TK (tanpa keterangan)")
    _fits(operator, width)
    _shot(operator, "employee-month", size)

    operator.goto(url + "/dashboard/pengecualian")
    operator.locator("#nip").fill(subject["nip"])
    operator.locator("#kind").select_option("sakit")
    operator.locator("#from").fill("2026-10-06")
    operator.locator("#to").fill("2026-10-07")
    operator.locator("#reason").fill("sakit, surat keterangan dokter")
    operator.locator("#doc_no").fill("SKD/440/X/2026")
    operator.locator("#propose-btn").click()
    expect(operator.locator("#notice")).to_contain_text("menunggu keputusan")
    row = operator.locator("#queue tr", has_text=subject["nip"])
    expect(row).to_contain_text("Usulan Anda sendiri")
    expect(row.locator("button")).to_have_count(0)  # no approve button for the proposer
    _fits(operator, width)
    _shot(operator, "exceptions-proposed", size)

    kabid = _sign_in(browser, url, "kabid", size)
    kabid.goto(url + "/dashboard/pengecualian")
    row = kabid.locator("#queue tr", has_text=subject["nip"])
    row.locator('input[id^="approve-reason-"]').fill("surat dokter sudah diperiksa")
    row.locator('button[id^="approve-"]').click()
    expect(kabid.locator("#notice")).to_contain_text("disetujui")
    expect(kabid.locator("#history tr", has_text=subject["nip"])).to_contain_text(
        "surat dokter sudah diperiksa"
    )
    _fits(kabid, width)
    _shot(kabid, "exceptions-decided", size)

    operator.goto(url + f"/dashboard/bulan?month={MONTH}")
    # Two absent days (3% each) became approved sick days (0%).
    assert _deduction(operator, subject["nip"]) == before - Decimal("6.00")
    operator.goto(url + f"/dashboard/bulan/pegawai/{subject['nip']}?month={MONTH}")
    expect(operator.locator("#day-2026-10-06")).to_contain_text("SKD/440/X/2026")
    # Printed on A4: no menu, forms or buttons; the wide day table is not cut to a box.
    operator.emulate_media(media="print")
    expect(operator.locator("nav")).to_be_hidden()
    expect(operator.locator("#xlsx")).to_be_hidden()
    pdf = operator.pdf(format="A4")
    operator.emulate_media(media="screen")
    (SHOTS / f"central-employee-month-{size}.pdf").write_bytes(pdf)
    first = PdfReader(io.BytesIO(pdf)).pages[0]
    size_pt = (float(first.mediabox.width), float(first.mediabox.height))
    assert abs(size_pt[0] - 595.3) < 2 and abs(size_pt[1] - 841.9) < 2, size_pt  # A4
    assert subject["name"] in first.extract_text()

    operator.goto(url + "/dashboard/gangguan")
    _fits(operator, width)
    _shot(operator, "incidents", size)
    operator.goto(url + "/dashboard?date=2026-10-01")
    expect(operator.locator("#xlsx")).to_have_text("Unduh Excel")
    _fits(operator, width)
    operator.context.close()
    kabid.context.close()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_a_viewer_limited_to_one_unit_cannot_see_another(
    browser: Browser, central: Central, size: str
) -> None:
    url, width = central.server.url, VIEWPORTS[size]["width"]
    mine, other = central.people[0]["unit"], central.people[1]["unit"]
    page = _sign_in(browser, url, "kasi", size)
    page.goto(url + f"/dashboard/bulan?month={MONTH}")
    expect(page.locator("#unit")).to_have_text(mine)
    assert page.locator("tr[data-nip]").count() == sum(p["unit"] == mine for p in central.people)
    expect(page.locator(f'tr[data-nip="{central.people[1]["nip"]}"]')).to_have_count(0)
    _fits(page, width)
    page.goto(url + f"/dashboard/bulan?month={MONTH}&unit={other}")
    expect(page.locator("#error")).to_contain_text("unit lain tidak dapat dilihat")
    _fits(page, width)
    _shot(page, "month-other-unit-refused", size)
    page.context.close()

    auth = {"Authorization": f"Bearer {central.kasi_token}"}
    r = requests.get(url + "/api/v1/recap", params={"month": MONTH}, headers=auth, timeout=30)
    assert r.status_code == 200 and {e["unit"] for e in r.json()["employees"]} == {mine}
    r = requests.get(
        url + "/api/v1/recap", params={"month": MONTH, "unit": other}, headers=auth, timeout=30
    )
    assert r.status_code == 403 and r.json()["error"] == "forbidden-unit"
