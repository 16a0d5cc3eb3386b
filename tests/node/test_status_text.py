"""``presensi-node status`` for people: aligned text, WITA, relative times (issue 18, item 6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local_node.datadir import NodePaths
from local_node.status_text import ago, status_lines, when
from testkit.factories import run_cli

NOW = datetime(2026, 10, 1, 23, 30, 0, tzinfo=UTC)  # 07:30 WITA on 2 October


@pytest.mark.parametrize(
    "seconds, text",
    [
        (5, "baru saja"),
        (120, "2 menit lalu"),
        (3599, "59 menit lalu"),
        (7200, "2 jam lalu"),
        (3 * 86400 + 5, "3 hari lalu"),
        (-30, "di masa depan (jam node atau central salah?)"),
    ],
)
def test_relative_times(seconds: int, text: str) -> None:
    assert ago(NOW.fromtimestamp(NOW.timestamp() - seconds, UTC), NOW) == text


def test_times_are_shown_in_wita() -> None:
    assert when("2026-10-01T23:28:00.000Z", NOW) == "2026-10-02 07:28:00 WITA (2 menit lalu)"
    assert when(None, NOW) == "belum pernah"


def test_status_lines_are_aligned_and_name_what_to_do() -> None:
    report = {
        "node": "kec-alalak",
        "head_seq": 41,
        "records": {"checkin": 30, "genesis": 1},
        "certificate_installed": True,
        "central_url": None,
        "unsynced_records": 12,
        "last_sync_ok": "2026-10-01T23:28:00.000Z",
        "last_sync_error": "2026-10-01T23:29:00.000Z push: cannot reach central",
        "last_receipt": {"server_ts": "2026-10-01T23:28:00.000Z", "seq": 29},
        "clock_offset_ms": "-120",
        "roster_version": "3",
    }
    lines = status_lines(report, NOW)
    assert len({line.index(" : ") for line in lines}) == 1  # one column
    text = "\n".join(lines)
    assert "Belum terkirim" in text and "12 catatan" in text
    assert "presensi-node config set central-url URL" in text
    assert "07:29:00 WITA (1 menit lalu): push: cannot reach central" in text
    assert "sampai seq 29" in text and "-120 ms" in text


def test_status_command_prints_text_and_json(node_paths: NodePaths) -> None:
    text = run_cli("local_node", "status", "--data", str(node_paths.root)).stdout
    assert text.startswith("Node") and "kec-alalak" in text and "{" not in text
    assert "Sinkron terakhir" in text and "belum pernah" in text
    data = run_cli("local_node", "status", "--data", str(node_paths.root), "--json").stdout
    assert data.startswith("{") and '"unsynced_records"' in data
