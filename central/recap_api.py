"""Officials' HTTP API of the monthly recap (docs/recap.md). Routes are thin: parse, call a
Flask-free function, shape the answer.

Any token: ``GET /api/v1/recap``, ``GET /api/v1/discipline`` (an account limited to units
sees only their employees). Admin: ``POST /api/v1/exceptions``, ``POST /api/v1/incidents``,
``POST /api/v1/months/<month>/close|reopen``. Approver or admin:
``POST /api/v1/exceptions/<id>/approve|reject``, ``POST /api/v1/incidents/<id>/approve|reject``.
The acting official is the token's account (a ``by`` in the body is ignored), kept in the
history and in the audit log; a second account must approve what the first proposed, so a
shared machine token cannot approve its own proposals.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from sync.timefmt import WITA

from .accounts import Principal
from .discipline import parse_year, yearly
from .errors import ApiError, Forbidden
from .exceptions import history
from .recap_audit import (
    close_month_audited,
    decide_audited,
    propose_exception,
    propose_incident,
    reopen_month_audited,
)
from .recap_close import recap
from .recap_export import recap_csv, recap_json, recap_xlsx
from .web import api_principal, json_object, service

bp = Blueprint("recap", __name__, url_prefix="/api/v1")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> date:
    return datetime.fromtimestamp(service().now(), WITA).date()


def _filter(name: str) -> str | None:
    value = request.args.get(name)
    if value is not None and not 1 <= len(value) <= 120:
        raise ApiError(f"{name} must be 1-120 characters", code=f"bad-{name}")
    return value


def _unit_filter(who: Principal) -> str | None:
    unit = _filter("unit")
    if unit is not None and not who.sees_unit(unit):
        raise Forbidden("this account may not see that unit", code="forbidden-unit")
    return unit


def _visible(result: dict[str, Any], who: Principal) -> dict[str, Any]:
    """Only the employees of the account's units (all of them for an unlimited account)."""
    if not who.units:
        return result
    return result | {"employees": [e for e in result["employees"] if who.sees_unit(e.get("unit"))]}


@bp.get("/recap")
def get_recap() -> ResponseReturnValue:
    who = api_principal("viewer")
    month = request.args.get("month", "")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv", "xlsx"):
        raise ApiError("format must be json, csv or xlsx", code="bad-format")
    svc = service()
    result = _visible(
        recap(
            svc.store,
            month,
            today=_today(),
            settings=svc.report_settings,
            unit=_unit_filter(who),
            nip=_filter("nip"),
        ),
        who,
    )
    name = f"rekap-{month}" + (f"-{result['unit']}" if result["unit"] else "")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    if fmt == "csv":
        days = request.args.get("days") in ("1", "true")
        return Response(
            recap_csv(result, days=days),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            recap_xlsx(result),
            mimetype=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{safe}.xlsx"'},
        )
    return Response(recap_json(result), mimetype="application/json")


@bp.get("/discipline")
def get_discipline() -> ResponseReturnValue:
    who = api_principal("viewer")
    svc = service()
    return jsonify(
        _visible(
            yearly(
                svc.store,
                parse_year(request.args.get("year", "")),
                today=_today(),
                settings=svc.report_settings,
                unit=_unit_filter(who),
                nip=_filter("nip"),
            ),
            who,
        )
    )


@bp.post("/exceptions")
def post_exception() -> ResponseReturnValue:
    who = api_principal("admin")
    body = json_object()
    svc = service()
    _check_nip_unit(who, body.get("nip"))
    new_id = propose_exception(
        svc.store,
        nip=body.get("nip"),
        kind=body.get("kind"),
        first=body.get("from"),
        last=body.get("to"),
        part=body.get("part"),
        reason=body.get("reason"),
        doc_no=body.get("doc_no"),
        by=who.account,
        now=svc.now(),
    )
    return jsonify(
        {"id": new_id, "state": "proposed", "history": history(svc.store, "exception", new_id)}
    ), 201


@bp.post("/incidents")
def post_incident() -> ResponseReturnValue:
    who = api_principal("admin")
    body = json_object()
    svc = service()
    if who.units and not (isinstance(body.get("unit"), str) and who.sees_unit(body["unit"])):
        raise Forbidden(
            "an account limited to units proposes incidents of its units only",
            code="forbidden-unit",
        )
    new_id = propose_incident(
        svc.store,
        ts_from=body.get("from"),
        ts_to=body.get("to"),
        unit=body.get("unit"),
        node=body.get("node"),
        reason=body.get("reason"),
        by=who.account,
        now=svc.now(),
    )
    return jsonify(
        {"id": new_id, "state": "proposed", "history": history(svc.store, "incident", new_id)}
    ), 201


def _check_nip_unit(who: Principal, nip: object) -> None:
    if (
        who.units
        and isinstance(nip, str)
        and not who.sees_unit(service().store.employee_units().get(nip))
    ):
        raise Forbidden("this account may not act for that unit's employees", code="forbidden-unit")


def _check_decision_scope(who: Principal, target: str, target_id: str) -> None:
    store = service().store
    rows = (
        store.exceptions_between("0000-01-01", "9999-12-31")
        if target == "exception"
        else store.incidents_between("0", "9")
    )
    row = next((r for r in rows if str(r["id"]) == target_id), None)
    if row is None:
        return  # decide() answers 400 or 404
    unit = store.employee_units().get(row["nip"]) if target == "exception" else row["unit"]
    if not who.sees_unit(unit):
        raise Forbidden(
            f"this account may not decide on that unit's {target}", code="forbidden-unit"
        )


def _decision(target: str, target_id: str, action: str) -> ResponseReturnValue:
    who = api_principal("approver")
    body = json_object()
    svc = service()
    if who.units:
        # A unit-limited approver decides only on its own units' overlays.
        _check_decision_scope(who, target, target_id)
    state = decide_audited(
        svc.store, target, target_id, action, who.account, svc.now(), reason=body.get("reason")
    )
    return jsonify(
        {
            "id": int(target_id),
            "state": state,
            "history": history(svc.store, target, int(target_id)),
        }
    )


@bp.post("/exceptions/<target_id>/<any(approve, reject):action>")
def post_exception_decision(target_id: str, action: str) -> ResponseReturnValue:
    return _decision("exception", target_id, action)


@bp.post("/incidents/<target_id>/<any(approve, reject):action>")
def post_incident_decision(target_id: str, action: str) -> ResponseReturnValue:
    return _decision("incident", target_id, action)


@bp.post("/months/<month>/close")
def post_month_close(month: str) -> ResponseReturnValue:
    who = api_principal("admin")
    json_object()
    svc = service()
    return jsonify(close_month_audited(svc.store, month, who.account, svc.now())), 201


@bp.post("/months/<month>/reopen")
def post_month_reopen(month: str) -> ResponseReturnValue:
    who = api_principal("admin")
    body = json_object()
    svc = service()
    reopen_month_audited(svc.store, month, who.account, body.get("reason"), svc.now())
    return jsonify({"month": month, "state": "open"})
