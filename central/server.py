"""Running central under its production server.

Granian (WSGI) with several worker processes, each with a pool of request threads. Workers
share nothing but the database: ``central.db`` (WAL; every consistent write is one
``BEGIN IMMEDIATE`` transaction, nonces have a primary key) or PostgreSQL (row locks, see
``central/store/postgresql.py``), so any number of them, and of servers on one PostgreSQL, is
safe.
"""

from __future__ import annotations

import os

from granian import Granian
from granian.constants import Interfaces

from sync.serve_guard import ServeRefused, check_port_free, lock_data_dir

from .config import load_config
from .database import is_created, open_store
from .datadir import CentralPaths
from .errors import CentralError
from .identity import load_identity


def serve(
    paths: CentralPaths,
    *,
    host: str,
    port: int,
    workers: int = 2,
    threads: int = 16,
    database: str | None = None,
    read_database: str | None = None,
    trusted_proxy: str | None = None,
) -> int:
    """Check the data directory and migrate here (clear message, exit 2), then serve.

    ``database``, ``read_database``: PostgreSQL URLs overriding those ``init`` recorded.
    """
    if not paths.root.is_dir():
        raise CentralError(
            f"{paths.root} is not a central data directory; run "
            f"'presensi-central init --data {paths.root}' first"
        )
    try:
        # Held until this process and its workers exit (sync/serve_guard.py).
        lock_data_dir(paths.root)
        check_port_free(host, port)
    except ServeRefused as exc:
        raise CentralError(str(exc)) from exc
    config = load_config(paths.root, {"DATABASE_URL": database})
    if is_created(paths, config):
        store = open_store(paths, config)
        try:
            store.migrate()
            load_identity(paths, store)
        finally:
            store.close()
    else:
        load_identity(paths, None)
    if database:
        os.environ["PRESENSI_DATABASE_URL"] = database  # the workers' create_app reads it
    if read_database:
        os.environ["PRESENSI_READ_DATABASE_URL"] = read_database
    os.environ["PRESENSI_CENTRAL_DATA"] = str(paths.root.resolve())
    if trusted_proxy:
        os.environ["PRESENSI_TRUSTED_PROXY"] = trusted_proxy
    print(
        f"event=serve central_data={paths.root} url=http://{host}:{port}/ workers={workers}",
        flush=True,
    )
    Granian(
        "central.wsgi:serving_app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=max(1, workers),
        blocking_threads=max(1, threads),
        backlog=2048,
        factory=True,
        log_access=False,
    ).serve()
    return 0
