"""Fixtures of the page tests: one Playwright and one Chromium per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from testkit.factories import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def page_playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/lib/bootstrap.sh)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def page_browser(page_playwright: Playwright) -> Iterator[Browser]:
    browser = page_playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
