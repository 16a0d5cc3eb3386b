"""Operator endpoints: ``/healthz`` for load balancers and monitors, ``/metrics`` for
Prometheus. Thin over ``central.operations``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue

from .operations import health, metrics_text
from .web import service

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    svc = service()
    result = health(svc.store, svc.identity.name)
    return jsonify(result.body), 200 if result.ok else 503


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    svc = service()
    text = metrics_text(
        svc.store, now=svc.now(), behind_minutes=float(current_app.config["NODE_BEHIND_MINUTES"])
    )
    return Response(text, mimetype="text/plain; version=0.0.4")
