"""``GET /api/v1/alerts`` (viewer: paged, filtered by node, kind and state, with the open
count per kind) and ``POST /api/v1/alerts/<id>/acknowledge`` (admin, with a reason; audited).
Routes are thin over ``central/alerts.py``."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from . import alerts
from .web import api_principal, json_object, service

bp = Blueprint("alerts_api", __name__, url_prefix="/api/v1")


@bp.get("/alerts")
def get_alerts() -> ResponseReturnValue:
    api_principal("viewer")
    svc = service()
    filters = alerts.parse_filters(request.args, int(svc.config["ALERTS_PAGE_SIZE"]))
    return jsonify(alerts.list_alerts(svc.store, **filters))


@bp.post("/alerts/<int:alert_id>/acknowledge")
def post_acknowledge(alert_id: int) -> ResponseReturnValue:
    who = api_principal("admin")
    payload = json_object()
    svc = service()
    alerts.acknowledge(svc.store, who, alert_id, payload.get("reason"), svc.now())
    return jsonify({"id": alert_id, "acknowledged": True, "acknowledged_by": who.account})
