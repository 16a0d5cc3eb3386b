"""Operator endpoints: /healthz for monitors, /metrics in Prometheus text format, and the
API's OpenAPI description."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue

from .sync_backlog import backlog
from .web import service

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    health = service().health()
    return jsonify(health), 200 if health["ok"] else 503


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    svc = service()
    head = svc.store.head()
    counts = svc.metrics.snapshot()
    lines = [
        "# HELP presensi_checkins_total Check-ins recorded since the process started.",
        "# TYPE presensi_checkins_total counter",
        f"presensi_checkins_total {counts.get('checkins', 0)}",
        "# HELP presensi_checkins_replayed_total Repeated Idempotency-Key requests answered.",
        "# TYPE presensi_checkins_replayed_total counter",
        f"presensi_checkins_replayed_total {counts.get('checkins_replayed', 0)}",
        "# HELP presensi_signins_total Successful sign-ins.",
        "# TYPE presensi_signins_total counter",
        f"presensi_signins_total {counts.get('signins', 0)}",
        "# HELP presensi_signin_failures_total Failed sign-ins (wrong NIP or PIN).",
        "# TYPE presensi_signin_failures_total counter",
        f"presensi_signin_failures_total {counts.get('signin_failures', 0)}",
        "# HELP presensi_pin_checks_total PIN hashes checked (sign-ins and witness check-ins).",
        "# TYPE presensi_pin_checks_total counter",
        f"presensi_pin_checks_total {counts.get('pin_checks', 0)}",
        "# HELP presensi_errors_total Storage errors while appending records.",
        "# TYPE presensi_errors_total counter",
        f"presensi_errors_total {counts.get('storage_errors', 0)}",
        "# HELP presensi_log_head_seq Sequence number of the newest record in the log.",
        "# TYPE presensi_log_head_seq gauge",
        f"presensi_log_head_seq {head[0] if head else -1}",
    ]
    pending = backlog(svc.store, time.time())
    lines += [
        "# HELP presensi_sync_backlog_records Records central has not acknowledged yet.",
        "# TYPE presensi_sync_backlog_records gauge",
        f"presensi_sync_backlog_records {pending.unsynced}",
        "# HELP presensi_sync_last_push_age_seconds Seconds since the last successful push "
        "(absent until the first).",
        "# TYPE presensi_sync_last_push_age_seconds gauge",
    ]
    if pending.last_push_age_s is not None:
        lines.append(f"presensi_sync_last_push_age_seconds {pending.last_push_age_s:.3f}")
    for name, value in sorted(counts.items()):
        if name.startswith("records_"):
            lines.append(f'presensi_records_appended_total{{type="{name[8:]}"}} {value}')
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")


@bp.get("/api/v1/openapi.yaml")
def openapi() -> ResponseReturnValue:
    """The API description: package data, the one copy (docs/architecture.md links it), so
    an installed node serves it without the source tree."""
    path = Path(current_app.static_folder or "static") / "openapi.yaml"
    return Response(path.read_bytes(), mimetype="application/yaml")
