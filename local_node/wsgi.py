"""The WSGI entry point the production server loads in the serving process.

``presensi-node serve`` sets ``PRESENSI_NODE_DATA`` (and friends) and points the server at
``local_node.wsgi:serving_app`` as a factory, so the database, the writer, the scheduler and
zeroconf start in the one process that serves, never at import.
"""

from __future__ import annotations

import os

from flask import Flask

from .app import create_app


def serving_app() -> Flask:
    port = os.environ.get("PRESENSI_NODE_PORT")
    return create_app(
        {
            "DATA_DIR": os.environ["PRESENSI_NODE_DATA"],
            "WRITE_BOOT_RECORD": True,
            "WRITER_PROCESS": True,
            "START_SCHEDULER": os.environ.get("PRESENSI_NODE_SCHEDULER", "1") == "1",
            "START_ZEROCONF": os.environ.get("PRESENSI_NODE_ZEROCONF", "1") == "1",
            "PUBLIC_PORT": int(port) if port else None,
        }
    )
