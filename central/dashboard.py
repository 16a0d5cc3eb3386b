"""The officials' day view: any day's unit summary, who is late, who has not checked in,
check-ins vouched for by someone else (with the voucher's name), open alerts per kind and
the nodes. Server-rendered, Bahasa Indonesia, no external assets, readable at 360 px.

An official signs in with a personal account (``central/signin_pages.py``); an account
limited to units sees only those units' employees. Every list that is cut says how many
rows it shows out of how many.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from sync.timefmt import WITA

from . import charts
from .accounts import Principal
from .alerts import kind_label
from .errors import ApiError
from .i18n import gettext
from .official_pages import wita
from .page_session import install_page_errors, page, require_official
from .reports import attendance, nodes_overview
from .trust import day_in_range
from .web import service

bp = Blueprint("dashboard", __name__)
install_page_errors(bp)

STATUS_ID = {
    "pending": "menunggu pendaftaran",
    "active": "aktif",
    "revoked": "dicabut",
    "quarantined": "dikarantina",
}
VOUCHED = {"witness": "lewat HP rekan", "manual": "daftar manual kepala unit"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
LIST_MAX = 100  # rows per list on the page; the API has everything


def visible_rows(rows: list[dict[str, Any]], who: Principal) -> list[dict[str, Any]]:
    """Only the units the official may see (a limited account never sees others)."""
    return [r for r in rows if who.sees_unit(r["unit"])]


def _cut(items: list[Any]) -> dict[str, Any]:
    return {"rows": items[:LIST_MAX], "total": len(items), "cut": len(items) > LIST_MAX}


def summarise(rows: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    units: dict[str, Counter[str]] = {}
    for row in rows:
        counts = units.setdefault(row["unit"] or "(di luar roster)", Counter())
        counts["pegawai"] += 1
        if row["first_in"]:
            counts["hadir"] += 1
            if row["late_minutes"]:
                counts["terlambat"] += 1
        else:
            counts["belum"] += 1
        counts["dikecualikan"] += row["excluded"]
    total: Counter[str] = Counter()
    for counts in units.values():
        total.update(counts)
    late = sorted((r for r in rows if r["late_minutes"]), key=lambda r: -r["late_minutes"])
    absent = [r for r in rows if not r["first_in"] and r["unit"] is not None]
    # Check-ins someone else vouched for (a colleague's phone, the head's manual list): listed
    # with the voucher's name for officials to audit, since they count like any other record.
    vouched = sorted(
        (
            {"row": row, "ref": ref, "voucher": names.get(ref.get("witness") or "")}
            for row in rows
            for ref in row["records"]
            if ref.get("method") in VOUCHED
        ),
        key=lambda item: item["ref"]["ts"],
    )
    return {
        "units": sorted(units.items()),
        "total": total,
        "late": _cut(late),
        "absent": _cut(absent),
        "vouched": _cut(vouched),
    }


def _day() -> str:
    """``?date=YYYY-MM-DD`` (a calendar date), else today in WITA."""
    text = request.args.get("date")
    if text is None or text == "":
        return datetime.fromtimestamp(service().now(), WITA).strftime("%Y-%m-%d")
    if not DATE_RE.match(text):
        raise ApiError("tanggal harus berbentuk TTTT-BB-HH, misalnya 2026-10-01", code="bad-date")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ApiError("tanggal itu tidak ada di kalender", code="bad-date") from exc
    if not day_in_range(day):
        raise ApiError("tanggal harus antara 2000-01-01 dan 2999-12-31", code="bad-date")
    return text


def arrivals_view(
    rows: list[dict[str, Any]], day: str, unit: str | None, work_start: str
) -> dict[str, Any]:
    """The day's first counted arrivals of ``unit`` (all visible units when None) in 5-minute
    bins from 06:30 to 09:00, as a picture and its rows (``templates/_arrivals.html``)."""
    times = [
        r["first_in"][11:19] for r in rows if r["first_in"] and (unit is None or r["unit"] == unit)
    ]
    bins = charts.arrival_bins(times)
    who = unit or gettext("semua unit")
    title = gettext("Jam datang %(unit)s, %(day)s") % {"unit": who, "day": day}
    desc = (
        gettext(
            "Jumlah pegawai yang datang per 5 menit dari 06.30 sampai 09.00 WITA; "
            "%(n)s orang datang hari itu."
        )
        % {"n": len(times)}
        + " "
        + gettext("Angkanya ada di tabel sesudah gambar.")
    )
    return {
        "chart": charts.arrival_chart(
            bins,
            ident="arrivals-chart",
            title=title,
            desc=desc,
            work_start=work_start,
            mark_text=gettext("jam masuk") + " " + work_start,
        ),
        "title": title,
        "rows": bins.bins,
        "before": bins.before,
        "after": bins.after,
        "first": "06:30",
        "last": "09:00",
        "work_start": work_start,
    }


def _chart_unit(who: Principal, units: list[str]) -> str | None:
    """``?unit=`` for the arrivals picture: a unit the official may see, or all."""
    unit = request.args.get("unit") or None
    if unit is not None and (unit not in units or not who.sees_unit(unit)):
        raise ApiError(
            gettext("unit kerja itu tidak ada atau tidak boleh Anda lihat"), code="bad-unit"
        )
    return unit


@bp.get("/dashboard", endpoint="page")
def page_view() -> ResponseReturnValue:
    who = require_official()
    svc = service()
    store = svc.read_store  # a replica when configured (docs/postgresql.md)
    day = _day()
    rows = visible_rows(attendance(store, day, settings=svc.report_settings), who)
    names = {e.nip: e.name for e in store.employees()}
    open_alerts = store.open_alert_counts()
    units = sorted({r["unit"] for r in rows if r["unit"]})
    chart_unit = _chart_unit(who, units)
    work_start = svc.report_settings.work_start
    return page(
        "dashboard.html",
        day=day,
        today=datetime.fromtimestamp(svc.now(), WITA).strftime("%Y-%m-%d"),
        nodes=[
            n
            | {
                "last_sync_label": wita(n["last_sync_ts"])
                if n["last_sync_ts"]
                else gettext("belum pernah")
            }
            for n in nodes_overview(
                store, day=day, fallback_threshold=int(svc.config["FALLBACK_ALERT_PER_DAY"])
            )
        ],
        summary=summarise(rows, names),
        status_id=STATUS_ID,
        vouched_id=VOUCHED,
        list_max=LIST_MAX,
        open_alerts=open_alerts,
        kind_label=kind_label,
        wita=wita,
        work_start=work_start,
        chart_units=units,
        chart_unit=chart_unit,
        arrivals=arrivals_view(rows, day, chart_unit, work_start),
    )
