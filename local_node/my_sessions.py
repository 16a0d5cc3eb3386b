"""A staff member's own sessions: list them, end the others ("Keluar dari semua perangkat").

For the phone that was lost, lent or sold: from any phone still signed in, the employee sees
where they are signed in and ends every other session at once (in every process: the store's
session generation). The device id is opaque; the label is the browser and system read from
the User-Agent at sign-in, only to help the employee tell their phones apart.
"""

from __future__ import annotations

import re

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from .web import SESSION_COOKIE, current_session, service

bp = Blueprint("my_sessions", __name__, url_prefix="/api/v1")

_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
# Order matters: Edge and Samsung Internet also say Chrome; Chrome also says Safari.
_BROWSERS = (
    ("EdgA?/", "Edge"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("OPR/", "Opera"),
    ("Firefox/|FxiOS/", "Firefox"),
    ("Chrome/|CriOS/", "Chrome"),
    ("Safari/", "Safari"),
)


def device_label(user_agent: str | None) -> str | None:
    """``Chrome · Android`` from a User-Agent, or None when neither part is recognised."""
    ua = (user_agent or "")[:512]
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, ua)), None)
    system = next((name for token, name in _SYSTEMS if token in ua), None)
    parts = [p for p in (browser, system) if p]
    return " · ".join(parts) or None


def _token() -> str:
    """The caller's token, from the Authorization header or the session cookie."""
    auth = request.headers.get("Authorization", "")
    return auth.partition(" ")[2].strip() if auth else request.cookies.get(SESSION_COOKIE, "")


@bp.get("/sessions")
def list_sessions() -> ResponseReturnValue:
    session = current_session(state_changing=False)
    return jsonify({"sessions": service().sessions.list_for(session.nip, _token())})


@bp.post("/sessions/end-others")
def end_other_sessions() -> ResponseReturnValue:
    session = current_session(state_changing=True)
    ended = service().sessions.end_others(session.nip, _token())
    return jsonify({"ended": ended})
