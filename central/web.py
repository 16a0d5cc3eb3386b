"""Request plumbing shared by central's blueprints: the service, bodies, errors, auth."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from psycopg import OperationalError as PgOperationalError
from psycopg_pool import PoolTimeout
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from sync import jsonin

from .accounts import Principal
from .auth import bearer_token, require_principal, require_role
from .errors import ApiError, TooLarge
from .service import CentralService

log = logging.getLogger(__name__)


def service() -> CentralService:
    svc: CentralService = current_app.extensions["presensi_central"]
    return svc


def raw_body(limit: int) -> bytes:
    """The request body as sent, refusing more than ``limit`` bytes (413)."""
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"request body is larger than {limit} bytes")
    data = request.get_data(cache=True)
    # A chunked body (no Content-Length) is silently cut at MAX_CONTENT_LENGTH by werkzeug;
    # reaching the cut means the client sent too much.
    cut = request.content_length is None and len(data) >= int(
        current_app.config["MAX_CONTENT_LENGTH"]
    )
    if len(data) > limit or cut:
        raise TooLarge(f"request body is larger than {limit} bytes")
    return data


def json_object() -> dict[str, Any]:
    """A small JSON object body; 400/413/415 with a message for anything else."""
    data = raw_body(int(current_app.config["MAX_SMALL_BODY_BYTES"]))
    if not request.is_json:
        raise ApiError(
            "send the body as application/json", code="unsupported-media-type", status=415
        )
    try:
        value = jsonin.loads(data)  # refuses deep nesting and lone surrogates too
    except jsonin.JsonInputError as exc:
        raise ApiError(str(exc), code="bad-json") from exc
    if not isinstance(value, dict):
        raise ApiError("request body must be a JSON object", code="bad-json")
    return value


def require_api(role: str = "viewer") -> str:
    """Check the bearer token has ``role``; return the role."""
    return require_role(
        service().store, bearer_token(request.headers.get("Authorization")), role, service().now()
    )


def api_principal(role: str = "viewer") -> Principal:
    """The account a bearer token acts for, with ``role`` or above (its units limit what
    it sees)."""
    return require_principal(
        service().store, bearer_token(request.headers.get("Authorization")), role, service().now()
    )


def node_request() -> tuple[str, Any, bytes]:
    """Verify a node-signed request; return (node, public key, raw body)."""
    body = raw_body(int(current_app.config["MAX_BODY_BYTES"]))
    headers = {k: v for k, v in request.headers.items()}
    node, public = service().node_auth.verify(request.method, request.url, headers, body)
    return node, public, body


def error_response(exc: ApiError) -> ResponseReturnValue:
    payload: dict[str, Any] = {"error": exc.code, "message": exc.message}
    payload.update({k: v for k, v in exc.extra.items() if k not in payload})
    response = jsonify(payload)
    response.status_code = exc.status
    return response


def register_errors(app: Flask) -> None:
    """Every error leaves as JSON ``{error, message}``; unexpected ones are logged as bugs."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> ResponseReturnValue:
        if exc.status in (401, 403):
            log.info("event=refused path=%s status=%d code=%s", request.path, exc.status, exc.code)
        return error_response(exc)

    @app.errorhandler(PgOperationalError)
    @app.errorhandler(PoolTimeout)
    def _database_down(exc: Exception) -> ResponseReturnValue:
        # PostgreSQL unreachable (restart, failover, network): the client retries later; a
        # node's push keeps its backlog and backs off. Nothing was committed.
        log.warning("event=database-unavailable path=%s error=%s", request.path, type(exc).__name__)
        response = jsonify(
            {
                "error": "database-unavailable",
                "message": "the database is not reachable; try again later",
            }
        )
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
        return error_response(TooLarge("request body is too large"))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.code or 400, "bad-request")
        return error_response(ApiError(exc.description or code, code=code, status=exc.code))
