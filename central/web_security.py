"""Response headers for central's pages.

The dashboard gets the same headers as the node's pages: a CSP with no inline script or
style (the stylesheet is a static file), ``frame-ancestors 'none'`` so no other site can
frame it, ``nosniff``, no referrer (a password link in the address bar never leaks), and
``Cache-Control: no-store`` on pages behind a sign-in, so a shared computer's cache keeps
nothing. The trusted reverse proxy (``X-Forwarded-*`` from ``TRUSTED_PROXY`` only, which
``presensi-central serve --trusted-proxy ADDR`` sets) is ``central/proxy.py``.
"""

from __future__ import annotations

from flask import Flask, Response, request

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith(("/dashboard", "/saya")):
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        # Every dashboard page is either behind a sign-in or a form with a CSRF token.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask) -> None:
    """Register the security headers on every response."""
    app.after_request(_headers)
