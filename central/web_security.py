"""Response headers for central's pages and the trusted reverse proxy.

The dashboard gets the same headers as the node's pages: a CSP with no inline script or
style (the stylesheet is a static file), ``frame-ancestors 'none'`` so no other site can
frame it, ``nosniff``, no referrer (a password link in the address bar never leaks), and
``Cache-Control: no-store`` on pages behind a sign-in, so a shared computer's cache keeps
nothing. ``X-Forwarded-For``/``-Proto`` are honoured only from ``TRUSTED_PROXY``
(``presensi-central serve --trusted-proxy ADDR``): from anyone else they are ignored, so a
client cannot fake its address (the sign-in lockout counts per address) or claim TLS.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")


class TrustedProxy:
    """Apply ``ProxyFix`` only to requests whose peer is the trusted proxy address."""

    def __init__(self, app: Any, proxy_addr: str) -> None:
        self.app = app
        self.proxy_addr = proxy_addr
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=0, x_port=0, x_prefix=0)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("REMOTE_ADDR") == self.proxy_addr:
            return self.fixed(environ, start_response)
        answer: Iterable[bytes] = self.app(environ, start_response)
        return answer


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith("/dashboard"):
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        # Every dashboard page is either behind a sign-in or a form with a CSRF token.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask, trusted_proxy: str | None) -> None:
    """Register the headers and, when configured, the trusted proxy."""
    app.after_request(_headers)
    if trusted_proxy:
        app.wsgi_app = TrustedProxy(app.wsgi_app, trusted_proxy)  # type: ignore[method-assign]
