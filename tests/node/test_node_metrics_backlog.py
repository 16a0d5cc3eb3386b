"""A node that never reached central shows its whole log (anchors aside) as backlog and no
last-push age; the figures follow ``sync_state`` as the syncer writes it."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from sync.timefmt import format_ts
from testkit.factories import bearer


def _value(text: str, name: str) -> str | None:
    match = re.search(rf"^{name} (\S+)$", text, re.M)
    return match.group(1) if match else None


def test_backlog_before_and_after_a_push(client, roster) -> None:
    headers = bearer(client, roster[0])
    assert client.post("/api/v1/checkins", json={"kind": "in"}, headers=headers).status_code == 201
    text = client.get("/metrics").data.decode()
    svc = client.application.extensions["presensi_node"]
    head = svc.store.head()[0]
    assert _value(text, "presensi_sync_backlog_records") == str(head + 1)
    assert _value(text, "presensi_sync_last_push_age_seconds") is None
    svc.store.conn().execute(
        "INSERT INTO sync_state (key, value) VALUES ('central_seq', ?), ('last_ok', ?)",
        (str(head - 1), format_ts(datetime.fromtimestamp(time.time() - 120, UTC))),
    )
    text = client.get("/metrics").data.decode()
    assert _value(text, "presensi_sync_backlog_records") == "1"
    assert 119 <= float(_value(text, "presensi_sync_last_push_age_seconds") or 0) < 130
