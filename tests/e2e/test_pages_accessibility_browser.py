"""Every page officials and staff use passes axe-core (no serious or critical violation) in
real Chromium at 360x740 and 1280x800 (issue 16 item 5): central's sign-in, password link,
day (with its arrivals picture), alerts, audit, accounts, password change, nodes, month
chart and error pages, one of them in English, and the node's staff and admin pages. Against
real processes: central serving, a node enrolled and synced through the real CLI, a real
check-in pushed, so the pictures have something to draw. Screenshots go to
``test-output/screenshots``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from testkit.axe import accessible_context, assert_accessible
from testkit.factories import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    CentralProcess,
    NodeProcess,
    enroll_node,
    make_central,
    run_cli,
    sign_in,
)

pytestmark = pytest.mark.browser

SIZES = {"phone": (360, 740), "desktop": (1280, 800)}
SHOTS = Path(os.environ.get("PRESENSI_TEST_OUTPUT", REPO / "test-output")) / "screenshots"
PASSWORD = "kata-sandi-pejabat-01"
NODE_ADMIN = "kantor-alalak-2026"


@dataclass
class Office:
    central: CentralProcess
    data: Path
    node: NodeProcess
    people: list[dict[str, str]]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/lib/bootstrap.sh)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    root = tmp_path_factory.mktemp("a11y")
    setup = make_central(root, people=10)
    run_cli(
        "central",
        "rules",
        "import",
        "--data",
        str(setup.data),
        str(REPO / "docs" / "rules-example.toml"),
        "--by",
        "Kabid",
    )
    central = CentralProcess(setup.data, workers=1).start()
    paths = enroll_node(setup, central.url, root)
    done = subprocess.run(
        [sys.executable, "-m", "local_node", "admin", "set-password", "--data", str(paths.root)],
        input=f"{NODE_ADMIN}\n{NODE_ADMIN}\n",
        text=True,
        capture_output=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    node = NodeProcess(paths).start()
    # A real arrival, pushed by the real sync: the day's picture and the node's history.
    token = sign_in(node.url, setup.people[1]["nip"], setup.people[1]["pin"])
    r = requests.post(
        node.url + "/api/v1/checkins",
        json={"kind": "in"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    run_cli("local_node", "sync", "--data", str(paths.root))
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield Office(central, setup.data, node, setup.people)
    node.stop()
    central.stop()


def _fits(page: Page, width: int) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {width}"


def check(page: Page, url: str, name: str, size: str) -> None:
    """Open ``url`` (unless empty: the page as it is), check it with axe, fit and shoot."""
    if url:
        page.goto(url)
    assert_accessible(page, f"{name} at {size}")
    _fits(page, SIZES[size][0])
    page.screenshot(path=str(SHOTS / f"a11y-{name}-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_central_pages_pass_axe(browser: Browser, office: Office, size: str) -> None:
    name = f"pejabat-a11y-{size}"
    link = run_cli(
        "central",
        "user",
        "add",
        "--data",
        str(office.data),
        "--name",
        name,
        "--role",
        "admin",
        "--url",
        office.central.url,
    ).stdout.strip()
    context = accessible_context(browser, *SIZES[size])
    page = context.new_page()
    base = office.central.url + "/dashboard"
    check(page, link, "set-password", size)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.locator("#save-btn").click()
    expect(page.locator("#info")).to_be_visible()
    check(page, "", "signin", size)
    page.locator("#password").fill("salah-sekali-ini-123")
    page.locator("#signin-btn").click()
    expect(page.locator("#error")).to_be_visible()
    check(page, "", "signin-error", size)
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("#signin-btn").click()
    expect(page.locator("#who")).to_contain_text(name)

    check(page, "", "day", size)
    # The one real arrival (a bar, or before/after the bins, by the hour the test runs).
    expect(page.locator("#arrivals-chart-desc")).to_contain_text("1 orang datang hari itu")
    check(page, base + "?unit=" + office.people[1]["unit"], "day-unit", size)
    check(page, base + "/peringatan?state=all", "alerts", size)
    check(page, base + "/audit", "audit", size)
    check(page, base + "/akun", "accounts", size)
    check(page, base + "/akun/sandi", "change-password", size)
    check(page, base + "/node", "nodes", size)
    expect(page.locator("#nodes")).to_contain_text("kec-alalak")
    # The real node sent its head with the batch: central knows it had nothing left.
    expect(page.locator("#node-kec-alalak td.num")).to_have_text("0")
    check(page, base + "/grafik/bulan", "month-chart", size)
    # The month, one employee's month, exceptions, incidents and objections (officials).
    check(page, base + "/bulan", "month", size)
    check(page, base + f"/bulan/pegawai/{office.people[1]['nip']}", "employee-month-official", size)
    check(page, base + "/pengecualian", "exceptions", size)
    check(page, base + "/gangguan", "incidents", size)
    check(page, base + "/keberatan", "objections", size)
    check(page, base + "?date=2026-02-30", "error", size)
    check(page, base + "/node?lang=en", "nodes-en", size)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check(page, base + "/grafik/bulan", "month-chart-en", size)
    page.goto(base + "?lang=id")
    context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_node_staff_and_admin_pages_pass_axe(browser: Browser, office: Office, size: str) -> None:
    context = accessible_context(browser, *SIZES[size])
    page = context.new_page()
    person = office.people[2 if size == "phone" else 3]
    check(page, office.node.url + "/", "node-signin", size)
    page.locator("#nip").fill(person["nip"])
    page.locator("#pin").fill(person["pin"])
    page.locator("#signin-btn").click()
    page.locator("#home").wait_for(state="visible")
    check(page, "", "node-staff", size)
    check(page, office.node.url + "/admin", "node-admin-signin", size)
    page.locator("#password").fill(NODE_ADMIN)
    page.get_by_role("button", name="Masuk").click()
    page.locator("#health").wait_for()
    check(page, "", "node-admin", size)
    context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_employee_pages_pass_axe(browser: Browser, office: Office, size: str) -> None:
    # The employee's own sign-in and month at central (/saya), with the NIP and PIN of the
    # office; the month holds the real arrival pushed by the node.
    person = office.people[1]
    context = accessible_context(browser, *SIZES[size])
    page = context.new_page()
    check(page, office.central.url + "/saya/masuk", "employee-signin", size)
    page.locator("#nip").fill(person["nip"])
    page.locator("#pin").fill(person["pin"])
    page.locator("#signin-btn").click()
    expect(page.locator("#summary")).to_be_visible()
    check(page, "", "employee-month", size)
    context.close()
