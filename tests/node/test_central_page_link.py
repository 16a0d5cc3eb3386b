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


@pytest.mark.parametrize(
    ("central_url", "state", "shown"),
    [
        (CENTRAL, {"last_ok": _ago(2)}, True),
        (CENTRAL + "/", {"last_ok": _ago(29)}, True),
        (None, {"last_ok": _ago(2)}, False),  # no central configured
        (CENTRAL, {}, False),  # never reached central
        (CENTRAL, {"last_ok": _ago(31)}, False),  # too long ago
        (CENTRAL, {"last_ok": _ago(5), "last_error": f"{_ago(1)} central unreachable"}, False),
        (CENTRAL, {"last_ok": _ago(1), "last_error": f"{_ago(5)} central unreachable"}, True),
    ],
)
def test_link_only_while_central_was_reached_recently(
    app: Flask, central_url: str | None, state: dict[str, str], shown: bool
) -> None:
    app.config["CENTRAL_URL"] = central_url
    svc = app.extensions["presensi_node"]
    if state:
        sync_state.save(svc.store, **state)
    html = app.test_client().get("/").get_data(as_text=True)
    assert (f'id="central-link" href="{CENTRAL}/saya"' in html) is shown, html[-600:]
