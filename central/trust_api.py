"""Routes for officials about trust (central/acceptance.py): accept a check-in central set
aside, and list the acceptances (for the audit page). Thin: parse, call, shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from sync.timefmt import WITA

from .acceptance import accept_record
from .auth import bearer_token, hash_token
from .store import Acceptance
from .web import json_object, require_api, service

bp = Blueprint("trust_api", __name__, url_prefix="/api/v1")


def acceptance_json(a: Acceptance) -> dict[str, Any]:
    return {"ref": f"{a.node}/{a.epoch}/{a.seq}", "node": a.node, "epoch": a.epoch,
            "seq": a.seq, "status": a.status, "accepted_by": a.accepted_by, "via": a.via,
            "reason": a.reason,
            "accepted_at": datetime.fromtimestamp(a.accepted_at, WITA).isoformat(
                timespec="seconds")}


@bp.post("/records/accept")
def post_accept() -> ResponseReturnValue:
    role = require_api("admin")
    payload = json_object()
    svc = service()
    token = bearer_token(request.headers.get("Authorization")) or ""
    accepted = accept_record(svc.store, svc.report_settings, ref=payload.get("ref", ""),
                             by=payload.get("by"), reason=payload.get("reason"),
                             via=f"api:{role}:{hash_token(token)[:12]}", now=svc.now())
    return jsonify(acceptance_json(accepted)), 201


@bp.get("/acceptances")
def get_acceptances() -> ResponseReturnValue:
    require_api("viewer")
    return jsonify({"acceptances": [acceptance_json(a)
                                    for a in service().store.acceptances(limit=500)]})
