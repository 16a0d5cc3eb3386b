"""The officials' month pages: the month per unit and for the regency, one employee's month
day by day, and the "Unduh Excel" / "Unduh CSV" buttons of the day and month views, served
through the signed-in session. Routes are thin over ``central/month_view.py``.

The pages live under ``/dashboard`` because the session cookie is scoped to that path (the
API never sees it). An account limited to units sees only those units, here and in every
download.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from sync.timefmt import WITA, parse_ts

from . import overlay_view
from .dashboard import _day, visible_rows
from .day_explain import STATUS_ID, kind_label, percent
from .errors import ApiError
from .month_view import (
    check_unit,
    employee_month,
    month_for,
    parse_month,
    parse_query,
    totals,
    unit_groups,
)
from .official_pages import wita
from .page_session import install_page_errors, page, require_official
from .recap import month_bounds
from .recap_export import recap_csv, recap_xlsx
from .reports import attendance, attendance_csv, attendance_xlsx
from .web import service

bp = Blueprint("month", __name__, url_prefix="/dashboard")
install_page_errors(bp)

ROWS_MAX = 500  # employee rows on one month page; the downloads have everyone
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTHS_ID = (
    "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
).split()


def _today() -> date:
    return datetime.fromtimestamp(service().now(), WITA).date()


def month_label(month: str) -> str:
    return f"{MONTHS_ID[int(month[5:]) - 1]} {month[:4]}"


def _format() -> str:
    fmt = request.args.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise ApiError("format unduhan harus xlsx atau csv", code="bad-format")
    return fmt


def _download(body: bytes | str, name: str, fmt: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return Response(
        body,
        mimetype=XLSX if fmt == "xlsx" else "text/csv",
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )


def _month_args() -> tuple[str, str | None, str]:
    """(month, unit, query) of the request, checked against the signed-in account."""
    who = require_official()
    month = parse_month(request.args.get("month"), _today())
    unit = check_unit(service().store, who, request.args.get("unit"))
    return month, unit, parse_query(request.args.get("q"))


@bp.get("/bulan")
def month_page() -> ResponseReturnValue:
    who = require_official()
    month, unit, query = _month_args()
    svc = service()
    result = month_for(
        svc.store, who, month, today=_today(), settings=svc.report_settings, unit=unit, query=query
    )
    units = sorted(u for u in svc.store.units() if who.sees_unit(u))
    everyone = result["employees"]
    # The summary covers everyone; the employee tables stop at ROWS_MAX (a regency of some
    # thousands would make a page a phone cannot hold): pick a unit, search, or download.
    return page(
        "month.html",
        month=month,
        month_label=month_label(month),
        unit=unit,
        query=query,
        units=units,
        result=result,
        summary=unit_groups(everyone),
        groups=unit_groups(everyone[:ROWS_MAX]),
        shown=min(len(everyone), ROWS_MAX),
        overall=totals(everyone),
        kind_label=kind_label,
        this_month=_today().strftime("%Y-%m"),
    )


@bp.get("/bulan/unduh")
def month_download() -> ResponseReturnValue:
    who = require_official()
    month, unit, query = _month_args()
    fmt = _format()
    svc = service()
    result = month_for(
        svc.store, who, month, today=_today(), settings=svc.report_settings, unit=unit, query=query
    )
    name = f"rekap-{month}" + (f"-{unit}" if unit else "")
    body = recap_xlsx(result) if fmt == "xlsx" else recap_csv(result)
    return _download(body, name, fmt)


@bp.get("/bulan/pegawai/<nip>")
def employee_page(nip: str) -> ResponseReturnValue:
    who = require_official()
    month = parse_month(request.args.get("month"), _today())
    svc = service()
    view = employee_month(svc.store, who, nip, month, today=_today(), settings=svc.report_settings)
    first, last = month_bounds(month)
    # Every exception of this employee and every incident that may concern them in the
    # month, whatever its state: what applies is in the days above, what is pending or
    # rejected is here.
    exceptions = [
        o
        for o in overlay_view.exceptions_for(svc.store, who)
        if o.fields["nip"] == nip
        and o.fields["from"] <= last.isoformat()
        and o.fields["to"] >= first.isoformat()
    ]
    incidents = [
        o
        for o in overlay_view.incidents_for(svc.store, who)
        if o.fields["unit"] in (None, view.summary["unit"])
        and o.fields["from"] <= f"{last.isoformat()}T23:59:59.999Z"
        and o.fields["to"] >= f"{first.isoformat()}T00:00:00.000Z"
    ]
    return page(
        "official_employee_month.html",
        month=month,
        month_label=month_label(month),
        view=view,
        emp=view.summary,
        status_id=STATUS_ID,
        kind_label=kind_label,
        percent=percent,
        exceptions=exceptions,
        incidents=incidents,
        wita=wita,
        wita_ts=lambda ts: wita(parse_ts(ts).timestamp()),
    )


@bp.get("/hari/unduh")
def day_download() -> ResponseReturnValue:
    who = require_official()
    day = _day()
    fmt = _format()
    svc = service()
    unit = check_unit(svc.store, who, request.args.get("unit"))
    rows = visible_rows(
        attendance(svc.read_store, day, unit=unit, settings=svc.report_settings), who
    )
    body = attendance_xlsx(rows, day) if fmt == "xlsx" else attendance_csv(rows)
    return _download(body, f"presensi-{day}" + (f"-{unit}" if unit else ""), fmt)
