"""The local admin's page, the poster and a staff card's link in real Chromium, at 360x740 and
1280x800 (issue 18, items 1 and 2). Screenshots go to ``$PRESENSI_TEST_OUTPUT/screenshots``
(default ``test-output/screenshots`` in the repository)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from testkit.factories import REPO, NodeProcess, make_ca, make_node, roster_file, run_cli

pytestmark = pytest.mark.browser

PASSWORD = "kantor-alalak-2026"
SHOTS = Path(os.environ.get("PRESENSI_TEST_OUTPUT", REPO / "test-output")) / "screenshots"
SIZES = {"phone": (360, 740), "desktop": (1280, 800)}


@pytest.fixture(scope="module")
def admin_node(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[NodeProcess, list[dict[str, str]]]]:
    root = tmp_path_factory.mktemp("admin-page")
    paths = make_node(root, make_ca(root))
    csv_path, people = roster_file(root, 20)
    data = str(paths.root)
    run_cli("local_node", "roster", "import", "--data", data, str(csv_path))
    run_cli("local_node", "config", "set", "display-name", "Kecamatan Alalak", "--data", data)
    run_cli("local_node", "kiosk", "--data", data)
    done = subprocess.run(
        [sys.executable, "-m", "local_node", "admin", "set-password", "--data", data],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        text=True,
        capture_output=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    node = NodeProcess(paths).start()
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield node, people
    node.stop()


def open_tab(browser: Browser, size: str) -> Page:
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in_admin(page: Page, url: str) -> None:
    page.goto(url + "/admin")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.locator("#health").wait_for()


def assert_fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"page is {scroll} px wide at {width}"


@pytest.mark.parametrize("size", list(SIZES))
def test_admin_page_signs_in_and_shows_the_office(
    admin_node: tuple[NodeProcess, list[dict[str, str]]], page_browser: Browser, size: str
) -> None:
    node, people = admin_node
    page = open_tab(page_browser, size)
    try:
        page.goto(node.url + "/admin")
        assert page.title() == "Admin presensi Kecamatan Alalak"
        page.locator("#password").fill("salah-sekali-ini")
        page.get_by_role("button", name="Masuk").click()
        assert page.locator("#error").inner_text() == "Kata sandi salah."
        page.screenshot(path=str(SHOTS / f"admin-login-{size}.png"))
        sign_in_admin(page, node.url)
        health = page.locator("#health").inner_text()
        for label in (
            "Ruang disk",
            "Basis data",
            "Selisih jam",
            "Kirim terakhir",
            "Belum terkirim",
            "Tanda terima",
            "Roster",
            "Zeroconf",
            "Penulis log",
        ):
            assert label in health
        assert "20 pegawai" in health
        assert re.search(r"proses terpisah, berjalan \(pid \d+\)", health), health
        assert "/kiosk#t=" in page.locator("#kiosk-url").inner_text()
        assert_fits(page, SIZES[size][0])
        page.screenshot(path=str(SHOTS / f"admin-{size}.png"), full_page=True)
        # The backup and the cards download with the page's own session.
        with page.expect_download() as backup:
            page.locator("#backup").click()
        assert backup.value.suggested_filename.startswith("presensi-kec-alalak-")
        assert Path(backup.value.path()).read_bytes()[:15] == b"SQLite format 3"
        page.locator("#card-unit").select_option(people[0]["unit"])
        cards = page.request.get(node.url + "/admin/kartu.pdf?unit=" + people[0]["unit"])
        assert cards.status == 200 and cards.body().startswith(b"%PDF")
    except Exception:
        page.screenshot(path=str(SHOTS / f"admin-failed-{size}.png"), full_page=True)
        raise
    finally:
        page.context.close()


def test_pin_reset_in_the_browser_then_the_new_pin_signs_in(
    admin_node: tuple[NodeProcess, list[dict[str, str]]], page_browser: Browser
) -> None:
    node, people = admin_node
    person = people[7]
    page = open_tab(page_browser, "phone")
    staff = open_tab(page_browser, "phone")
    try:
        sign_in_admin(page, node.url)
        page.locator("#pin-nip").fill(person["nip"])
        page.locator("#pin-reason").fill("lupa PIN, datang ke admin")
        page.get_by_role("button", name="Buat PIN baru").click()
        new_pin = page.locator("#new-pin").inner_text()
        assert re.fullmatch(r"\d{6}", new_pin)
        assert person["name"] in page.locator("#pin-result").inner_text()
        page.screenshot(path=str(SHOTS / "admin-pin-reset-phone.png"), full_page=True)
        page.reload()  # shown once
        assert page.locator("#new-pin").count() == 0
        staff.goto(node.url + "/")
        staff.locator("#nip").fill(person["nip"])
        staff.locator("#pin").fill(new_pin)
        staff.locator("#signin-btn").click()
        staff.locator("#home").wait_for(state="visible")
    finally:
        page.context.close()
        staff.context.close()


def test_a_staff_card_link_opens_absen_untuk_rekan_with_the_nip(
    admin_node: tuple[NodeProcess, list[dict[str, str]]], page_browser: Browser
) -> None:
    node, people = admin_node
    colleague, owner = people[10], people[11]
    page = open_tab(page_browser, "phone")
    try:
        page.goto(node.url + "/")
        page.locator("#nip").fill(colleague["nip"])
        page.locator("#pin").fill(colleague["pin"])
        page.locator("#signin-btn").click()
        page.locator("#home").wait_for(state="visible")
        page.goto(f"{node.url}/?rekan={owner['nip']}")  # what the card's QR code opens
        page.locator("#wit-nip").wait_for(state="visible")
        assert page.locator("#wit").get_attribute("open") is not None
        assert page.locator("#wit-nip").input_value() == owner["nip"]
        assert page.url == node.url + "/"  # the NIP does not stay in the address bar
        page.screenshot(path=str(SHOTS / "staff-card-rekan-phone.png"), full_page=True)
    finally:
        page.context.close()


def test_poster_svg_renders_to_a_readable_qr_code(
    admin_node: tuple[NodeProcess, list[dict[str, str]]], page_browser: Browser, tmp_path: Path
) -> None:
    node, _ = admin_node
    out = tmp_path / "poster.svg"
    run_cli(
        "local_node",
        "poster",
        "--data",
        str(node.paths.root),
        "--out",
        str(out),
        "--url",
        "http://192.168.7.20:8080",
    )
    page = page_browser.new_page(viewport={"width": 794, "height": 1123})
    try:
        page.goto(out.as_uri())
        png = SHOTS / "poster-svg.png"
        page.screenshot(path=str(png))
    finally:
        page.close()
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, timeout=60
    )
    assert found.stdout.split() == ["http://192.168.7.20:8080/"]


def test_a_checkin_outside_the_office_area_is_marked_on_the_proof(
    admin_node: tuple[NodeProcess, list[dict[str, str]]], page_browser: Browser
) -> None:
    node, people = admin_node
    person = people[12]
    admin = open_tab(page_browser, "desktop")
    try:
        sign_in_admin(admin, node.url)
        admin.locator("#loc-lat").fill("-2.9987")
        admin.locator("#loc-lon").fill("114.7534")
        admin.locator("#loc-radius").fill("150")
        admin.get_by_role("button", name="Simpan lokasi").click()
        assert "Lokasi kantor disimpan" in admin.locator("#notice").inner_text()
    finally:
        admin.context.close()
    # A phone about 500 m north (127.0.0.1 is a secure context, so the page sends geo).
    context = page_browser.new_context(
        viewport={"width": 360, "height": 740},
        geolocation={"latitude": -2.9942, "longitude": 114.7534, "accuracy": 10},
        permissions=["geolocation"],
    )
    page = context.new_page()
    try:
        page.goto(node.url + "/")
        page.locator("#nip").fill(person["nip"])
        page.locator("#pin").fill(person["pin"])
        page.locator("#signin-btn").click()
        page.locator("#main-btn").click()
        page.locator("#result").wait_for(state="visible")
        marked = page.locator("#r-geo").inner_text()
        assert re.fullmatch(r"Di luar area kantor: 5\d\d m", marked), marked
        page.screenshot(path=str(SHOTS / "staff-outside-area-phone.png"), full_page=True)
    finally:
        context.close()
