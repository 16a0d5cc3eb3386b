"""Objections over HTTP for approvers' tools (docs/employees.md): ``GET
/api/v1/objections[?state=open|decided|all][&month=YYYY-MM]``, ``GET
/api/v1/objections/<id>``, ``POST /api/v1/objections/<id>/accept|reject`` with
``{"reason": TEXT}``. A token acting as approver or admin; an account limited to units sees
and decides only those units' objections (another unit's is 404, as if it did not exist)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from . import objections
from .errors import NotFound
from .web import api_principal, json_object, service

bp = Blueprint("objections_api", __name__, url_prefix="/api/v1")


@bp.get("/objections")
def list_objections() -> ResponseReturnValue:
    who = api_principal("approver")
    rows = objections.listing(
        service().store,
        who,
        state=request.args.get("state", "open"),
        month=request.args.get("month"),
    )
    return jsonify({"objections": [objections.as_json(o) for o in rows]})


@bp.get("/objections/<int:objection_id>")
def get_objection(objection_id: int) -> ResponseReturnValue:
    who = api_principal("approver")
    found = service().store.objection(objection_id)
    if found is None or not objections.visible(who, found):
        raise NotFound(f"objection {objection_id} does not exist", code="unknown-objection")
    return jsonify(objections.as_json(found))


@bp.post("/objections/<int:objection_id>/<action>")
def decide(objection_id: int, action: str) -> ResponseReturnValue:
    who = api_principal("approver")
    body = json_object()
    decided = objections.decide(
        service().store, who, objection_id, action, body.get("reason"), service().now()
    )
    return jsonify(objections.as_json(decided))
