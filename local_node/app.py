"""The node app factory: a Flask app over a signed, hash-chained SQLite log."""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any

from flask import Flask

from . import admin_pages, api, assets, my_sessions, ops, pages
from .config import load_config
from .datadir import NodePaths
from .identity import load_identity, node_name
from .service import NodeService
from .web import register_errors


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the node app for the data directory ``config["DATA_DIR"]``.

    Opens the database; the scheduler and zeroconf start only
    when the config asks (``presensi-node serve`` does). Raises IdentityError when the node's
    key or certificates are missing or invalid.
    """

    overrides = dict(config or {})
    data_dir = Path(overrides.pop("DATA_DIR"))
    settings = load_config(data_dir, overrides)
    paths = NodePaths(data_dir)
    identity = load_identity(paths, node_name(paths))
    svc = NodeService(settings, paths, identity, clock=settings.get("CLOCK"))
    svc.start()

    app = Flask(__name__)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_BODY_BYTES"]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["presensi_node"] = svc
    register_errors(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(my_sessions.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(pages.bp)
    admin_pages.install(app)
    assets.install(app)
    if settings["START_SCHEDULER"]:
        from .jobs import start_jobs

        app.extensions["presensi_scheduler"] = start_jobs(svc, settings)
    if settings["START_ZEROCONF"]:
        from .discovery import start_announcing

        announcement = start_announcing(svc, settings)
        app.extensions["presensi_zeroconf"] = announcement
        if announcement is not None:
            atexit.register(announcement.close)
    return app
