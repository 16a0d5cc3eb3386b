"""Central's HTTP API (docs/contract.md section 2, Contract). Routes are thin: parse, call, shape.

Node-signed: ``POST /api/v1/batches``, ``GET /api/v1/nodes/<node>/checkpoint``,
``GET /api/v1/roster?since=V``. Unsigned: ``POST /api/v1/enroll`` (the token is the proof).
Bearer token: ``GET /api/v1/attendance``, ``GET /api/v1/nodes`` (viewer or admin),
``POST /api/v1/nodes`` (admin: register a node and get its enrollment token).
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from sync.batches import decode_batch
from sync.errors import BatchError
from sync.records import ZERO_HASH
from sync.timefmt import WITA

from .auth import same_node
from .enrollment import create_enroll_token, enroll
from .errors import ApiError, Forbidden, NotFound, TooLarge, from_sync_error
from .ingest import ingest_batch
from .noderoster import announced_version, node_roster
from .reports import attendance, attendance_csv, attendance_xlsx, nodes_overview
from .trust import day_in_range
from .web import api_principal, json_object, node_request, require_api, service

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.post("/enroll")
def post_enroll() -> ResponseReturnValue:
    payload = json_object()
    svc = service()
    result = enroll(
        svc.store, svc.identity, payload.get("token"), payload.get("csr"), now=svc.now()
    )
    return jsonify(result.as_json()), 201


@bp.get("/nodes/<node>/checkpoint")
def get_checkpoint(node: str) -> ResponseReturnValue:
    signed_by, _, _ = node_request()
    same_node(signed_by, node)
    row = service().store.node(node)
    if row is None:
        raise NotFound(f"node {node!r} is not known")
    epoch = request.args.get("epoch") or row.epoch
    if epoch is not None and epoch == row.epoch:
        seq, head = row.head_seq, row.head_hash
    elif epoch is not None:
        held = service().store.head_of(node, epoch)
        seq, head = held if held else (None, None)
    else:
        seq, head = None, None
    return jsonify(
        {
            "node": node,
            "epoch": epoch,
            "seq": -1 if seq is None else seq,
            "head": head or ZERO_HASH,
            "quarantined": row.status == "quarantined",
            "new_epoch_allowed": row.new_epoch_allowed,
        }
    )


@bp.post("/batches")
def post_batch() -> ResponseReturnValue:
    started = time.perf_counter()
    node, public, body = node_request()
    try:
        batch = decode_batch(body, content_encoding=request.headers.get("Content-Encoding"))
    except BatchError as exc:
        raise from_sync_error(exc) from exc
    if len(batch["records"]) > int(current_app.config["MAX_BATCH_RECORDS"]):
        raise TooLarge("too many records in one batch")
    svc = service()
    result = ingest_batch(
        svc.store,
        svc.issuer,
        node=node,
        public_key=public,
        batch=batch,
        now=svc.now(),
        started=started,
    )
    if result.outcome != "ok":
        raise ApiError(result.message, code=result.outcome, status=result.status, **result.extra)
    # roster_version lets a node fetch a new roster (a PIN change) right after its next push
    # instead of polling for it.
    return jsonify(
        {
            "receipt": result.receipt,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "checkpoint": result.checkpoint,
            "roster_version": announced_version(svc.store, svc.identity, node, svc.now()),
        }
    )


@bp.get("/roster")
def get_roster() -> ResponseReturnValue:
    node, _, _ = node_request()
    row = service().store.node(node)
    if row is not None and row.status == "quarantined":
        raise Forbidden("a quarantined node gets no roster", code="quarantined")
    since_text = request.args.get("since")
    since = -1
    if since_text is not None:
        if not since_text.isascii() or not since_text.isdigit() or len(since_text) > 12:
            raise ApiError("since must be a roster version number", code="bad-since")
        since = int(since_text)
    svc = service()
    latest = node_roster(svc.store, svc.identity, node, svc.now())
    if latest is None or latest.version <= since:
        if latest is None and since_text is None:
            raise NotFound("central has no roster for this node yet", code="no-roster")
        return Response(status=304)
    return Response(latest.doc, mimetype="application/json")


def _day_arg() -> str:
    text = request.args.get("date", "")
    if not DATE_RE.match(text):
        raise ApiError("date must be YYYY-MM-DD", code="bad-date")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ApiError("date is not a calendar date", code="bad-date") from exc
    if not day_in_range(day):  # 9999-12-31 has no next day to bound it (found by the fuzz)
        raise ApiError("date must be between 2000-01-01 and 2999-12-31", code="bad-date")
    return text


@bp.get("/attendance")
def get_attendance() -> ResponseReturnValue:
    who = api_principal("viewer")
    day = _day_arg()
    unit = request.args.get("unit")
    if unit is not None and not 1 <= len(unit) <= 120:
        raise ApiError("unit must be 1-120 characters", code="bad-unit")
    if unit is not None and not who.sees_unit(unit):
        raise Forbidden("this account may not see that unit", code="forbidden-unit")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv", "xlsx"):
        raise ApiError("format must be json, csv or xlsx", code="bad-format")
    svc = service()
    rows = [
        r
        for r in attendance(svc.read_store, day, unit=unit, settings=svc.report_settings)
        if who.sees_unit(r["unit"])
    ]
    if fmt == "xlsx":
        return Response(
            attendance_xlsx(rows, day),
            mimetype=XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="presensi-{day}.xlsx"'},
        )
    if fmt == "csv":
        return Response(
            attendance_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="presensi-{day}.csv"'},
        )
    return jsonify(
        {
            "date": day,
            "unit": unit,
            "work_start": svc.report_settings.work_start,
            "timezone": "Asia/Makassar",
            "employees": rows,
        }
    )


@bp.get("/nodes")
def get_nodes() -> ResponseReturnValue:
    require_api("viewer")
    svc = service()
    day = datetime.fromtimestamp(svc.now(), WITA).strftime("%Y-%m-%d")
    return jsonify(
        {
            "nodes": nodes_overview(
                svc.read_store,
                day=day,
                fallback_threshold=int(svc.config["FALLBACK_ALERT_PER_DAY"]),
            )
        }
    )


@bp.post("/nodes")
def post_node() -> ResponseReturnValue:
    require_api("admin")
    payload = json_object()
    svc = service()
    name = payload.get("name")
    if not isinstance(name, str):
        raise ApiError("name must be a node id such as kec-alalak", code="bad-node-name")
    hours = float(current_app.config["ENROLL_TOKEN_HOURS"])
    token = create_enroll_token(svc.store, name, now=svc.now(), hours=hours)
    return jsonify({"node": name, "token": token, "expires_in_hours": hours}), 201


@bp.get("/openapi.yaml")
def get_openapi() -> ResponseReturnValue:
    """The API description: package data, the one copy (docs/architecture.md links it), so
    an installed central serves it without the source tree."""
    path = Path(current_app.static_folder or "static") / "openapi.yaml"
    return Response(path.read_bytes(), mimetype="application/yaml")
