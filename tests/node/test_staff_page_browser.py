"""The staff page in a real Chromium against a real node process (issue 2, item 9)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    Page,
    Playwright,
    Request,
    Route,
    expect,
)

from testkit.factories import CHROMIUM, CHROMIUM_ARGS, NodeProcess, served_roster_node

pytestmark = pytest.mark.browser

TIME_RE = re.compile(r"\b\d{2}:\d{2}:\d{2}\b")


@pytest.fixture(scope="module")
def page_node(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[NodeProcess, list[dict[str, str]]]]:
    """One node process with a 20-person roster; each test uses its own people."""
    node, people = served_roster_node(tmp_path_factory.mktemp("staff-page"))
    yield node, people
    node.stop()


@pytest.fixture
def page_context(page_browser: Browser) -> Iterator[BrowserContext]:
    context = page_browser.new_context(
        viewport={"width": 360, "height": 640}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page_tab(page_context: BrowserContext) -> Page:
    return page_context.new_page()


def sign_in(page: Page, url: str, person: dict[str, str], pin: str | None = None) -> None:
    page.goto(url + "/")
    page.locator("#nip").fill(person["nip"])
    page.locator("#pin").fill(pin or person["pin"])
    page.locator("#signin-btn").click()
    if pin is None:
        page.locator("#home").wait_for(state="visible")


def today(page: Page, url: str) -> list[dict[str, Any]]:
    """Today's records fetched with the page's own cookies."""
    r = page.request.get(url + "/api/v1/checkins/today")
    assert r.status == 200, r.text()
    records: list[dict[str, Any]] = r.json()["records"]
    return records


def test_sign_in_and_check_in_shows_signed_result(
    page_node: tuple[NodeProcess, list[dict[str, str]]], page_tab: Page
) -> None:
    node, people = page_node
    person = people[0]
    sign_in(page_tab, node.url, person)
    main = page_tab.locator("#main-btn")
    assert main.inner_text() == "Datang"
    assert page_tab.locator("#who-name").inner_text() == person["name"]
    assert page_tab.locator("#who-unit").inner_text() == person["unit"]
    assert page_tab.locator("#today-empty").is_visible()

    main.click()
    result = page_tab.locator("#result")
    result.wait_for(state="visible")
    assert page_tab.locator("#r-name").inner_text() == person["name"]
    assert "Tercatat dan ditandatangani" in result.inner_text()
    assert TIME_RE.search(page_tab.locator("#r-time").inner_text())

    records = today(page_tab, node.url)
    assert [r["body"]["kind"] for r in records] == ["in"]
    rec = records[0]
    assert rec["body"]["nip"] == person["nip"] and rec["body"]["method"] == "app"
    assert rec["body"]["client_ts"] is not None
    assert "geo" not in rec["body"]  # geolocation not granted: checked in without it
    assert page_tab.locator("#r-hash").inner_text() == rec["hash"][:12]
    assert page_tab.locator("#r-seq").inner_text() == str(rec["seq"])

    item = page_tab.locator("#today li")
    assert item.count() == 1
    assert "Datang" in item.inner_text() and rec["hash"][:12] in item.inner_text()
    assert TIME_RE.search(item.inner_text())
    # After the first arrival, the big button offers the departure.
    assert main.inner_text() == "Pulang"

    page_tab.locator("#signout").click()
    expect(page_tab.locator("#signin")).to_be_visible()
    assert page_tab.request.get(node.url + "/api/v1/me").status == 401
    page_tab.reload()
    expect(page_tab.locator("#signin")).to_be_visible()


def test_wrong_pin_shows_api_message_and_english_toggle(
    page_node: tuple[NodeProcess, list[dict[str, str]]], page_tab: Page
) -> None:
    node, people = page_node
    person = people[1]
    wrong = f"{(int(person['pin']) + 1) % 1_000_000:06d}"
    sign_in(page_tab, node.url, person, pin=wrong)
    msg = page_tab.locator("#signin-msg")
    expect(msg).to_have_text("NIP atau PIN salah.")
    assert page_tab.locator("#signin-btn").inner_text() == "Masuk"
    assert page_tab.locator("html").get_attribute("lang") == "id"

    page_tab.locator(".lang[data-lang=en]").click()
    assert page_tab.locator("#signin-btn").inner_text() == "Sign in"
    assert page_tab.locator("label[for=nip]").inner_text() == "NIP (18 digits)"
    assert page_tab.locator("html").get_attribute("lang") == "en"
    # The API answers in the page's language too.
    page_tab.locator("#pin").fill(wrong)
    page_tab.locator("#signin-btn").click()
    expect(msg).to_have_text("NIP or PIN is wrong.")

    # The choice is remembered on the phone; ?lang=en works on a fresh phone.
    page_tab.reload()
    assert page_tab.locator("#signin-btn").inner_text() == "Sign in"
    browser = page_tab.context.browser
    assert browser is not None
    other = browser.new_page()
    try:
        other.goto(node.url + "/?lang=en")
        assert other.locator("h1").inner_text() == "Sign in"
        other.goto(node.url + "/")
        assert other.locator("#signin-btn").inner_text() == "Sign in"
    finally:
        other.context.close()


def test_repeated_tap_asks_before_sending(
    page_node: tuple[NodeProcess, list[dict[str, str]]], page_tab: Page
) -> None:
    node, people = page_node
    sign_in(page_tab, node.url, people[2])
    page_tab.locator("#main-btn").click()
    page_tab.locator("#today li").first.wait_for()
    assert len(today(page_tab, node.url)) == 1

    posts: list[Request] = []
    page_tab.on(
        "request",
        lambda r: (
            posts.append(r)
            if r.method == "POST" and r.url.endswith("/api/v1/checkins?lang=id")
            else None
        ),
    )
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page_tab.once("dialog", dismiss)
    page_tab.locator("#other-btn").click()  # "Catat datang": the same kind again
    page_tab.wait_for_timeout(500)
    assert len(dialogs) == 1
    assert re.fullmatch(
        r"Anda sudah tercatat datang pukul \d{2}:\d{2}\. Catat lagi\?", dialogs[0]
    ), dialogs[0]
    assert posts == []
    assert len(today(page_tab, node.url)) == 1

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page_tab.once("dialog", accept)
    with page_tab.expect_response(
        lambda r: r.request.method == "POST" and "/api/v1/checkins" in r.url
    ) as answer:
        page_tab.locator("#other-btn").click()
    assert answer.value.status == 201
    page_tab.locator("#today li").nth(1).wait_for()
    records = today(page_tab, node.url)
    assert [r["body"]["kind"] for r in records] == ["in", "in"]
    assert records[0]["hash"] != records[1]["hash"]
    assert len(posts) == 1 and len(dialogs) == 2
    # Every tap carries a fresh Idempotency-Key, so the second record is really new.
    assert len(posts[0].headers.get("idempotency-key", "")) >= 8


def test_proof_download_is_the_exact_signed_record(
    page_node: tuple[NodeProcess, list[dict[str, str]]], page_tab: Page
) -> None:
    node, people = page_node
    sign_in(page_tab, node.url, people[3])
    page_tab.locator("#main-btn").click()
    page_tab.locator("#result").wait_for(state="visible")
    with page_tab.expect_download() as info:
        page_tab.locator("#proof-btn").click()
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8")
    proof = json.loads(text)
    [rec] = today(page_tab, node.url)
    assert proof == rec
    assert re.fullmatch(r"[0-9a-f]{64}", proof["hash"]) and proof["sig"]
    assert download.suggested_filename == f"presensi-{rec['node']}-{rec['seq']}.json"
    # Byte for byte what the node stored and signed, not a re-encoding.
    raw = page_tab.request.get(node.url + "/api/v1/checkins/today").text()
    assert text in raw


def test_page_is_small_and_local_only(
    page_node: tuple[NodeProcess, list[dict[str, str]]], page_tab: Page
) -> None:
    node, _ = page_node
    requests: list[str] = []
    sizes: dict[str, int] = {}
    wire: dict[str, int] = {}
    page_tab.on("request", lambda r: requests.append(r.url))

    def measure(response: Any) -> None:
        if response.request.resource_type in ("document", "stylesheet", "script"):
            sizes[response.url] = len(response.body())
            wire[response.url] = response.request.sizes()["responseBodySize"]

    page_tab.on("response", measure)
    page_tab.goto(node.url + "/", wait_until="networkidle")
    page_tab.locator("#signin").wait_for(state="visible")
    kinds = {urlsplit(u).path.rsplit("/", 1)[-1] or "/" for u in sizes}
    assert kinds == {"/", "app.css", "app.js"}, sizes
    total = sum(sizes.values())
    assert total < 30_000, sizes
    # What crosses the office Wi-Fi to each phone: the same files, gzipped.
    assert 0 < sum(wire.values()) < 12_000, wire
    origin = urlsplit(node.url).netloc
    assert requests and all(urlsplit(u).netloc == origin for u in requests), requests

    # Static files are versioned and long-cached; the page itself is revalidated.
    html = page_tab.request.get(node.url + "/")
    assert html.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in html.headers["content-security-policy"]
    js_url = next(u for u in sizes if "app.js" in u)
    assert "?v=" in js_url
    assert "max-age=31536000" in page_tab.request.get(js_url).headers["cache-control"]


def test_main_button_visible_on_small_phone(
    page_node: tuple[NodeProcess, list[dict[str, str]]], page_tab: Page
) -> None:
    node, people = page_node
    person = people[4]
    assert page_tab.viewport_size == {"width": 360, "height": 640}
    sign_in(page_tab, node.url, person)
    button = page_tab.locator("#main-btn")
    button.wait_for(state="visible")
    box = button.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= 640
    assert box["width"] >= 300 and box["height"] >= 88
    assert page_tab.evaluate("window.scrollY") == 0
    assert page_tab.evaluate("document.documentElement.scrollWidth") <= 360

    page_tab.set_viewport_size({"width": 360, "height": 740})
    button.click()
    page_tab.locator("#result").wait_for(state="visible")
    page_tab.locator("#today li").first.wait_for()
    page_tab.evaluate("window.scrollTo(0, 0)")
    page_tab.screenshot(path="/tmp/staff-page.png")


def test_geolocation_sent_as_strings_in_secure_context(
    page_node: tuple[NodeProcess, list[dict[str, str]]], page_browser: Browser
) -> None:
    """http://127.0.0.1 is a secure context for Chromium, like the node served over HTTPS."""
    node, people = page_node
    context = page_browser.new_context(
        viewport={"width": 360, "height": 640},
        permissions=["geolocation"],
        geolocation={"latitude": -2.99871234, "longitude": 114.7534, "accuracy": 12.4},
    )
    try:
        page = context.new_page()
        sign_in(page, node.url, people[5])
        assert page.evaluate("window.isSecureContext") is True
        page.locator("#main-btn").click()
        page.locator("#result").wait_for(state="visible")
        [rec] = today(page, node.url)
        assert rec["body"]["geo"] == {"lat": "-2.998712", "lon": "114.753400", "acc_m": "12"}
    finally:
        context.close()


def test_plain_http_retries_with_the_same_key(
    page_node: tuple[NodeProcess, list[dict[str, str]]], page_playwright: Playwright
) -> None:
    """Over plain HTTP on the office LAN: no randomUUID, no geolocation, lost answers retried."""
    node, people = page_node
    port = urlsplit(node.url).port
    # A LAN-like host name, so the page is not a secure context as it is on 127.0.0.1.
    browser = page_playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP kantor.test 127.0.0.1"],
    )
    try:
        context = browser.new_context(
            viewport={"width": 360, "height": 640},
            permissions=["geolocation"],
            geolocation={"latitude": -2.9, "longitude": 114.7, "accuracy": 5},
        )
        page = context.new_page()
        url = f"http://kantor.test:{port}"
        sign_in(page, url, people[6])
        assert page.evaluate("window.isSecureContext") is False
        assert page.evaluate("typeof crypto.randomUUID") == "undefined"

        keys: list[str] = []

        def flaky(route: Route) -> None:
            if route.request.method != "POST":
                route.continue_()
                return
            keys.append(route.request.headers.get("idempotency-key", ""))
            if len(keys) == 1:
                route.abort("connectionreset")  # the request never reached the node
            elif len(keys) == 2:
                # The node records it but the answer is lost on the way back.
                # (Playwright's own fetch does not use Chromium's resolver: go to the IP.)
                answer = route.fetch(url=route.request.url.replace(url, node.url))
                assert answer.status == 201, answer.text()
                route.abort("connectionreset")
            else:
                route.continue_()

        page.route("**/api/v1/checkins*", flaky)
        page.locator("#main-btn").click()
        page.locator("#result").wait_for(state="visible", timeout=20_000)
        assert len(keys) == 3 and len(set(keys)) == 1, keys
        assert re.fullmatch(r"[0-9a-f]{32}", keys[0]), keys[0]
        # Asked from inside the page: Playwright's own client cannot resolve kantor.test.
        records = page.evaluate(
            "fetch('/api/v1/checkins/today').then(r => r.json()).then(d => d.records)"
        )
        assert len(records) == 1  # the retry got the first record back, not a second one
        assert "geo" not in records[0]["body"]
        assert page.locator("#r-hash").inner_text() == records[0]["hash"][:12]
    finally:
        browser.close()
