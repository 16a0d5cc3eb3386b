"""The staff page's files, gzip-compressed: static files once, served from memory.

At 07:30 thousands of phones load the page over one crowded office Wi-Fi: app.js and
app.css travel gzipped (about a third of their size) to every browser that accepts it, which
all phone browsers do. Each file is read and compressed once per version on disk (keyed by
its mtime and size, so an edited file is served fresh), never per request. Versioned URLs
(``?v=<content hash>``, see ``pages.asset``) may be cached for a year.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

LONG_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None when gzip would not make it smaller
    digest: str
    mimetype: str


@cache
def load(path: Path, mtime_ns: int, size: int) -> Asset:
    body = path.read_bytes()
    # mtime=0: the same bytes for the same file, so the compressed form's ETag is stable.
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    # The type as Flask's own static view gives it (werkzeug adds the charset to text/*).
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Asset(
        body,
        packed if len(packed) < len(body) else None,
        hashlib.sha256(body).hexdigest()[:12],
        mimetype,
    )


def lookup(folder: str | Path, filename: str) -> Asset:
    """The static file ``filename`` under ``folder``; NotFound for anything else."""
    joined = safe_join(str(folder), filename)
    path = Path(joined) if joined else None
    if path is None or not path.is_file():
        raise NotFound(f"no such file: {filename}")
    stat = path.stat()
    return load(path, stat.st_mtime_ns, stat.st_size)


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def serve_static(filename: str) -> ResponseReturnValue:
    asset = lookup(current_app.static_folder or "static", filename)
    packed = asset.gzipped if _accepts_gzip() else None
    response = Response(packed or asset.body, mimetype=asset.mimetype)
    # The two encodings are different representations: each has its own strong ETag.
    response.set_etag(asset.digest + ("-gz" if packed else ""))
    if packed:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = LONG_CACHE if request.args.get("v") else "no-cache"
    return response.make_conditional(request)


def compress_page(response: Response) -> Response:
    """Gzip a rendered page (a few KB, made per request) for a browser that accepts it."""
    response.vary.add("Accept-Encoding")
    if _accepts_gzip() and response.status_code == 200:
        response.set_data(gzip.compress(response.get_data(), compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
    return response


def install(app: Flask) -> None:
    """Serve ``/static/...`` (endpoint ``static``, as ``url_for`` knows it) from memory."""
    app.view_functions["static"] = serve_static
