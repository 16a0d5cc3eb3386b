"""Officials' HTTP API of the monthly recap (docs/recap.md). Routes are thin: parse, call a
Flask-free function, shape the answer.

Viewer or admin token: ``GET /api/v1/recap``, ``GET /api/v1/discipline``.
Admin token: ``POST /api/v1/exceptions``, ``POST /api/v1/exceptions/<id>/approve|reject``,
``POST /api/v1/incidents``, ``POST /api/v1/incidents/<id>/approve|reject``,
``POST /api/v1/months/<month>/close|reopen``. The acting official is named by ``by`` in the
body (kept in the history); a second official must approve what the first proposed.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from sync.timefmt import WITA

from .discipline import parse_year, yearly
from .errors import ApiError
from .exceptions import add_exception, add_incident, decide, history
from .recap import load_book
from .recap_close import close_month, recap, reopen_month
from .recap_export import recap_csv, recap_xlsx
from .web import json_object, require_api, service

bp = Blueprint("recap", __name__, url_prefix="/api/v1")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> date:
    return datetime.fromtimestamp(service().now(), WITA).date()


def _filter(name: str) -> str | None:
    value = request.args.get(name)
    if value is not None and not 1 <= len(value) <= 120:
        raise ApiError(f"{name} must be 1-120 characters", code=f"bad-{name}")
    return value


@bp.get("/recap")
def get_recap() -> ResponseReturnValue:
    require_api("viewer")
    month = request.args.get("month", "")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv", "xlsx"):
        raise ApiError("format must be json, csv or xlsx", code="bad-format")
    svc = service()
    result = recap(svc.store, month, today=_today(), settings=svc.report_settings,
                   unit=_filter("unit"), nip=_filter("nip"))
    name = f"rekap-{month}" + (f"-{result['unit']}" if result["unit"] else "")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    if fmt == "csv":
        days = request.args.get("days") in ("1", "true")
        return Response(recap_csv(result, days=days), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'})
    if fmt == "xlsx":
        return Response(recap_xlsx(result), mimetype=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{safe}.xlsx"'})
    return jsonify(result)


@bp.get("/discipline")
def get_discipline() -> ResponseReturnValue:
    require_api("viewer")
    svc = service()
    return jsonify(yearly(svc.store, parse_year(request.args.get("year", "")),
                          today=_today(), settings=svc.report_settings,
                          unit=_filter("unit"), nip=_filter("nip")))


@bp.post("/exceptions")
def post_exception() -> ResponseReturnValue:
    require_api("admin")
    body = json_object()
    svc = service()
    new_id = add_exception(svc.store, load_book(svc.store), nip=body.get("nip"),
                           kind=body.get("kind"), first=body.get("from"), last=body.get("to"),
                           part=body.get("part"), reason=body.get("reason"),
                           by=body.get("by"), now=svc.now())
    return jsonify({"id": new_id, "state": "proposed",
                    "history": history(svc.store, "exception", new_id)}), 201


@bp.post("/incidents")
def post_incident() -> ResponseReturnValue:
    require_api("admin")
    body = json_object()
    svc = service()
    new_id = add_incident(svc.store, ts_from=body.get("from"), ts_to=body.get("to"),
                          unit=body.get("unit"), node=body.get("node"),
                          reason=body.get("reason"), by=body.get("by"), now=svc.now())
    return jsonify({"id": new_id, "state": "proposed",
                    "history": history(svc.store, "incident", new_id)}), 201


def _decision(target: str, target_id: str, action: str) -> ResponseReturnValue:
    require_api("admin")
    body = json_object()
    svc = service()
    state = decide(svc.store, target, target_id, action, body.get("by"), svc.now(),
                   reason=body.get("reason"))
    return jsonify({"id": int(target_id), "state": state,
                    "history": history(svc.store, target, int(target_id))})


@bp.post("/exceptions/<target_id>/<any(approve, reject):action>")
def post_exception_decision(target_id: str, action: str) -> ResponseReturnValue:
    return _decision("exception", target_id, action)


@bp.post("/incidents/<target_id>/<any(approve, reject):action>")
def post_incident_decision(target_id: str, action: str) -> ResponseReturnValue:
    return _decision("incident", target_id, action)


@bp.post("/months/<month>/close")
def post_month_close(month: str) -> ResponseReturnValue:
    require_api("admin")
    body = json_object()
    svc = service()
    return jsonify(close_month(svc.store, month, body.get("by"), svc.now())), 201


@bp.post("/months/<month>/reopen")
def post_month_reopen(month: str) -> ResponseReturnValue:
    require_api("admin")
    body = json_object()
    svc = service()
    reopen_month(svc.store, month, body.get("by"), body.get("reason"), svc.now())
    return jsonify({"month": month, "state": "open"})
