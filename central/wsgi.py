"""The WSGI entry point each server worker loads.

``presensi-central serve`` sets ``PRESENSI_CENTRAL_DATA`` and points granian at
``central.wsgi:serving_app`` as a factory, so every worker opens its own connections after
it starts, never at import.
"""

from __future__ import annotations

import os

from flask import Flask

from . import create_app


def serving_app() -> Flask:
    return create_app(
        {
            "DATA_DIR": os.environ["PRESENSI_CENTRAL_DATA"],
            "DATABASE_URL": os.environ.get("PRESENSI_DATABASE_URL"),
            "READ_DATABASE_URL": os.environ.get("PRESENSI_READ_DATABASE_URL"),
            "TRUSTED_PROXY": os.environ.get("PRESENSI_TRUSTED_PROXY") or None,
        }
    )
