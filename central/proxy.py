"""Behind a TLS-terminating reverse proxy: believe ``X-Forwarded-*`` from it, from no one else.

A node signs the target URI it sends to (RFC 9421 ``@target-uri``), e.g.
``https://presensi.baritokualakab.go.id/api/v1/batches``; nginx passes the request on as
``http://127.0.0.1:8700/api/v1/batches``. Central checks the signature over the URI the node
used, so it rebuilds it from ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` (and takes the
client address from ``X-Forwarded-For``) only when the TCP peer is a configured
``TRUSTED_PROXY``. From any other peer the headers are ignored: a client talking to central
directly cannot claim another scheme or host (or address), and a signature made for the
proxy's URI does not verify there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def trusted_addresses(setting: Any) -> frozenset[str]:
    """``TRUSTED_PROXY``: one address, a comma-separated list or a JSON list; None: none."""
    if setting is None or setting == "":
        return frozenset()
    items: Iterable[Any] = setting.split(",") if isinstance(setting, str) else setting
    return frozenset(str(item).strip() for item in items if str(item).strip())


class TrustedProxy:
    """WSGI middleware: ``ProxyFix`` (one proxy hop) for requests from ``trusted`` peers."""

    def __init__(self, app: WSGIApplication, trusted: frozenset[str]) -> None:
        self.app = app
        self.trusted = trusted
        # One hop: the proxy appends the client to X-Forwarded-For and sets Proto and Host
        # itself, so the last value of each is the one it vouches for.
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=0, x_prefix=0)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REMOTE_ADDR") in self.trusted:
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
