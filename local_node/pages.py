"""The staff page: one small HTML page with inline-free, local-only assets."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from .web import lang, service

bp = Blueprint("pages", __name__)


@bp.get("/")
def staff_page() -> ResponseReturnValue:
    response = current_app.make_response(
        render_template("staff.html", lang=lang(), node=service().identity.name))
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    return response
