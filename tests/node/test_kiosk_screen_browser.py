"""The office kiosk screen in a real Chromium at 1280x800 and 1920x1080 (issue 18 item 7):
the QR code, the countdown, the office's name and the date and time in WITA are all in view
without scrolling, and the time is the node's even when the screen's own clock is wrong.
Screenshots go to ``$PRESENSI_TEST_OUTPUT/screenshots`` (default ``test-output/screenshots``)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Browser, FloatRect, Page, expect

from testkit.factories import REPO, NodeProcess, make_ca, make_node, run_cli

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("PRESENSI_TEST_OUTPUT", REPO / "test-output")) / "screenshots"
SIZES = {"1280x800": (1280, 800), "1920x1080": (1920, 1080)}
OFFICE = "Kecamatan Alalak"
# The screen's own clock is this far off (a monitor whose clock was never set): the page must
# still show the node's time.
SCREEN_SKEW = timedelta(days=-40, hours=-5, minutes=-17)
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
TIME_RE = re.compile(r"(\d\d):(\d\d):(\d\d) WITA")


@pytest.fixture(scope="module")
def kiosk_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeProcess, str]]:
    root = tmp_path_factory.mktemp("kiosk-screen")
    paths = make_node(root, make_ca(root))
    run_cli("local_node", "config", "set", "display-name", OFFICE, "--data", str(paths.root))
    node = NodeProcess(paths).start()
    out = run_cli("local_node", "kiosk", "--data", str(paths.root), "--url", node.url).stdout
    match = re.search(r"(http://\S+/kiosk#t=\S+)", out)
    assert match, out
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield node, match.group(1)
    node.stop()


def wita_now() -> datetime:
    return datetime.now(ZoneInfo("Asia/Makassar"))


def indonesian_date(moment: datetime) -> str:
    """ "Kamis, 3 Desember 2026" """
    return f"{DAYS[moment.weekday()]}, {moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def fully_in_view(page: Page, selector: str, width: int, height: int) -> FloatRect:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["width"] > 0 and box["height"] > 0, (selector, box)
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (
        f"{selector} leaves the {width}x{height} screen: {box}"
    )
    return box


@pytest.mark.parametrize("size", list(SIZES))
def test_kiosk_screen_fits_and_shows_the_nodes_time(
    kiosk_url: tuple[NodeProcess, str], page_browser: Browser, size: str
) -> None:
    node, url = kiosk_url
    width, height = SIZES[size]
    context = page_browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    # The screen's clock runs (timers fire as time passes) but starts far from the node's.
    context.clock.install(time=datetime.now() + SCREEN_SKEW)
    page = context.new_page()
    try:
        page.goto(url)
        expect(page.locator("#qr")).to_be_visible()
        expect(page.locator("#time")).to_have_text(TIME_RE)
        expect(page.locator("#left")).to_have_text(re.compile(r"Kode baru dalam \d+ detik"))
        assert page.evaluate("document.getElementById('qr').naturalWidth") > 0
        assert page.title() == f"Kiosk presensi {OFFICE}"
        assert page.locator("h1").inner_text() == OFFICE

        shown, expected = page.locator("#time").inner_text(), wita_now()
        assert page.locator("#date").inner_text() == indonesian_date(expected)
        found = TIME_RE.fullmatch(shown)
        assert found is not None, shown
        hh, mm, ss = (int(x) for x in found.groups())
        at = expected.replace(hour=hh, minute=mm, second=ss, microsecond=0)
        assert abs((at - expected).total_seconds()) <= 3, (shown, expected)
        left = int(re.findall(r"\d+", page.locator("#left").inner_text())[0])
        assert 1 <= left <= 30

        # Everything a person looks for is on the screen at once, and nothing scrolls.
        for selector in ("#office", "#qr", "#left", "#date", "#time", "#code"):
            fully_in_view(page, selector, width, height)
        qr = fully_in_view(page, "#qr", width, height)
        assert qr["height"] >= 0.45 * height, f"the QR code is small: {qr}"  # scanned from a metre
        scroll = page.evaluate(
            "[document.documentElement.scrollHeight, innerHeight,"
            " document.documentElement.scrollWidth, innerWidth]"
        )
        assert scroll[0] <= scroll[1] and scroll[2] <= scroll[3], scroll
        page.screenshot(path=str(SHOTS / f"kiosk-{size}.png"))

        # The clock keeps going: a later second, still the node's time.
        expect(page.locator("#time")).not_to_have_text(shown, timeout=5_000)
        later = TIME_RE.fullmatch(page.locator("#time").inner_text())
        assert later
        now = wita_now()
        at = now.replace(
            hour=int(later[1]), minute=int(later[2]), second=int(later[3]), microsecond=0
        )
        assert abs((at - now).total_seconds()) <= 3, (later[0], now)
    except Exception:
        page.screenshot(path=str(SHOTS / f"kiosk-failed-{size}.png"))
        raise
    finally:
        context.close()


def test_kiosk_screen_in_english_names_days_in_english(
    kiosk_url: tuple[NodeProcess, str], page_browser: Browser
) -> None:
    node, url = kiosk_url
    context = page_browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(url.replace("/kiosk#", "/kiosk?lang=en#"))
        expect(page.locator("#time")).to_have_text(TIME_RE)
        moment = wita_now()
        assert page.locator("#date").inner_text() == moment.strftime("%A, ") + (
            f"{moment.day} " + moment.strftime("%B %Y")
        )
        expect(page.locator("#left")).to_have_text(re.compile(r"New code in \d+ s"))
    finally:
        context.close()


def test_kiosk_code_answer_carries_the_nodes_clock(kiosk_url: tuple[NodeProcess, str]) -> None:
    node, url = kiosk_url
    token = url.split("#t=", 1)[1]
    before = time.time()
    r = requests.get(
        node.url + "/api/v1/kiosk/code", timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
    after = time.time()
    assert r.status_code == 200, r.text
    assert isinstance(r.json()["now"], float | int)
    assert before - 1 <= r.json()["now"] <= after + 1


def test_kiosk_screen_on_a_phone_stacks_without_sideways_scrolling(
    kiosk_url: tuple[NodeProcess, str], page_browser: Browser
) -> None:
    node, url = kiosk_url
    context = page_browser.new_context(viewport={"width": 360, "height": 740})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(url)
        expect(page.locator("#time")).to_have_text(TIME_RE)
        expect(page.locator("#qr")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        for selector in ("#office", "#date", "#time", "#qr"):
            box = page.locator(selector).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, (selector, box)
        page.screenshot(path=str(SHOTS / "kiosk-360x740.png"), full_page=True)
    finally:
        context.close()
