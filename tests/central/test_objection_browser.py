"""An employee's objection end to end in a real Chromium, at phone (360x740) and desktop
(1280x800) sizes: check in at a real node, download the proof from the staff page, sign in
at a real central with the same NIP and PIN, file a keberatan with that file; an approver
sees that the proof is genuine but absent from central and accepts it; the employee sees
the outcome and the day now has the arrival (issue 16 items 4 and 5). Screenshots go to
``$PRESENSI_TEST_OUTPUT/screenshots`` (default ``test-output/screenshots``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from sync.timefmt import WITA
from testkit.factories import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CentralProcess,
    NodeProcess,
    enroll_node,
    make_central,
    run_cli,
)

from .officials import PASSWORD, browser_session

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("PRESENSI_TEST_OUTPUT", REPO / "test-output")) / "screenshots"
VIEWPORTS = {
    "phone": ViewportSize(width=360, height=740),
    "desktop": ViewportSize(width=1280, height=800),
}
RULES = REPO / "docs" / "rules-example.toml"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/lib/bootstrap.sh)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def office(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CentralProcess, NodeProcess, list[dict[str, str]]]]:
    """Central with the roster and the example rules, an approver, and an enrolled node
    that pushed its genesis and pulled the roster; its scheduler is off, so what is checked
    in afterwards stays on the node (central "has not reached" it)."""
    root = tmp_path_factory.mktemp("objection-browser")
    setup = make_central(root, people=6)
    run_cli(
        "central",
        "rules",
        "import",
        "--data",
        str(setup.data),
        str(RULES),
        "--by",
        "Kabid Disiplin",
    )
    central = CentralProcess(setup.data, workers=1).start()
    link = run_cli(
        "central",
        "user",
        "add",
        "--data",
        str(setup.data),
        "--name",
        "penyetuju",
        "--role",
        "approver",
        "--url",
        central.url,
    ).stdout.strip()
    browser_session(central.url, link, "penyetuju")  # sets the password
    paths = enroll_node(setup, central.url, root)
    node = NodeProcess(paths).start()
    yield central, node, setup.people
    node.stop()
    central.stop()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def _shot(page: Page, name: str, size: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"objection-{name}-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", VIEWPORTS)
def test_check_in_download_proof_object_approver_accepts_employee_sees_it(
    browser: Browser,
    office: tuple[CentralProcess, NodeProcess, list[dict[str, str]]],
    size: str,
    tmp_path: Path,
) -> None:
    central, node, people = office
    person = people[0 if size == "phone" else 1]
    today = datetime.now(WITA).date().isoformat()
    context = browser.new_context(viewport=VIEWPORTS[size], accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()

    # At the office: sign in on the node's staff page, check in, save the signed proof.
    page.goto(node.url + "/")
    page.locator("#nip").fill(person["nip"])
    page.locator("#pin").fill(person["pin"])
    page.locator("#signin-btn").click()
    page.locator("#main-btn").click()
    expect(page.locator("#result")).to_be_visible()
    arrived = page.locator("#r-time").inner_text()
    _shot(page, "node-proof", size)
    with page.expect_download() as info:
        page.locator("#proof-btn").click()
    proof = tmp_path / info.value.suggested_filename
    info.value.save_as(proof)

    # At central: the same NIP and PIN.
    page.goto(central.url + "/saya")
    expect(page.locator("#signin-btn")).to_be_visible()
    page.locator("#nip").fill(person["nip"])
    page.locator("#pin").fill("000000")
    page.locator("#signin-btn").click()
    expect(page.locator("#error")).to_contain_text("NIP atau PIN salah")
    _shot(page, "signin", size)
    page.locator("#pin").fill(person["pin"])
    page.locator("#signin-btn").click()
    expect(page.locator("#who")).to_contain_text(person["name"])
    day = page.locator(f"#d-{today}")
    expect(day).to_be_visible()
    expect(day.locator(".records")).to_have_count(0)  # central has no record yet
    why_before = day.locator(".why").all_inner_texts()  # a working day: TK
    _shot(page, "month-before", size)

    day.locator(".object-link").click()
    page.locator("#reason").fill("Saya sudah presensi datang di kantor, bukti terlampir.")
    page.locator("#bukti").set_input_files(str(proof))
    _shot(page, "form", size)
    page.locator("#objection-send").click()
    day = page.locator(f"#d-{today}")
    expect(day.locator(".objection")).to_contain_text("menunggu keputusan")
    expect(day.locator(".objection")).to_contain_text("asli")

    # The approver, in another browser.
    official = browser.new_context(viewport=VIEWPORTS[size])
    official.set_default_timeout(20_000)
    desk = official.new_page()
    desk.goto(central.url + "/dashboard/masuk")
    desk.locator("#name").fill("penyetuju")
    desk.locator("#password").fill(PASSWORD)
    desk.locator("#signin-btn").click()
    desk.goto(central.url + "/dashboard/keberatan")
    item = desk.locator("section.objection", has_text=person["nip"])
    expect(item.locator(".verdict")).to_have_attribute("data-verdict", "absent")
    expect(item.locator(".verdict")).to_contain_text("Bukti asli, tidak ada di pusat")
    _shot(desk, "queue", size)
    item.locator("input[name=reason]").fill("Bukti bertanda tangan node asli.")
    item.locator("button[id^=accept-]").click()
    item = desk.locator("section.objection", has_text=person["nip"])
    expect(item).to_contain_text("Diterima oleh penyetuju")
    official.close()

    # The employee sees the outcome, and the day now has the arrival from the proof.
    page.reload()
    day = page.locator(f"#d-{today}")
    expect(day.locator(".objection")).to_contain_text("diterima")
    expect(day.locator(".records")).to_contain_text(f"{arrived} WITA")
    expect(day.locator(".records")).to_contain_text("bukti keberatan yang diterima")
    if why_before and "TK" in why_before[0]:
        expect(day.locator(".why")).to_contain_text(f"Datang {arrived}")
    _shot(page, "month-after", size)
    context.close()
