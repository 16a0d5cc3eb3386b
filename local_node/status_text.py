"""``presensi-node status`` for a person: aligned lines, WITA times, "2 menit lalu".

``status --json`` keeps the machine form (``status.status_report``); this module only
turns that report into text. Indonesian, like the pages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sync.timefmt import WITA, parse_ts


def ago(then: datetime, now: datetime) -> str:
    """How long ago, in Indonesian: "baru saja", "2 menit lalu", "3 jam lalu", "5 hari lalu"."""
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return "di masa depan (jam node atau central salah?)"
    if seconds < 60:
        return "baru saja"
    for size, unit in ((86400, "hari"), (3600, "jam"), (60, "menit")):
        if seconds >= size:
            return f"{seconds // size} {unit} lalu"
    return "baru saja"  # unreachable: seconds >= 60 has a unit


def when(ts: str | None, now: datetime) -> str:
    """An RFC 3339 time as "2026-10-02 07:21:07 WITA (2 menit lalu)", or "belum pernah"."""
    if not ts:
        return "belum pernah"
    try:
        moment = parse_ts(ts)
    except ValueError:
        return ts
    return f"{moment.astimezone(WITA):%Y-%m-%d %H:%M:%S} WITA ({ago(moment, now)})"


def _split_error(text: str | None) -> tuple[str | None, str]:
    """``last_error`` is "TS message": its time and its text."""
    if not text:
        return None, ""
    ts, _, message = text.partition(" ")
    return ts, message


def status_lines(report: dict[str, Any], now: datetime | None = None) -> list[str]:
    """The report as aligned "label : value" lines."""
    now = now or datetime.now(UTC)
    receipt = report.get("last_receipt") or {}
    error_ts, error = _split_error(report.get("last_sync_error"))
    records = report.get("records") or {}
    checkins = records.get("checkin", 0)
    offset = report.get("clock_offset_ms")
    rows: list[tuple[str, str]] = [
        ("Node", str(report.get("node"))),
        (
            "Catatan di log",
            f"{sum(records.values())} (presensi {checkins}); seq terakhir {report.get('head_seq')}",
        ),
        (
            "Sertifikat",
            "terpasang"
            if report.get("certificate_installed")
            else "belum: selesaikan pendaftaran (presensi-node init)",
        ),
        (
            "Central",
            report.get("central_url") or "belum diatur (presensi-node config set central-url URL)",
        ),
        ("Belum terkirim", f"{report.get('unsynced_records')} catatan"),
        ("Sinkron terakhir", when(report.get("last_sync_ok"), now)),
    ]
    if error:
        rows.append(("Gagal terakhir", f"{when(error_ts, now)}: {error}"))
    rows += [
        (
            "Tanda terima",
            when(receipt.get("server_ts"), now)
            + (f", sampai seq {receipt['seq']}" if "seq" in receipt else ""),
        ),
        (
            "Selisih jam",
            "belum diketahui" if offset is None else f"{int(offset):+d} ms terhadap central",
        ),
        ("Versi roster", str(report.get("roster_version") or "belum ada roster")),
    ]
    width = max(len(label) for label, _ in rows)
    return [f"{label:<{width}} : {value}" for label, value in rows]
