"""The approvers' queue of objections (``/dashboard/keberatan``): each objection with the
verdict on its proof, accepted or rejected with a reason. Routes are thin over
``central/objections.py``; an approver or admin, limited to their units."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from sync.timefmt import parse_ts

from . import objections
from .errors import ApiError
from .official_pages import wita
from .page_session import check_official_form, install_page_errors, now, page, require_official
from .web import service

bp = Blueprint("objection_pages", __name__, url_prefix="/dashboard")
install_page_errors(bp)


def _queue(status: int = 200, error: str | None = None) -> ResponseReturnValue:
    who = require_official("approver")
    state = request.args.get("state", "open")
    if state not in objections.STATES:
        state = "open"
    rows = objections.listing(service().store, who, state=state)
    names = {e.nip: e.name for e in service().store.employees()}
    return page(
        "objections.html",
        status,
        rows=rows,
        state=state,
        names=names,
        wita=wita,
        record_time=lambda ts: wita(parse_ts(ts).timestamp()),
        error=error,
    )


@bp.get("/keberatan")
def queue() -> ResponseReturnValue:
    return _queue()


@bp.post("/keberatan/<int:objection_id>/<action>")
def decide(objection_id: int, action: str) -> ResponseReturnValue:
    who = check_official_form("approver")
    try:
        objections.decide(
            service().store, who, objection_id, action, request.form.get("reason"), now()
        )
    except ApiError as exc:
        if exc.status == 404:
            raise
        return _queue(exc.status, error=exc.message)
    return redirect(url_for("objection_pages.queue", state="all") + f"#o-{objection_id}", code=303)
