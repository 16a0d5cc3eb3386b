"""The office fallbacks on the staff page, in a real Chromium against a real node process:
"Absen untuk rekan" (a colleague checks in on my phone with their own NIP and PIN) and the
unit head's manual list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Dialog, Page, Request, expect

from testkit.factories import NodeProcess, run_cli, served_roster_node
from tests.node.test_staff_page_browser import TIME_RE, sign_in, today

pytestmark = pytest.mark.browser

People = list[dict[str, str]]
# The 20-person test roster: person i is in unit i % 9 and persons 0-8 are the heads,
# so person 0 heads the unit of persons 9 and 18. Each test uses its own people.
WITNESS, OWNER = 12, 13
BAD_WITNESS, BAD_OWNER = 15, 14
HEAD, MEMBER, OTHER_MEMBER = 0, 9, 18
STAFF = 11


@pytest.fixture(scope="module")
def fb_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeProcess, People]]:
    node, people = served_roster_node(tmp_path_factory.mktemp("fallback-page"))
    yield node, people
    node.stop()


@pytest.fixture
def tab(page_browser: Browser) -> Iterator[Page]:
    context = page_browser.new_context(viewport={"width": 360, "height": 640})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def api_today(url: str, person: dict[str, str]) -> list[dict[str, Any]]:
    """A person's records of today, asked as that person from outside the browser."""
    r = requests.post(
        url + "/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]}, timeout=10
    )
    assert r.status_code == 201, r.text
    r = requests.get(
        url + "/api/v1/checkins/today",
        timeout=10,
        headers={"Authorization": f"Bearer {r.json()['token']}"},
    )
    assert r.status_code == 200, r.text
    records: list[dict[str, Any]] = r.json()["records"]
    return records


def fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_colleague_checks_in_on_my_phone(fb_node: tuple[NodeProcess, People], tab: Page) -> None:
    node, people = fb_node
    me, owner = people[WITNESS], people[OWNER]
    sign_in(tab, node.url, me)
    assert not tab.locator("#manual").is_visible()  # a staff member: no manual list
    summary = tab.locator("#wit summary")
    expect(summary).to_have_text("Absen untuk rekan (HP rekan mati/hilang)")
    assert not tab.locator("#wit-form").is_visible()
    summary.click()
    expect(tab.locator("#wit-form")).to_be_visible()
    assert tab.locator("#wit-pin").get_attribute("type") == "password"
    expect(tab.get_by_label("NIP rekan (18 angka)")).to_be_visible()

    # A kind must be chosen; nothing is sent before.
    tab.locator("#wit-nip").fill(owner["nip"])
    tab.locator("#wit-pin").fill(owner["pin"])
    tab.locator("#wit-send").click()
    expect(tab.locator("#wit-msg")).to_have_text("Pilih Datang atau Pulang.")

    tab.locator("#wit-pin").fill(owner["pin"])
    tab.get_by_label("Datang", exact=True).check()
    with tab.expect_request(
        lambda r: r.method == "POST" and "/api/v1/checkins/witness" in r.url
    ) as sent:
        tab.locator("#wit-send").click()
    request: Request = sent.value
    headers = request.headers
    assert headers.get("x-csrf-token") and len(headers.get("idempotency-key", "")) >= 8
    posted = request.post_data_json
    assert posted is not None
    assert (posted["nip"], posted["pin"], posted["kind"]) == (owner["nip"], owner["pin"], "in")

    ok = tab.locator("#wit-ok")
    expect(ok).to_be_visible()
    assert "Tercatat untuk rekan" in ok.inner_text()
    assert tab.locator("#w-nip").inner_text() == owner["nip"]
    assert tab.locator("#w-kind").inner_text() == "Datang"
    assert TIME_RE.fullmatch(tab.locator("#w-time").inner_text())
    # The colleague's PIN is gone from the page and was never kept on the phone.
    assert tab.locator("#wit-pin").input_value() == ""
    assert tab.locator("#wit-nip").input_value() == ""
    stored = tab.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert owner["pin"] not in stored and owner["nip"] not in stored
    assert tab.locator("#home").is_visible()
    fits_the_screen(tab)

    # The record is the colleague's, made on my phone with me as the witness.
    [rec] = api_today(node.url, owner)
    body = rec["body"]
    assert (body["nip"], body["kind"], body["method"]) == (owner["nip"], "in", "witness")
    assert body["witness"] == me["nip"]
    assert tab.locator("#w-seq").inner_text() == str(rec["seq"])
    # Not mine: my own list stays empty, the main button still offers my arrival.
    assert today(tab, node.url) == []
    assert tab.locator("#today li").count() == 0
    assert tab.locator("#main-btn").inner_text() == "Datang"

    # English labels too.
    tab.locator(".lang[data-lang=en]").click()
    assert summary.inner_text() == "Check in a colleague (their phone is dead/lost)"
    assert tab.locator("#w-kind").inner_text() == "Arrive"


def test_colleague_wrong_pin_shows_message_and_stores_nothing(
    fb_node: tuple[NodeProcess, People], tab: Page
) -> None:
    node, people = fb_node
    me, owner = people[BAD_WITNESS], people[BAD_OWNER]
    wrong = f"{(int(owner['pin']) + 1) % 1_000_000:06d}"
    sign_in(tab, node.url, me)
    tab.locator("#wit summary").click()
    tab.locator("#wit-nip").fill(owner["nip"])
    tab.locator("#wit-pin").fill(wrong)
    tab.get_by_label("Pulang", exact=True).check()
    with tab.expect_response(lambda r: "/api/v1/checkins/witness" in r.url) as answer:
        tab.locator("#wit-send").click()
    assert answer.value.status == 401
    expect(tab.locator("#wit-msg")).to_have_text("NIP atau PIN salah.")
    # My own session is untouched: a colleague's wrong PIN does not sign me out.
    assert tab.locator("#home").is_visible() and not tab.locator("#signin").is_visible()
    assert not tab.locator("#wit-ok").is_visible()
    assert tab.locator("#wit-pin").input_value() == ""
    assert tab.locator("#wit-send").is_enabled()
    assert api_today(node.url, owner) == []
    assert today(tab, node.url) == []


def member_row(page: Page, person: dict[str, str]) -> Any:
    return page.locator("#members li").filter(has_text=person["nip"])


def test_head_enters_a_manual_checkin_with_a_reason(
    fb_node: tuple[NodeProcess, People], tab: Page
) -> None:
    node, people = fb_node
    head, member, other = people[HEAD], people[MEMBER], people[OTHER_MEMBER]
    sign_in(tab, node.url, head)
    summary = tab.locator("#manual summary")
    expect(summary).to_have_text("Daftar manual kepala unit")
    with tab.expect_response(lambda r: "/api/v1/unit" in r.url) as loaded:
        summary.click()
    assert loaded.value.status == 200
    rows = tab.locator("#members li")
    expect(rows).to_have_count(3)
    assert head["unit"] in tab.locator("#unit-name").inner_text()
    # The head first, shown without buttons; then the two members, not checked in yet.
    assert head["nip"] in rows.nth(0).inner_text() and "(Anda)" in rows.nth(0).inner_text()
    assert rows.nth(0).locator("button").count() == 0
    row, other_row = member_row(tab, member), member_row(tab, other)
    assert member["name"] in row.inner_text() and other["name"] in other_row.inner_text()
    assert "Belum presensi" in row.inner_text() and "Belum presensi" in other_row.inner_text()

    arrive = row.locator("button[data-k=in]")
    assert arrive.inner_text() == "Datang"
    expect(arrive).to_be_disabled()  # no reason yet
    reason = row.get_by_label(re.compile("^Alasan"))
    assert reason.get_attribute("placeholder") == "Alasan, mis. HP rusak"
    reason.fill("ab")
    expect(arrive).to_be_disabled()  # too short
    reason.fill("HP rusak, hadir apel pagi")
    expect(arrive).to_be_enabled()
    expect(other_row.locator("button[data-k=in]")).to_be_disabled()  # its own reason

    with tab.expect_request(
        lambda r: r.method == "POST" and "/api/v1/checkins/manual" in r.url
    ) as sent:
        arrive.click()
    assert sent.value.post_data_json == {
        "nip": member["nip"],
        "kind": "in",
        "reason": "HP rusak, hadir apel pagi",
    }
    assert sent.value.headers.get("x-csrf-token")
    assert len(sent.value.headers.get("idempotency-key", "")) >= 8
    status = row.locator(".st")
    expect(status).to_have_text(re.compile(r"^Datang \d{2}:\d{2} \(manual\)$"))
    expect(tab.locator("#unit-msg")).to_contain_text(member["name"])
    assert "Belum presensi" in other_row.inner_text()
    assert row.get_by_label(re.compile("^Alasan")).input_value() == ""
    fits_the_screen(tab)

    [rec] = api_today(node.url, member)
    body = rec["body"]
    assert (body["nip"], body["kind"], body["method"]) == (member["nip"], "in", "manual")
    assert body["witness"] == head["nip"] and body["reason"] == "HP rusak, hadir apel pagi"
    assert api_today(node.url, other) == []
    assert today(tab, node.url) == []  # the head's own attendance is untouched

    tab.locator(".lang[data-lang=en]").click()
    expect(status).to_have_text(re.compile(r"^Arrive \d{2}:\d{2} \(manual\)$"))
    assert row.locator("button[data-k=out]").inner_text() == "Leave"


def test_staff_member_has_no_manual_list(fb_node: tuple[NodeProcess, People], tab: Page) -> None:
    node, people = fb_node
    sign_in(tab, node.url, people[STAFF])
    expect(tab.locator("#wit summary")).to_be_visible()
    assert not tab.locator("#manual").is_visible()
    assert not tab.locator("#manual summary").is_visible()
    assert tab.locator("#members li").count() == 0


KIOSK_PHONE = 17


def test_office_screen_code_makes_a_kiosk_checkin(
    fb_node: tuple[NodeProcess, People], page_browser: Browser, tab: Page
) -> None:
    node, people = fb_node
    # Without its key (the #t= part) the screen only says where to get the address.
    tab.goto(node.url + "/kiosk")
    expect(tab.locator("#err")).to_contain_text("presensi-node kiosk")
    out = run_cli("local_node", "kiosk", "--data", str(node.paths.root), "--url", node.url).stdout
    match = re.search(r"(http://\S+/kiosk#t=\S+)", out)
    assert match, out
    tab.goto(match.group(1))
    qr = tab.locator("#qr")
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    code = tab.locator("#code").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{8}", code)
    scanned = qr.get_attribute("alt")  # the URL in the QR code, which the camera opens
    assert scanned == f"{node.url}/?kiosk={code}"

    context = page_browser.new_context(viewport={"width": 360, "height": 640})
    context.set_default_timeout(15_000)
    try:
        phone = context.new_page()
        person = people[KIOSK_PHONE]
        sign_in(phone, node.url, person)
        phone.goto(scanned)
        phone.locator("#home").wait_for(state="visible")
        expect(phone.locator("#msg")).to_contain_text("Kode kantor terbaca")
        assert "kiosk=" not in phone.url  # the code is not left in history or bookmarks
        with phone.expect_request(
            lambda r: r.url.startswith(node.url + "/api/v1/checkins") and r.method == "POST"
        ) as sent:
            phone.locator("#main-btn").click()
        assert (sent.value.post_data_json or {})["presence"] == f"kiosk:{code}"
        expect(phone.locator("#result")).to_be_visible()
        (record,) = api_today(node.url, person)
        assert (record["body"]["method"], record["body"]["presence"]) == ("kiosk", f"kiosk:{code}")
        # The code is used once: the next tap is an ordinary check-in (a Pulang this soon
        # after Datang is asked about first: issue 18 item 7).
        asked: list[str] = []

        def accept(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept()

        phone.once("dialog", accept)
        with phone.expect_request(
            lambda r: r.url.startswith(node.url + "/api/v1/checkins") and r.method == "POST"
        ) as again:
            phone.locator("#main-btn").click()
        assert "presence" not in (again.value.post_data_json or {})
        assert asked == ["Catat pulang sekarang?"]
    finally:
        context.close()
