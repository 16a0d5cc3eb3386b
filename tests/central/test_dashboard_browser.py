"""Officials' sign-in in a real Chromium against a real central: set the password from the
one-time link, sign in, look at a past day, sign out and sign out everywhere, at phone
(360x740) and desktop (1280x800) sizes, with no sideways scrolling of the page itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from testkit.factories import CHROMIUM, CHROMIUM_ARGS, CentralProcess, run_cli

pytestmark = pytest.mark.browser

VIEWPORTS: dict[str, ViewportSize] = {
    "phone": {"width": 360, "height": 740},
    "desktop": {"width": 1280, "height": 800},
}
PASSWORD = "kata-sandi-pejabat-01"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/lib/bootstrap.sh)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CentralProcess, Path]]:
    root = tmp_path_factory.mktemp("central-browser")
    data = root / "central"
    run_cli("central", "init", "--data", str(data))
    server = CentralProcess(data, workers=1).start()
    yield server, data
    server.stop()


def _new_account(central: tuple[CentralProcess, Path], name: str) -> str:
    server, data = central
    return run_cli(
        "central",
        "user",
        "add",
        "--data",
        str(data),
        "--name",
        name,
        "--role",
        "admin",
        "--url",
        server.url,
    ).stdout.strip()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def _sign_in(page: Page, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(url + "/dashboard/masuk")
    page.locator("#name").fill(name)
    page.locator("#password").fill(password)
    page.locator("#signin-btn").click()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_set_password_sign_in_look_back_and_sign_out(
    browser: Browser, central: tuple[CentralProcess, Path], size: str, tmp_path: Path
) -> None:
    server, _ = central
    name = f"pejabat-{size}"
    link = _new_account(central, name)
    context = browser.new_context(viewport=VIEWPORTS[size])
    context.set_default_timeout(15_000)
    page = context.new_page()

    page.goto(link)
    expect(page.locator("#account")).to_have_text(name)
    _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"set-password-{size}.png"), full_page=True)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD + "x")
    page.locator("#save-btn").click()
    expect(page.locator("#error")).to_contain_text("tidak sama")
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.locator("#save-btn").click()
    expect(page.locator("#info")).to_contain_text("tersimpan")
    expect(page.locator("#name")).to_have_value(name)
    # The link is spent.
    page.goto(link)
    expect(page.locator("#error")).to_contain_text("Tautan tidak berlaku")

    _sign_in(page, server.url, name, "bukan-sandinya-123")
    expect(page.locator("#error")).to_contain_text("kata sandi salah")
    _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"sign-in-{size}.png"), full_page=True)
    _sign_in(page, server.url, name)
    expect(page.locator("#who")).to_contain_text(name)
    expect(page.locator("h2").first).to_have_text("Peringatan terbuka")
    _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"dashboard-{size}.png"), full_page=True)

    page.locator("#date").fill("2026-10-01")
    page.locator("#date-btn").click()
    expect(page.locator("#day")).to_have_text("2026-10-01")
    assert "date=2026-10-01" in page.url

    page.goto(server.url + "/dashboard/peringatan")
    _no_sideways_scroll(page)
    page.goto(server.url + "/dashboard/akun")
    _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"accounts-{size}.png"), full_page=True)

    page.locator("#signout").click()
    expect(page.locator("#signin-btn")).to_be_visible()
    page.goto(server.url + "/dashboard")
    expect(page.locator("#signin-btn")).to_be_visible()
    context.close()


def test_sign_out_everywhere_ends_the_other_browser(
    browser: Browser, central: tuple[CentralProcess, Path]
) -> None:
    server, _ = central
    link = _new_account(central, "pejabat-dua")
    phone = browser.new_context(viewport=VIEWPORTS["phone"])
    desk = browser.new_context(viewport=VIEWPORTS["desktop"])
    first = phone.new_page()
    first.goto(link)
    first.locator("#password").fill(PASSWORD)
    first.locator("#confirm").fill(PASSWORD)
    first.locator("#save-btn").click()
    expect(first.locator("#info")).to_be_visible()
    second = desk.new_page()
    for page in (first, second):
        _sign_in(page, server.url, "pejabat-dua")
        expect(page.locator("#who")).to_contain_text("pejabat-dua")
    first.locator("#signout-all").click()
    expect(first.locator("#signin-btn")).to_be_visible()
    second.reload()
    expect(second.locator("#signin-btn")).to_be_visible()
    phone.close()
    desk.close()
