"""The staff API (docs/contract.md section 2, Contract): sessions and check-ins."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import quote

import segno
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from .addresses import phone_base
from .checkins import check_idempotency_key
from .errors import ApiError, Unauthorized
from .kiosk import WINDOW_S
from .lan_trust import CHALLENGE_RE, challenge_message
from .my_sessions import device_label
from .sessions import Session
from .web import DEVICE_COOKIE, SESSION_COOKIE, current_session, json_body, service

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _record_response(text: str, status: int) -> Response:
    # The serialised record is the employee's proof: send its exact bytes, not a re-encoding.
    return Response(text, status=status, mimetype="application/json")


@bp.post("/session")
def create_session() -> ResponseReturnValue:
    payload = json_body()
    if not isinstance(payload, dict):
        payload = {}
    device = request.cookies.get(DEVICE_COOKIE) or payload.get("device")
    token, session, employee = service().sign_in(
        payload.get("nip"),
        payload.get("pin"),
        device if isinstance(device, str) else None,
        request.remote_addr or "?",
        device_label(request.headers.get("User-Agent")),
    )
    response = jsonify(
        {
            "token": token,
            "csrf": session.csrf,
            "device": session.device,
            "employee": {
                "nip": employee.nip,
                "name": employee.name,
                "unit": employee.unit,
                "role": employee.role,
            },
        }
    )
    secure = request.is_secure
    max_age = service().sessions.lifetime
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="Strict", secure=secure
    )
    response.set_cookie(
        DEVICE_COOKIE,
        session.device,
        max_age=5 * 365 * 86400,
        httponly=True,
        samesite="Strict",
        secure=secure,
    )
    return response, 201


@bp.delete("/session")
def end_session() -> ResponseReturnValue:
    current_session(state_changing=True)
    auth = request.headers.get("Authorization", "")
    token = auth.partition(" ")[2].strip() if auth else request.cookies.get(SESSION_COOKIE, "")
    service().sessions.end(token)
    response = jsonify({"ok": True})
    response.delete_cookie(SESSION_COOKIE)
    return response


@bp.get("/me")
def me() -> ResponseReturnValue:
    session = current_session(state_changing=False)
    employee = service().employee(session.nip)
    return jsonify(
        {
            "nip": session.nip,
            "csrf": session.csrf,
            "name": employee.name if employee else None,
            "unit": employee.unit if employee else None,
            "role": employee.role if employee else None,
            "node": service().identity.name,
        }
    )


def _checkin(
    make: Callable[[Session, Any, str | None], tuple[Any, str, bool]],
) -> ResponseReturnValue:
    """What every check-in route does around ``make(session, payload, idempotency_key)``."""
    session = current_session(state_changing=True)
    idem = check_idempotency_key(request.headers.get("Idempotency-Key"))
    payload = json_body()
    _, text, created = make(session, payload, idem)
    return _record_response(text, 201 if created else 200)


@bp.post("/checkins")
def create_checkin() -> ResponseReturnValue:
    return _checkin(service().check_in)


@bp.post("/checkins/witness")
def create_witness_checkin() -> ResponseReturnValue:
    """On a colleague's phone: the owner's NIP and PIN, the colleague's session."""
    addr = request.remote_addr or "?"
    response = cast(
        Response,
        _checkin(
            lambda session, payload, idem: service().witness_check_in(session, payload, idem, addr)
        ),
    )
    # The owner's name for the page ("Tercatat untuk rekan"), only now that their PIN matched;
    # a header, so the body stays the exact signed bytes.
    owner = service().employee(json.loads(response.get_data())["body"]["nip"])
    if owner is not None:
        response.headers["X-Employee-Name"] = quote(owner.name)
    return response


@bp.post("/checkins/manual")
def create_manual_checkin() -> ResponseReturnValue:
    """The unit head's manual list: a check-in for a member of the head's unit."""
    return _checkin(service().manual_check_in)


@bp.get("/unit")
def unit_today() -> ResponseReturnValue:
    session = current_session(state_changing=False)
    return jsonify(service().unit_today(session))


@bp.get("/kiosk/code")
def kiosk_code() -> ResponseReturnValue:
    """The code the office screen shows now, as text, as the URL phones open and as a QR code.

    Only for the kiosk screen: ``Authorization: Bearer`` with the display token that
    ``presensi-node kiosk`` prints (in the screen's URL fragment, never sent in a URL).
    """
    svc = service()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    allowed = svc.kiosk.display_allowed(token.strip())  # 409 before the kiosk is set up
    if scheme.lower() != "bearer" or not allowed:
        raise Unauthorized(
            "this screen is not the office kiosk (wrong or old display token)", code="kiosk-token"
        )
    now = time.time()
    code = svc.kiosk.code_at(now)
    url = f"{phone_base(current_app.config, request.host_url)}/?kiosk={code}"
    response = jsonify(
        {
            "code": code,
            "url": url,
            "window_s": WINDOW_S,
            "expires_in": round(WINDOW_S - now % WINDOW_S, 1),
            "qr_svg": segno.make(url, error="m").svg_data_uri(scale=8, border=2),
            # The node's clock (Unix seconds): the screen shows the date and time from it, since
            # a cheap office monitor's own clock is often wrong and staff read the time there.
            "now": round(now, 3),
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/checkins/today")
def checkins_today() -> ResponseReturnValue:
    session = current_session(state_changing=False)
    texts = service().today(session.nip)
    return Response('{"records":[' + ",".join(texts) + "]}", mimetype="application/json")


@bp.get("/node")
def node_info() -> ResponseReturnValue:
    """Who this node is: what a phone or verifier needs to check the proofs it got.

    With ``?challenge=NONCE`` the answer also signs the nonce with the node key, so
    ``presensi-node discover`` on another node can tell the key holder from a copy of the
    (public) certificate (local_node/lan_trust.py).
    """
    svc = service()
    public = svc.identity.cert.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    answer = {
        "node": svc.identity.name,
        "fingerprint": svc.identity.fingerprint,
        "public_key_pem": public.decode("ascii"),
        "certificate_pem": svc.identity.cert.public_bytes(Encoding.PEM).decode("ascii"),
    }
    challenge = request.args.get("challenge")
    if challenge is not None:
        if not CHALLENGE_RE.fullmatch(challenge):
            raise ApiError(
                "challenge must be 16-128 characters of A-Z a-z 0-9 _ -", code="bad-challenge"
            )
        signature = svc.identity.key.sign(challenge_message(challenge))
        answer["challenge_sig"] = base64.b64encode(signature).decode("ascii")
    return jsonify(answer)
