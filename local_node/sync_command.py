"""``presensi-node sync``: one push cycle and one roster pull, now, outside the server."""

from __future__ import annotations

from typing import Any

from sync.timefmt import boot_id

from .central_link import connect
from .config import load_config
from .datadir import NodePaths
from .identity import load_identity, node_name
from .store import Store
from .writer import LogWriter


def sync_once(paths: NodePaths) -> dict[str, Any]:
    """Push and pull once through a writer of this process's own (the server is not running
    or is, in which case SQLite's BEGIN IMMEDIATE orders the two writers' transactions)."""
    config = load_config(paths.root)
    identity = load_identity(paths, node_name(paths))
    store = Store(paths.db)
    store.migrate()
    writer = LogWriter(store, identity.key, boot_id=boot_id())
    try:
        link = connect(paths, config, identity, store, writer)
        try:
            return link.sync_once()
        finally:
            link.client.close()
    finally:
        writer.stop()
        store.close()
