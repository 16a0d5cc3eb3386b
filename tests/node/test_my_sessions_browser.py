"""The staff page's device list and "Keluar dari semua perangkat", in a real Chromium against
a real node process: the lost phone is signed out, this phone stays signed in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from testkit.factories import NodeProcess, served_roster_node

pytestmark = pytest.mark.browser

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture(scope="module")
def page_node(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[NodeProcess, list[dict[str, str]]]]:
    node, people = served_roster_node(tmp_path_factory.mktemp("my-sessions"))
    yield node, people
    node.stop()


def _phone(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport={"width": 360, "height": 640}, user_agent=ANDROID_CHROME)
    context.set_default_timeout(15_000)
    return context


def _sign_in(page: Page, url: str, person: dict[str, str]) -> None:
    page.goto(url + "/")
    page.locator("#nip").fill(person["nip"])
    page.locator("#pin").fill(person["pin"])
    page.locator("#signin-btn").click()
    page.locator("#home").wait_for(state="visible")


def test_end_all_other_devices_from_the_staff_page(
    page_node: tuple[NodeProcess, list[dict[str, str]]], page_browser: Browser
) -> None:
    node, people = page_node
    person = people[0]
    mine, lost = _phone(page_browser), _phone(page_browser)
    try:
        page, lost_page = mine.new_page(), lost.new_page()
        _sign_in(lost_page, node.url, person)
        lost_page.locator("#main-btn").click()  # the lost phone checked in this morning
        lost_page.locator("#result").wait_for(state="visible")
        token = requests.post(
            node.url + "/api/v1/session",
            timeout=30,
            json={"nip": person["nip"], "pin": person["pin"]},
        ).json()["token"]
        _sign_in(page, node.url, person)

        page.locator("#devices summary").click()
        items = page.locator("#dev-list li")
        expect(items).to_have_count(3)
        text = page.locator("#dev-list").inner_text()
        assert "Chrome · Android" in text and "Peramban tidak dikenal" in text
        assert text.count("(perangkat ini)") == 1
        assert "Terakhir absen" in text and "Belum pernah absen" in text
        assert page.locator("#dev-end").inner_text() == "Keluar dari semua perangkat"
        # Its style sheet came with it (loaded on first open, like its script).
        expect(page.locator("#dev-list")).to_have_css("list-style-type", "none")
        # Nothing overflows the 360 px screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        asked: list[str] = []

        def accept(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept()

        page.on("dialog", accept)
        page.locator("#dev-end").click()
        expect(page.locator("#dev-msg")).to_have_text("2 perangkat lain sudah dikeluarkan.")
        expect(items).to_have_count(1)
        assert asked == ["Keluarkan semua perangkat lain dari akun Anda?"]
        assert "(perangkat ini)" in items.inner_text()

        # The lost phone and the API token are out; this phone still checks in.
        lost_page.reload()
        expect(lost_page.locator("#signin")).to_be_visible()
        r = requests.post(
            node.url + "/api/v1/checkins",
            json={"kind": "out"},
            timeout=10,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 401
        page.locator("#main-btn").click()
        expect(page.locator("#result")).to_be_visible()
    finally:
        mine.close()
        lost.close()


def test_cancelling_the_question_ends_nothing(
    page_node: tuple[NodeProcess, list[dict[str, str]]], page_browser: Browser
) -> None:
    node, people = page_node
    person = people[1]
    first, second = _phone(page_browser), _phone(page_browser)
    try:
        page, other = first.new_page(), second.new_page()
        _sign_in(other, node.url, person)
        _sign_in(page, node.url, person)
        page.locator("#devices summary").click()
        expect(page.locator("#dev-list li")).to_have_count(2)
        page.on("dialog", lambda dialog: dialog.dismiss())
        page.locator("#dev-end").click()
        other.reload()
        expect(other.locator("#home")).to_be_visible()
        expect(page.locator("#dev-list li")).to_have_count(2)
    finally:
        first.close()
        second.close()
