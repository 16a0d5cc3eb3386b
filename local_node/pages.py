"""The staff page: one small HTML page with inline-free, local-only assets."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from . import assets, i18n
from .addresses import office_name
from .central_page_link import central_page_url
from .web import service

bp = Blueprint("pages", __name__)


def asset(filename: str) -> str:
    """The URL of a static file with its content hash (``?v=``), so it may be cached for a
    year: a new release changes the hash, so a phone never keeps a stale app.js yet never
    re-downloads an unchanged one."""
    digest = assets.lookup(current_app.static_folder or "static", filename).digest
    return url_for("static", filename=filename, v=digest)


@bp.get("/")
def staff_page() -> ResponseReturnValue:
    return _page(
        "staff.html",
        central_page=central_page_url(current_app.config, service().store, datetime.now(UTC)),
    )


@bp.get("/kiosk")
def kiosk_page() -> ResponseReturnValue:
    """The office screen: shows the rotating code; its key is in the URL fragment (#t=...)."""
    return _page("kiosk.html")


def _page(template: str, **extra: object) -> ResponseReturnValue:
    # Indonesian unless the URL asks for English: the page itself offers the ID/EN toggle
    # (remembered on the phone), so a phone set to English still opens in Bahasa Indonesia.
    page_lang = i18n.pick_lang(None, request.args.get("lang"))
    response = current_app.make_response(
        render_template(
            template,
            lang=page_lang,
            asset=asset,
            node=office_name(current_app.config, service().identity.name),
            pulang_hold=int(current_app.config["PULANG_CONFIRM_MIN"]),
            **extra,
        )
    )
    _page_headers(response)
    return assets.compress_page(response)


def _page_headers(response: Response) -> None:
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
