"""Routes for officials about trust (central/acceptance.py): accept a check-in central set
aside, and list the acceptances (for the audit page). Thin: parse, call, shape.

An acceptance is made by an admin token's account: that account is who accepted (``by`` in
the body, the older form, is ignored), and the acceptance is written to the audit log.
An account limited to units accepts only its units' employees' check-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from sync.timefmt import WITA

from .acceptance import accept_record, parse_ref
from .audit import record_action
from .auth import bearer_token, hash_token
from .errors import Forbidden
from .store.rows import Acceptance
from .web import api_principal, json_object, require_api, service

bp = Blueprint("trust_api", __name__, url_prefix="/api/v1")


def acceptance_json(a: Acceptance) -> dict[str, Any]:
    return {
        "ref": f"{a.node}/{a.epoch}/{a.seq}",
        "node": a.node,
        "epoch": a.epoch,
        "seq": a.seq,
        "status": a.status,
        "accepted_by": a.accepted_by,
        "via": a.via,
        "reason": a.reason,
        "accepted_at": datetime.fromtimestamp(a.accepted_at, WITA).isoformat(timespec="seconds"),
    }


@bp.post("/records/accept")
def post_accept() -> ResponseReturnValue:
    who = api_principal("admin")
    payload = json_object()
    svc = service()
    ref = payload.get("ref", "")
    if who.units:
        node, epoch, seq = parse_ref(ref)
        rec = svc.store.record(node, epoch, seq)
        if rec is not None and not who.sees_unit(svc.store.employee_units().get(rec.nip or "")):
            raise Forbidden(
                "this account may not accept check-ins of that unit", code="forbidden-unit"
            )
    token = bearer_token(request.headers.get("Authorization")) or ""
    now = svc.now()
    accepted = accept_record(
        svc.store,
        svc.report_settings,
        ref=ref,
        by=who.account,
        reason=payload.get("reason"),
        via=f"api:{who.role}:{hash_token(token)[:12]}",
        now=now,
    )
    record_action(
        svc.store,
        who.account,
        "record-accept",
        ref,
        accepted.reason,
        now,
        {"status": accepted.status, "via": accepted.via},
    )
    return jsonify(acceptance_json(accepted)), 201


@bp.get("/acceptances")
def get_acceptances() -> ResponseReturnValue:
    require_api("viewer")
    return jsonify(
        {"acceptances": [acceptance_json(a) for a in service().store.acceptances(limit=500)]}
    )
