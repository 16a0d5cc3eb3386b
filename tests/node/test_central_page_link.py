"""The staff page links to the employee's month at central (``CENTRAL_URL/saya``) only
while the last push reached central recently (issue 16 item 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from local_node import sync_state
from sync.timefmt import format_ts

CENTRAL = "https://presensi.baritokualakab.go.id"


def _ago(minutes: float) -> str:
    return format_ts(datetime.now(UTC) - timedelta(minutes=minutes))


# Ages in minutes, turned into timestamps when the test runs (not when it is collected: under
# pytest-xdist a test may run many minutes after collection, and 29 minutes would become 31).
@pytest.mark.parametrize(
    ("central_url", "ages", "shown"),
    [
        (CENTRAL, {"last_ok": 2}, True),
        (CENTRAL + "/", {"last_ok": 29}, True),
        (None, {"last_ok": 2}, False),  # no central configured
        (CENTRAL, {}, False),  # never reached central
        (CENTRAL, {"last_ok": 31}, False),  # too long ago
        (CENTRAL, {"last_ok": 5, "last_error": 1}, False),
        (CENTRAL, {"last_ok": 1, "last_error": 5}, True),
    ],
)
def test_link_only_while_central_was_reached_recently(
    app: Flask, central_url: str | None, ages: dict[str, float], shown: bool
) -> None:
    app.config["CENTRAL_URL"] = central_url
    svc = app.extensions["presensi_node"]
    state = {
        k: _ago(v) if k == "last_ok" else f"{_ago(v)} central unreachable" for k, v in ages.items()
    }
    if state:
        sync_state.save(svc.store, **state)
    html = app.test_client().get("/").get_data(as_text=True)
    assert (f'id="central-link" href="{CENTRAL}/saya"' in html) is shown, html[-600:]
