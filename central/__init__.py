"""Central: enrollment, verified ingest, signed receipts, the roster and reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from . import (
    alerts_api,
    api,
    dashboard,
    employee_pages,
    keys_api,
    month_pages,
    objection_pages,
    objections_api,
    official_pages,
    ops,
    overlay_pages,
    overview_pages,
    recap_api,
    signin_pages,
    trust_api,
)
from .config import load_config
from .datadir import CentralPaths
from .i18n import init_i18n
from .proxy import TrustedProxy, trusted_addresses
from .service import CentralService
from .web import register_errors
from .web_security import init_security


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the central app for the data directory ``config["DATA_DIR"]``.

    ``config`` may also hold ``CLOCK`` (a callable returning epoch seconds, for tests) and
    any key of ``central.config.DEFAULTS``. Raises SetupError when the data directory was
    not initialised with ``presensi-central init``.
    """
    overrides = dict(config or {})
    data_dir = Path(overrides.pop("DATA_DIR"))
    clock = overrides.pop("CLOCK", None)
    settings = load_config(data_dir, overrides)
    svc = CentralService(settings, CentralPaths(data_dir), clock=clock)

    app = Flask(__name__)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_BODY_BYTES"]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    # Page text is written as {{ _("Bahasa Indonesia") }}; ?lang=en gives English.
    init_i18n(app)
    app.extensions["presensi_central"] = svc
    register_errors(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(trust_api.bp)
    app.register_blueprint(recap_api.bp)
    app.register_blueprint(alerts_api.bp)
    app.register_blueprint(signin_pages.bp)
    app.register_blueprint(official_pages.bp)
    app.register_blueprint(employee_pages.bp)
    app.register_blueprint(objection_pages.bp)
    app.register_blueprint(objections_api.bp)
    app.register_blueprint(overview_pages.bp)
    app.register_blueprint(month_pages.bp)
    app.register_blueprint(overlay_pages.bp)
    init_security(app)

    app.register_blueprint(ops.bp)
    app.register_blueprint(keys_api.bp)
    trusted = trusted_addresses(settings.get("TRUSTED_PROXY"))
    if trusted:
        app.wsgi_app = TrustedProxy(app.wsgi_app, trusted)  # type: ignore[method-assign]
    return app
