"""Running central under its production server.

Granian (WSGI) with several worker processes, each with a pool of request threads. Workers
share nothing but ``central.db`` (WAL; every consistent write is one ``BEGIN IMMEDIATE``
transaction, nonces have a primary key), so any number of them is safe.
"""

from __future__ import annotations

import os

from granian import Granian
from granian.constants import Interfaces

from sync.serve_guard import ServeRefused, check_port_free, lock_data_dir

from .datadir import CentralPaths
from .errors import CentralError
from .identity import load_identity
from .store import SqliteStore


def serve(paths: CentralPaths, *, host: str, port: int, workers: int = 2,
          threads: int = 16, trusted_proxy: str | None = None) -> int:
    """Check the data directory and migrate here (clear message, exit 2), then serve."""
    if not paths.root.is_dir():
        raise CentralError(f"{paths.root} is not a central data directory; run "
                           f"'presensi-central init --data {paths.root}' first")
    try:
        # Held until this process and its workers exit (sync/serve_guard.py).
        lock_data_dir(paths.root)
        check_port_free(host, port)
    except ServeRefused as exc:
        raise CentralError(str(exc)) from exc
    store = SqliteStore(paths.db)
    try:
        if paths.db.exists():
            store.migrate()
        load_identity(paths, store)
    finally:
        store.close()
    os.environ["PRESENSI_CENTRAL_DATA"] = str(paths.root.resolve())
    if trusted_proxy:
        os.environ["PRESENSI_TRUSTED_PROXY"] = trusted_proxy
    print(f"event=serve central_data={paths.root} url=http://{host}:{port}/ workers={workers}",
          flush=True)
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
