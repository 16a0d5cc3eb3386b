"""The pages' accessibility check: axe-core (from the npm registry, pinned in
``scripts/lib/bootstrap.sh``, ``ensure_axe_core``) injected into a page in real Chromium.

The pages send a CSP that allows no script at all, so the browser context must be made with
``bypass_csp=True`` (``accessible_context``) for Playwright to inject axe. The check fails on
any violation axe rates ``serious`` or ``critical`` and lists each with the elements it found.

    context = accessible_context(browser, 360, 740)
    page = context.new_page(); page.goto(url)
    assert_accessible(page, "sign-in at 360")
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

from .factories import REPO

AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def accessible_context(browser: Browser, width: int, height: int, **options: Any) -> BrowserContext:
    """A context that lets Playwright inject axe despite the pages' CSP."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, bypass_csp=True, **options
    )
    context.set_default_timeout(15_000)
    return context


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now."""
    if not AXE_JS.exists():
        raise AssertionError(
            f"{AXE_JS} is missing: run scripts/test, or "
            "'. scripts/lib/bootstrap.sh; ensure_axe_core'"
        )
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(
            f"    {' '.join(node['target'])}: {node.get('failureSummary', '')[:200]}"
            for node in v["nodes"][:5]
        )
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    """No serious or critical axe violation on ``page`` (``where`` names it on failure)."""
    bad = axe_violations(page)
    assert not bad, f"accessibility violations on {where} ({page.url}):\n{describe(bad)}"
