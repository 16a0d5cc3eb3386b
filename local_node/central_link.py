"""The node's link to central: one client, the log pusher and the roster puller, wired from
the node's configuration and identity.

``connect`` is the one place that reads ``CENTRAL_URL``, ``CENTRAL_ID``, ``BATCH_SIZE`` and
``certs/central.pem``; the serving process's jobs (``local_node/jobs.py``) and
``presensi-node sync`` (``local_node/sync_command.py``) both start from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.client import CentralClient

from .central_keys import CentralKey
from .datadir import NodePaths
from .errors import NodeError
from .identity import NodeIdentity
from .log_push import LogPusher
from .roster_pull import RosterPuller
from .store import Store
from .writer import Appender


class NotConfigured(NodeError):
    """The node has no central to sync with (no CENTRAL_URL or no certs/central.pem)."""


@dataclass(frozen=True)
class CentralLink:
    """A pusher and a puller over one client to central."""

    client: CentralClient
    pusher: LogPusher
    puller: RosterPuller

    def push_then_roster(self) -> dict[str, Any]:
        """The push job: a push cycle, then a roster pull at once when the batch answer said
        central has a newer roster (a PIN change travels with the next push, not the next
        hourly pull)."""
        result = self.pusher.push()
        announced = self.pusher.central_roster_version
        if announced is not None and announced > self.puller.installed_central_version():
            self.puller.pull()
        return result

    def sync_once(self) -> dict[str, Any]:
        """A push cycle, then a roster pull."""
        result = self.pusher.push()
        installed = self.puller.pull()
        result["roster_installed"] = installed["body"]["version"] if installed else None
        result["roster_version"] = self.puller.installed_central_version()
        return result


def central_settings(
    paths: NodePaths, config: dict[str, Any], identity: NodeIdentity
) -> tuple[str, Ed25519PublicKey, str | None]:
    """(central URL, central's public key, central id) or NotConfigured saying what is missing."""
    url = config.get("CENTRAL_URL")
    if not url:
        raise NotConfigured(
            f"no CENTRAL_URL in {paths.config}; enroll with "
            "presensi-node init --central URL --token T, or add it there"
        )
    if identity.central is None:
        raise NotConfigured(
            f"{paths.central} is missing: central's receipts and rosters "
            "cannot be verified without it"
        )
    public = identity.central.public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise NotConfigured(f"{paths.central} does not hold an Ed25519 key")
    central_id = config.get("CENTRAL_ID")
    return str(url), public, str(central_id) if central_id else None


def connect(
    paths: NodePaths, config: dict[str, Any], identity: NodeIdentity, store: Store, writer: Appender
) -> CentralLink:
    """The link to central for this node, appending through ``writer``. Raises NotConfigured."""
    url, central_key, central_id = central_settings(paths, config, identity)
    epoch = store.meta("epoch")
    if not epoch:
        raise NodeError(f"{paths.db} has no epoch; run presensi-node init")
    tls_ca = config.get("CENTRAL_TLS_CA")
    client = CentralClient(
        url, identity.name, identity.key, verify=str(paths.root / tls_ca) if tls_ca else True
    )
    keys = CentralKey(
        central_key, client=client, writer=writer, central_id=central_id, cert_path=paths.central
    )
    pusher = LogPusher(
        store,
        writer,
        client,
        central_key,
        node=identity.name,
        epoch=epoch,
        central_id=central_id,
        batch_size=int(config.get("BATCH_SIZE", 1000)),
        keys=keys,
    )
    puller = RosterPuller(
        store,
        writer,
        client,
        central_key,
        central_id=central_id,
        on_failure=pusher.failed,
        keys=keys,
    )
    return CentralLink(client, pusher, puller)
