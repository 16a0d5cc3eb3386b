"""The roster pull: install central's signed roster when it is newer than the installed one.

Runs as its own scheduler job (``local_node/jobs.py``), right after a push whose answer
announced a newer version, and once in ``presensi-node sync``. The document is verified with
central's key before anything is installed; a node keeps working on its last verified roster.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.canonical import canonical_bytes
from sync.client import CentralClient
from sync.errors import Error, RosterError
from sync.rosterdoc import verify_roster_doc

from . import roster, sync_state
from .central_keys import CentralKey
from .store import Store
from .writer import Appender

log = logging.getLogger(__name__)


class RosterPuller:
    """Pulls and installs central's roster through ``writer``; ``on_failure`` hears every
    failed pull (the pusher then asks central where it stands, as after a failed push)."""

    def __init__(
        self,
        store: Store,
        writer: Appender,
        client: CentralClient,
        central_key: Ed25519PublicKey,
        *,
        central_id: str | None,
        on_failure: Callable[[Exception], None],
        keys: CentralKey | None = None,
    ) -> None:
        self.store = store
        self.writer = writer
        self.client = client
        self.central_key = central_key
        self.central_id = central_id
        self.on_failure = on_failure
        self.keys = keys or CentralKey(
            central_key, client=client, writer=writer, central_id=central_id
        )

    def installed_central_version(self) -> int:
        """The version of the newest roster from central in our log (0 for none)."""
        for body in roster.roster_bodies(self.store):
            if body.get("source") == "central" and isinstance(body.get("version"), int):
                return int(body["version"])
        return 0

    def pull(self) -> dict[str, Any] | None:
        """Install central's roster when its version is newer; return the roster record."""
        try:
            return self._pull()
        except Error as exc:
            self.on_failure(exc)
            raise

    def _pull(self) -> dict[str, Any] | None:
        since = self.installed_central_version()
        doc = self.client.roster(since)
        if doc is None:
            return None
        self.keys.verify(lambda key: verify_roster_doc(doc, key))
        if self.central_id is not None and doc["central"] != self.central_id:
            raise RosterError(f"roster is from {doc['central']!r}, not {self.central_id!r}")
        if doc["version"] <= since:
            raise RosterError(
                f"central offered roster version {doc['version']}, "
                f"not newer than installed {since}; keeping ours"
            )
        employees = [
            roster.Employee(e["nip"], e["name"], e["unit"], e["role"], e["pin_hash"])
            for e in doc["employees"]
        ]
        body = {
            "version": doc["version"],
            "source": "central",
            "sha256": hashlib.sha256(canonical_bytes(doc)).hexdigest(),
            "count": len(employees),
        }
        record = roster.install(self.writer, employees, body)
        sync_state.save(self.store, roster_version=str(doc["version"]))
        log.info("event=roster-installed version=%d count=%d", doc["version"], len(employees))
        return record
