"""Central's operations for one data directory: what routes, the CLI and tests call.

``CentralService`` owns the store, the identity and the node authenticator. Nothing here
imports Flask.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .auth import NodeAuth
from .database import open_read_store, open_store
from .datadir import CentralPaths
from .identity import CentralIdentity, load_identity
from .ingest import ReceiptIssuer
from .reports import ReportSettings
from .rotation import earlier_receipt_keys


class CentralService:
    def __init__(
        self, config: dict[str, Any], paths: CentralPaths, clock: Callable[[], float] | None = None
    ) -> None:
        self.config = config
        self.paths = paths
        self.clock: Callable[[], float] = clock or time.time
        self.store = open_store(paths, config)
        self.store.migrate()
        # Reports and the dashboard: a read replica when configured, else the same store.
        self.read_store = open_read_store(paths, config) or self.store
        self.identity: CentralIdentity = load_identity(paths, self.store)
        self.node_auth = NodeAuth(
            self.store, self.identity, max_age=int(config["SIGNATURE_MAX_AGE_S"]), clock=self.clock
        )
        self.issuer = ReceiptIssuer(
            self.identity.name,
            self.identity.key,
            float(config["TIME_TOLERANCE_S"]),
            anchor_grace_s=float(config["ANCHOR_GRACE_S"]),
            fallback_alert_per_day=int(config["FALLBACK_ALERT_PER_DAY"]),
            earlier_keys=earlier_receipt_keys(paths),
        )
        self.report_settings = ReportSettings(
            work_start=str(config["WORK_START"]),
            require_anchor=bool(config["REQUIRE_ANCHOR"]),
            anchor_grace_s=float(config["ANCHOR_GRACE_S"]),
        )

    def now(self) -> float:
        return self.clock()

    def close(self) -> None:
        if self.read_store is not self.store:
            self.read_store.close()
        self.store.close()
