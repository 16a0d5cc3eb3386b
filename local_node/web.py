"""Request plumbing shared by the node's blueprints: JSON bodies, errors, authentication."""

from __future__ import annotations

import hmac
import math
from typing import Any

from flask import Flask, Request, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from sync import jsonin

from . import i18n
from .errors import ApiError, Unauthorized
from .service import NodeService
from .sessions import Session

SESSION_COOKIE = "presensi_session"
DEVICE_COOKIE = "presensi_device"
CSRF_HEADER = "X-CSRF-Token"


def service() -> NodeService:
    svc: NodeService = current_app.extensions["presensi_node"]
    return svc


def lang() -> str:
    return i18n.pick_lang(request.headers.get("Accept-Language"), request.args.get("lang"))


def json_body(req: Request | None = None) -> Any:
    """The request's JSON value; 400/413/415 with a message for anything else."""
    req = req or request
    if req.content_length is not None and req.content_length > current_app.config["MAX_BODY_BYTES"]:
        raise ApiError("request body is too large", code="too-large", status=413)
    if not req.is_json:
        raise ApiError(
            "send the body as application/json", code="unsupported-media-type", status=415
        )
    data = req.get_data(cache=True)
    # A chunked body (no Content-Length) is silently cut at MAX_CONTENT_LENGTH by werkzeug;
    # reaching the cut means the client sent too much, not a shorter, broken JSON text.
    limit = current_app.config["MAX_BODY_BYTES"]
    if len(data) > limit or (req.content_length is None and len(data) >= limit):
        raise ApiError("request body is too large", code="too-large", status=413)
    # The bytes straight to the strict parser (what get_json(force=True) does, minus its
    # layers, plus refusing deep nesting and lone surrogates: sync/jsonin.py).
    try:
        return jsonin.loads(data)
    except jsonin.JsonInputError as exc:
        raise ApiError(str(exc), code="bad-json") from exc


def error_response(exc: ApiError) -> ResponseReturnValue:
    params: dict[str, object] = {}
    if exc.retry_after:
        params["minutes"] = max(1, math.ceil(exc.retry_after / 60))
    text = i18n.message(exc.code, lang(), exc.message, **params)
    payload: dict[str, Any] = {"error": exc.code, "message": text}
    if text != exc.message:
        payload["detail"] = exc.message
    response = jsonify(payload)
    response.status_code = exc.status
    if exc.retry_after:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def current_session(*, state_changing: bool) -> Session:
    """The caller's session from a bearer token, or from the cookie plus the CSRF header."""
    svc = service()
    auth = request.headers.get("Authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Authorization must be 'Bearer TOKEN'")
        session = svc.sessions.lookup(token.strip())
        if session is None:
            raise Unauthorized("token is unknown or expired")
        return session
    token = request.cookies.get(SESSION_COOKIE, "")
    session = svc.sessions.lookup(token) if token else None
    if session is None:
        raise Unauthorized("sign in first")
    if state_changing:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise ApiError("missing or wrong CSRF token", code="csrf", status=403)
    g.session = session
    return session


def register_errors(app: Flask) -> None:
    """Every error leaves as JSON ``{error, message}``; unexpected ones are logged as bugs."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> ResponseReturnValue:
        return error_response(exc)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
        return error_response(ApiError("request body is too large", code="too-large", status=413))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.code or 400, "bad-request")
        return error_response(ApiError(exc.description or code, code=code, status=exc.code))
