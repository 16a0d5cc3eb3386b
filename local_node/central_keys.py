"""The node follows a change of central's receipt key (sync/keyannounce.py).

When a receipt or roster from central does not verify with the key in ``certs/central.pem``,
the syncer asks central for its key announcements and follows them from the key it trusts,
each step signed by the key before it. If the chain ends at a key that verifies what central
sent, the node records every announcement in its log (an ``admin`` record: the evidence of
why later anchors carry another key's signature), then installs the new certificate as
``certs/central.pem``. Anything else leaves the trusted key as it was, and the receipt is
refused as before.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certs.authority import load_cert
from certs.keys import write_pem
from certs.verify import fingerprint_sha256
from sync.client import CentralClient
from sync.errors import ProtocolError, ReceiptError, RosterError, SyncError
from sync.keyannounce import follow_announcements

from .writer import Appender

log = logging.getLogger(__name__)

T = TypeVar("T")


def adopt_announced_key(
    client: CentralClient,
    writer: Appender,
    trusted: Ed25519PublicKey,
    central_id: str | None,
    cert_path: Path | None,
    check: Callable[[Ed25519PublicKey], T],
) -> tuple[Ed25519PublicKey, T] | None:
    """(the new key, ``check(new key)``) when central announced, under the trusted key, a key
    that passes ``check``; None when there is nothing to follow or it does not pass."""
    try:
        chain: list[dict[str, Any]] = follow_announcements(
            trusted, client.central_keys(), central_id
        )
    except (SyncError, ProtocolError) as exc:
        log.warning("event=central-key-announcements-refused error=%r", str(exc))
        return None
    if not chain:
        return None
    new = Ed25519PublicKey.from_public_bytes(base64.b64decode(chain[-1]["new_key"]))
    try:
        result = check(new)
    except ProtocolError:
        return None
    for doc in chain:
        writer.append("admin", {"action": "central-key", "announcement": doc, "by": "sync"})
    if cert_path is not None:
        # The certificate the log's earlier anchors verify with stays, for verifiers
        # (docs/protocol.md section 12 starts from it).
        if cert_path.exists():
            fp = fingerprint_sha256(load_cert(cert_path))[:12]
            kept = cert_path.with_name(f"central-{fp}.pem")
            if not kept.exists():
                write_pem(kept, cert_path.read_bytes())
        write_pem(cert_path, chain[-1]["cert"].encode("ascii"))
    log.info("event=central-key-adopted steps=%d new_key=%s", len(chain), chain[-1]["new_key"])
    return new, result


class CentralKey:
    """The central key this node trusts, shared by everything that checks central's
    signatures (the log pusher's receipts, the roster puller's documents), so that one
    adoption serves both and is recorded once."""

    def __init__(
        self,
        key: Ed25519PublicKey,
        *,
        client: CentralClient,
        writer: Appender,
        central_id: str | None,
        cert_path: Path | None = None,
    ) -> None:
        self.key = key
        self.client = client
        self.writer = writer
        self.central_id = central_id
        self.cert_path = cert_path  # certs/central.pem: where an adopted key is installed
        self._lock = threading.Lock()  # the push and roster jobs may both find the new key

    def verify(self, check: Callable[[Ed25519PublicKey], T]) -> T:
        """``check(key)``; when the trusted key fails it, follow central's announcements
        once and check with the announced key. Re-raises the first error otherwise."""
        tried = self.key
        try:
            return check(tried)
        except (ReceiptError, RosterError):
            with self._lock:
                if self.key is not tried:  # another job adopted a new key meanwhile
                    return check(self.key)
                adopted = adopt_announced_key(
                    self.client, self.writer, self.key, self.central_id, self.cert_path, check
                )
                if adopted is None:
                    raise
                self.key, result = adopted
                return result
