"""Officials' overview pages: the nodes (sync state, backlog, clock offset, last receipt,
open alerts, and their last days as pictures) at ``/dashboard/node``, and the attendance rate
per unit over a month at ``/dashboard/grafik/bulan?month=YYYY-MM``. Routes are thin over
``central/node_status.py`` and ``central/month_rates.py``; both live under ``/dashboard``
because the session cookie's path is ``/dashboard``."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from sync.timefmt import WITA

from .errors import ApiError
from .i18n import current_lang, translate
from .month_rates import month_rates_view
from .node_status import HISTORY_DAYS, node_views
from .page_session import install_page_errors, now, page, require_official
from .web import service

bp = Blueprint("overview", __name__, url_prefix="/dashboard")
install_page_errors(bp)

# The recap's API messages are English; the page says the same in the page's words.
MONTH_MESSAGES = {
    "bad-month": "bulan harus berbentuk TTTT-BB, misalnya 2026-10",
    "no-rules": "belum ada aturan presensi: impor dulu dengan presensi-central rules import",
}


@bp.get("/node")
def nodes_page() -> ResponseReturnValue:
    require_official()
    views = node_views(service().read_store, now(), tr=translate, lang=current_lang())
    return page("nodes.html", nodes=views, days=HISTORY_DAYS)


@bp.get("/grafik/bulan")
def month_chart_page() -> ResponseReturnValue:
    who = require_official()
    svc = service()
    today = datetime.fromtimestamp(now(), WITA).date()
    month = request.args.get("month") or today.strftime("%Y-%m")
    try:
        view = month_rates_view(
            svc.read_store, month, today=today, settings=svc.report_settings, who=who, tr=translate
        )
    except ApiError as exc:
        if exc.code in MONTH_MESSAGES:
            raise ApiError(MONTH_MESSAGES[exc.code], code=exc.code, status=exc.status) from exc
        raise
    return page("month_chart.html", month=month, month_rates=view)
