"""The officials' exception and incident pages: a form to propose, the queue to approve or
reject (never one's own proposal: the buttons are absent and the post is refused), and the
history. Routes are thin over ``central/overlay_view.py``; a refused form comes back with
its message in Bahasa Indonesia and the status of the refusal, nothing stored.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from sync.timefmt import parse_ts

from . import overlay_view
from .errors import ApiError
from .official_pages import wita
from .page_session import check_official_form, install_page_errors, now, page, require_official
from .web import service

bp = Blueprint("overlays", __name__, url_prefix="/dashboard")
install_page_errors(bp)

FORM_FIELDS = ("nip", "kind", "from", "to", "part", "reason", "doc_no", "unit", "node")
NOTICE = {
    "usul": "Usulan tersimpan; menunggu keputusan pejabat lain.",
    "setujui": "Usulan disetujui.",
    "tolak": "Usulan ditolak.",
}


def _wita_ts(ts: str) -> str:
    return wita(parse_ts(ts).timestamp())


def _form() -> dict[str, Any]:
    return {k: request.form.get(k) for k in FORM_FIELDS}


def _exceptions_page(
    status: int = 200, *, error: str | None = None, form: dict[str, Any] | None = None
) -> ResponseReturnValue:
    who = require_official()
    store = service().store
    rows = overlay_view.exceptions_for(store, who)
    units = store.employee_units()
    return page(
        "exceptions.html",
        status,
        error=error,
        form=form or {},
        notice=NOTICE.get(request.args.get("ok", "")),
        queue=[o for o in rows if o.state == "proposed"],
        history=[o for o in rows if o.state != "proposed"],
        kinds=overlay_view.exception_kinds(store),
        wita=wita,
        people=sorted(
            (e for e in store.employees() if who.sees_unit(e.unit)), key=lambda e: (e.unit, e.name)
        )
        if len(units) <= 2000
        else [],
    )


def _incidents_page(
    status: int = 200, *, error: str | None = None, form: dict[str, Any] | None = None
) -> ResponseReturnValue:
    who = require_official()
    store = service().store
    rows = overlay_view.incidents_for(store, who)
    return page(
        "incidents.html",
        status,
        error=error,
        form=form or {},
        notice=NOTICE.get(request.args.get("ok", "")),
        queue=[o for o in rows if o.state == "proposed"],
        history=[o for o in rows if o.state != "proposed"],
        units=sorted(u for u in store.units() if who.sees_unit(u)),
        nodes=sorted(n.name for n in store.nodes()),
        wita=wita,
        wita_ts=_wita_ts,
    )


@bp.get("/pengecualian")
def exceptions_page() -> ResponseReturnValue:
    return _exceptions_page()


@bp.post("/pengecualian")
def propose_exception() -> ResponseReturnValue:
    who = check_official_form()
    try:
        overlay_view.propose_exception_as(service().store, who, _form(), now())
    except ApiError as exc:
        return _exceptions_page(exc.status, error=exc.message, form=_form())
    return redirect(url_for("overlays.exceptions_page", ok="usul"), code=303)


@bp.get("/gangguan")
def incidents_page() -> ResponseReturnValue:
    return _incidents_page()


@bp.post("/gangguan")
def propose_incident() -> ResponseReturnValue:
    who = check_official_form()
    try:
        overlay_view.propose_incident_as(service().store, who, _form(), now())
    except ApiError as exc:
        return _incidents_page(exc.status, error=exc.message, form=_form())
    return redirect(url_for("overlays.incidents_page", ok="usul"), code=303)


@bp.post("/<any(pengecualian, gangguan):kind>/<int:target_id>/<any(setujui, tolak):action>")
def decide(kind: str, target_id: int, action: str) -> ResponseReturnValue:
    who = check_official_form()
    target = "exception" if kind == "pengecualian" else "incident"
    again = _exceptions_page if target == "exception" else _incidents_page
    try:
        overlay_view.decide_as(
            service().store,
            who,
            target,
            target_id,
            "approve" if action == "setujui" else "reject",
            request.form.get("reason"),
            now(),
        )
    except ApiError as exc:
        return again(exc.status, error=exc.message)
    endpoint = "overlays.exceptions_page" if target == "exception" else "overlays.incidents_page"
    return redirect(url_for(endpoint, ok=action), code=303)
