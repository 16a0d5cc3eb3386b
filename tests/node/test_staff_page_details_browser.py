"""The staff and head pages' details (issue 18 item 7), in a real Chromium against a real node:
Pulang held behind a question soon after Datang, kiosk and witness shown in the proof card and
today's list, the colleague's name after "Absen untuk rekan", the head's search box."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from testkit.factories import NodeProcess, run_cli, served_roster_node

pytestmark = pytest.mark.browser

HEAD, MEMBER, OTHER = 0, 9, 18  # one unit: its head first, then two members (demo roster)


@pytest.fixture(scope="module")
def page_node(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[NodeProcess, list[dict[str, str]]]]:
    node, people = served_roster_node(tmp_path_factory.mktemp("details"))
    yield node, people
    node.stop()


@pytest.fixture
def context(page_browser: Browser) -> Iterator[BrowserContext]:
    ctx = page_browser.new_context(viewport={"width": 360, "height": 640})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def _sign_in(page: Page, url: str, person: dict[str, str], path: str = "/") -> None:
    page.goto(url + path)
    page.locator("#nip").fill(person["nip"])
    page.locator("#pin").fill(person["pin"])
    page.locator("#signin-btn").click()
    page.locator("#home").wait_for(state="visible")


def _kinds(url: str, person: dict[str, str]) -> list[tuple[str, str]]:
    token = requests.post(
        url + "/api/v1/session", timeout=30, json={"nip": person["nip"], "pin": person["pin"]}
    ).json()["token"]
    r = requests.get(
        url + "/api/v1/checkins/today", timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
    return [(rec["body"]["kind"], rec["body"]["method"]) for rec in r.json()["records"]]


def test_pulang_soon_after_datang_asks_first(page_node, context: BrowserContext) -> None:
    node, people = page_node
    person = people[3]
    page = context.new_page()
    _sign_in(page, node.url, person)
    page.locator("#main-btn").click()
    expect(page.locator("#main-btn")).to_have_text("Pulang")
    asked: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", dismiss)
    page.locator("#main-btn").click()
    page.wait_for_timeout(500)
    assert asked == ["Catat pulang sekarang?"]
    assert _kinds(node.url, person) == [("in", "app")]  # nothing recorded
    page.once("dialog", accept)
    page.locator("#main-btn").click()
    expect(page.locator("#today li")).to_have_count(2)
    assert _kinds(node.url, person) == [("in", "app"), ("out", "app")]


def test_kiosk_and_witness_show_in_the_proof_card_and_today(
    page_node, context: BrowserContext
) -> None:
    node, people = page_node
    out = run_cli("local_node", "kiosk", "--data", str(node.paths.root), "--url", node.url).stdout
    found = re.search(r"/kiosk#t=(\S+)", out)
    assert found is not None, out
    token = found.group(1)
    code = requests.get(
        node.url + "/api/v1/kiosk/code", timeout=10, headers={"Authorization": f"Bearer {token}"}
    ).json()["code"]
    person, owner = people[4], people[5]
    page = context.new_page()
    _sign_in(page, node.url, person)
    page.goto(f"{node.url}/?kiosk={code}")
    page.locator("#main-btn").click()
    expect(page.locator("#r-how")).to_have_text("Lewat kode layar kantor")
    expect(page.locator("#today li")).to_contain_text("kios")

    page.locator("#wit summary").click()
    page.locator("#wit-nip").fill(owner["nip"])
    page.locator("#wit-pin").fill(owner["pin"])
    page.locator("input[name=wit-kind][value=in]").check()
    page.locator("#wit-send").click()
    expect(page.locator("#w-name")).to_have_text(owner["name"])

    browser = context.browser
    assert browser is not None
    mine = browser.new_context(viewport={"width": 360, "height": 640})
    try:
        theirs = mine.new_page()
        _sign_in(theirs, node.url, owner)
        item = theirs.locator("#today li")
        expect(item).to_have_count(1)
        assert "lewat rekan" in item.inner_text()
    finally:
        mine.close()


def test_head_searches_the_manual_list_and_sees_the_result_on_the_row(
    page_node, context: BrowserContext
) -> None:
    node, people = page_node
    head, member, other = people[HEAD], people[MEMBER], people[OTHER]
    page = context.new_page()
    _sign_in(page, node.url, head)
    page.locator("#manual summary").click()
    rows = page.locator("#members li")
    expect(rows).to_have_count(3)
    search = page.locator("#unit-search")
    assert search.get_attribute("placeholder") == "Cari nama atau NIP"
    search.fill(member["name"].lower())  # a name, in any case
    visible = page.locator("#members li:visible")
    expect(visible).to_have_count(1)
    assert member["name"] in visible.inner_text()
    search.fill(other["nip"][-6:])
    expect(visible).to_have_count(1)
    assert other["nip"] in visible.inner_text()
    search.fill("tidak ada yang begini")
    expect(visible).to_have_count(0)
    expect(page.get_by_text("Tidak ada anggota yang cocok.")).to_be_visible()

    search.fill(other["nip"])
    row = page.locator("#members li:visible")
    row.get_by_label(re.compile("^Alasan")).fill("HP rusak, hadir apel pagi")
    row.locator("button[data-k=in]").click()
    done = row.locator(".done")
    expect(done).to_contain_text(f"Tercatat: {other['name']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
