"""Plumbing shared by the dashboard pages: the signed-in official, CSRF on every form, and
errors rendered as a page in Bahasa Indonesia.

The session cookie holds a random token whose hash is a row in ``account_sessions`` (never
an API token): HttpOnly, SameSite=Strict, path ``/dashboard`` (the API ignores it), and
``Secure`` whenever the request came over TLS (also through the trusted proxy). Every form
carries a CSRF token: the session's own once signed in, before that a random value also held
in a cookie (double submit). Form posts that a browser marks cross-site are refused as well.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from .accounts import LoginLimits, Principal, session_of
from .errors import ApiError, Forbidden, Unauthorized
from .web import service

SESSION_COOKIE = "presensi_central_session"
FORM_COOKIE = "presensi_central_form"
COOKIE_PATH = "/dashboard"


# Pages speak Bahasa Indonesia; shared validation raises English messages for the API.
PAGE_MESSAGES = {
    "bad-node": "node tidak dikenal: pakai nama node seperti kec-alalak",
    "bad-kind": "jenis peringatan tidak dikenal",
    "bad-state": "status harus terbuka, sudah ditindaklanjuti, atau semua",
    "bad-page": "nomor halaman tidak sah",
    "bad-per_page": "jumlah baris per halaman tidak sah",
    "unknown-alert": "peringatan itu tidak ada",
    "already-acknowledged": "peringatan itu sudah ditindaklanjuti",
    "forbidden-role": "peran akun Anda tidak mengizinkan tindakan ini",
}


class SignInNeeded(Unauthorized):
    code = "sign-in-needed"


def now() -> float:
    return service().now()


def setting(key: str) -> Any:
    return service().config[key]


def limits() -> LoginLimits:
    return LoginLimits(
        per_account=int(setting("LOGIN_MAX_PER_ACCOUNT")),
        per_address=int(setting("LOGIN_MAX_PER_ADDRESS")),
        window_s=float(setting("LOGIN_WINDOW_MIN")) * 60,
        lock_s=float(setting("LOGIN_LOCK_MIN")) * 60,
    )


def client_address() -> str:
    return request.remote_addr or "unknown"


def signed_in() -> tuple[Principal, str] | None:
    """(principal, csrf) of this browser's session, looked up once per request."""
    if "official" not in g:
        g.official = session_of(service().store, request.cookies.get(SESSION_COOKIE), now())
    found: tuple[Principal, str] | None = g.official
    return found


def require_official(role: str = "viewer") -> Principal:
    """The signed-in official with ``role`` or above; SignInNeeded shows the sign-in form."""
    found = signed_in()
    if found is None:
        raise SignInNeeded("silakan masuk terlebih dahulu")
    who = found[0]
    if not who.can(role):
        raise Forbidden("halaman ini memerlukan peran " + role, code="forbidden-role")
    return who


def _refuse_cross_site() -> None:
    """Browsers send ``Sec-Fetch-Site`` and ``Origin`` on POSTs; only the host is compared,
    so a proxy that terminates TLS in front of central does not break the forms."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        raise Forbidden("kiriman formulir dari situs lain ditolak", code="csrf")
    origin = request.headers.get("Origin")
    # Under ``Referrer-Policy: no-referrer`` Chromium sends ``Origin: null`` even on a
    # same-origin form post; it is believed only together with ``Sec-Fetch-Site:
    # same-origin``, a header no page can set.
    if origin == "null" and site == "same-origin":
        return
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise Forbidden("kiriman formulir dari situs lain ditolak", code="csrf")


def _same(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(
        str(given).encode("utf-8", "surrogatepass"), str(expected).encode("utf-8", "surrogatepass")
    )


def check_form() -> None:
    """Refuse a sign-in or password-link form post without the CSRF value of its cookie."""
    _refuse_cross_site()
    if not _same(request.form.get("csrf"), request.cookies.get(FORM_COOKIE)):
        raise Forbidden("token formulir tidak cocok; muat ulang halaman", code="csrf")


def check_official_form(role: str = "viewer") -> Principal:
    """Refuse a signed-in page's form post without the session's CSRF token; return the
    official when their role is ``role`` or above."""
    _refuse_cross_site()
    found = signed_in()
    if found is None:
        raise SignInNeeded("sesi berakhir; silakan masuk lagi")
    if not _same(request.form.get("csrf"), found[1]):
        raise Forbidden("token formulir tidak cocok; muat ulang halaman", code="csrf")
    return require_official(role)


def form_token() -> str:
    """The CSRF value for a pre-sign-in form (set as a cookie by ``page``)."""
    if "form_token" not in g:
        g.form_token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    return str(g.form_token)


def page(template: str, status: int = 200, *, presign: bool = False, **context: Any) -> Response:
    """Render a page with the signed-in official (if any) and the CSRF token its forms
    send: the session's, or for a ``presign`` form (sign-in, password link) or a browser
    with no session the form cookie's, whatever session the browser holds."""
    found = signed_in()
    use_form = presign or not found
    response = Response(
        render_template(
            template,
            who=found[0] if found else None,
            csrf=form_token() if use_form else found[1],  # type: ignore[index]
            session_csrf=found[1] if found else None,
            **context,
        ),
        status=status,
        mimetype="text/html",
    )
    if use_form and "form_token" in g and request.cookies.get(FORM_COOKIE) != g.form_token:
        response.set_cookie(
            FORM_COOKIE,
            g.form_token,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
            path=COOKIE_PATH,
        )
    return response


def set_session_cookie(response: Response, token: str) -> None:
    hours = float(setting("DASHBOARD_SESSION_HOURS"))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path=COOKIE_PATH,
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="Strict", secure=request.is_secure
    )


def install_page_errors(bp: Blueprint) -> None:
    """Errors raised by a page's route become a page (not JSON) with the same status."""

    @bp.errorhandler(ApiError)
    def _page_error(exc: ApiError) -> ResponseReturnValue:
        if isinstance(exc, Unauthorized):
            g.pop("official", None)
            return page(
                "signin.html",
                401,
                presign=True,
                error=None if isinstance(exc, SignInNeeded) else exc.message,
                next_url=request.path,
            )
        response = page(
            "error.html",
            exc.status,
            code=exc.code,
            message=PAGE_MESSAGES.get(exc.code, exc.message),
        )
        if "retry_after" in exc.extra:
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response
