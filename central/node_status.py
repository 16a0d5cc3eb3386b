"""What the nodes page shows per node, in the words of the pages: its state, the last
batch central accepted (its receipt), the backlog the node reported, its clock offset, open
alerts per kind, and the last days of backlog and offset as pictures with their numbers.
No Flask: the language comes in as ``tr`` (``central.i18n.translate``) and ``lang``.

Central learns the backlog and the offset only when a batch arrives (``central/ingest.py``
via ``central/node_history.py``): a node that sends nothing (no new check-ins, or no link)
leaves a gap in the line, and the page says how long ago it last sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from . import charts, pagetime
from .alerts import kind_label
from .node_history import NodeHour
from .store.protocol import CentralStore

HISTORY_DAYS = 7
ALERTS_LISTED = 200  # open alerts counted per node for the per-kind list

STATUS_ID = {
    "pending": "menunggu pendaftaran",
    "active": "aktif",
    "revoked": "dicabut",
    "quarantined": "dikarantina",
}

Translate = Callable[[str], str]


SYNC_TEXT = {"never": "belum pernah sinkron", "queue": "masih ada antrean", "ok": "tersinkron"}


def _state(status: str, last_sync: float | None, backlog: int | None) -> str:
    """The one-line sync state (Bahasa Indonesia; the page translates it)."""
    if status in ("revoked", "quarantined", "pending"):
        return STATUS_ID[status]
    if last_sync is None:
        return SYNC_TEXT["never"]
    return SYNC_TEXT["queue"] if backlog else SYNC_TEXT["ok"]


def history_points(
    hours: list[NodeHour],
) -> tuple[list[tuple[float, float | None]], list[tuple[float, float | None]]]:
    """(backlog points, offset points in seconds) at the middle of each hour."""
    backlog = [(h.hour + 1800.0, None if h.backlog is None else float(h.backlog)) for h in hours]
    offset = [(h.hour + 1800.0, None if h.offset_ms is None else h.offset_ms / 1000) for h in hours]
    return backlog, offset


def _seconds(ms: int, lang: str) -> str:
    text = f"{ms / 1000:.1f}"
    return text.replace(".", ",") if lang == "id" else text


def _hour_label(hour: int, now: float, tr: Translate, lang: str) -> str:
    return pagetime.when(hour, now, tr, lang)


def node_views(
    store: CentralStore,
    now: float,
    *,
    tr: Translate = pagetime._same,
    lang: str = "id",
    days: int = HISTORY_DAYS,
) -> list[dict[str, Any]]:
    """One dict per node for ``templates/nodes.html``."""
    start = now - days * 86400
    by_node: dict[str, list[NodeHour]] = {}
    for row in store.node_history(start):
        by_node.setdefault(row.node, []).append(row)
    out = []
    for index, node in enumerate(store.nodes()):
        hours = by_node.get(node.name, [])
        # The latest hour's backlog: None when the node's last batches did not say.
        backlog = hours[-1].backlog if hours else None
        alerts, open_total = store.alert_page(
            node=node.name, kind=None, state="open", offset=0, limit=ALERTS_LISTED
        )
        kinds = Counter(a.kind for a in alerts)
        backlog_pts, offset_pts = history_points(hours)
        ident = f"node-{index}"
        period = tr("%(n)s hari terakhir") % {"n": days}
        titles = {
            "backlog": tr("Antrean catatan %(node)s, %(period)s"),
            "offset": tr("Selisih jam %(node)s, %(period)s"),
        }
        titles = {k: v % {"node": node.name, "period": period} for k, v in titles.items()}
        out.append(
            {
                "node": node.name,
                "status": node.status,
                "state": tr(_state(node.status, node.last_sync, backlog)),
                "last_sync": pagetime.when(node.last_sync, now, tr, lang),
                "last_sync_ago": pagetime.ago(node.last_sync, now, tr),
                "head_seq": node.head_seq,
                "records": node.records_count,
                "backlog": backlog,
                "offset": pagetime.offset(node.clock_offset_ms, tr, lang),
                "offset_ms": node.clock_offset_ms,
                "open_alerts": open_total,
                "alert_kinds": [
                    (kind, tr(kind_label(kind)), n) for kind, n in sorted(kinds.items())
                ],
                "backlog_chart": charts.series_chart(
                    backlog_pts,
                    start=start,
                    end=now,
                    ident=ident + "-backlog",
                    title=titles["backlog"],
                    desc=tr(
                        "Jumlah catatan yang belum terkirim ke pusat menurut laporan node, "
                        "per jam; garis terputus bila node tidak mengirim."
                    )
                    + " "
                    + tr("Angkanya ada di tabel sesudah gambar."),
                    unit="",
                ),
                "offset_chart": charts.series_chart(
                    offset_pts,
                    start=start,
                    end=now,
                    ident=ident + "-offset",
                    title=titles["offset"],
                    desc=tr(
                        "Selisih jam pusat dikurangi jam node dalam detik, per jam; positif: "
                        "jam node tertinggal."
                    )
                    + " "
                    + tr("Angkanya ada di tabel sesudah gambar."),
                    unit=tr("dtk"),
                ),
                "titles": titles,
                "hours": [
                    {
                        "label": _hour_label(h.hour, now, tr, lang),
                        "backlog": "-" if h.backlog is None else h.backlog,
                        "offset_s": "-" if h.offset_ms is None else _seconds(h.offset_ms, lang),
                    }
                    for h in reversed(hours)
                ],
            }
        )
    return out
