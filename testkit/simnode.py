"""Simulated nodes for load and fault runs: a node's key, a hash-chained signed log built
with ``sync.records``, v2 batches as the node's pusher cuts them, and enrollment of many
nodes through central's real API.

A ``SimNode`` has no database and no server: it is the part of a node that central sees.
Pushing goes through ``sync.client.CentralClient`` (gzip, RFC 9421 signature over the exact
bytes, the node's timeouts), so central checks exactly what a real node sends.
"""

from __future__ import annotations

import base64
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sync.batches import encode_batch
from sync.client import CentralClient
from sync.records import ZERO_HASH, build, seal_serialized
from sync.timefmt import format_ts

GENESIS_SOFTWARE = "smart-presensi/0.1.0"


class SimNode:
    """One node's log in memory: genesis, then check-ins, each sealed and chained."""

    def __init__(
        self, name: str, key: Ed25519PrivateKey | None = None, *, t_start: float | None = None
    ) -> None:
        self.name = name
        self.key = key or Ed25519PrivateKey.generate()
        self.epoch = secrets.token_hex(16)
        self.texts: list[str] = []
        self.hashes: list[str] = []
        # Record times start in the past and advance 40 ms a record: central flags a ts
        # beyond its own clock, never one in the past (no anchor bounds it here).
        self._t = (time.time() - 7200) if t_start is None else t_start
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._append(
            "genesis",
            {
                "software": GENESIS_SOFTWARE,
                "node": name,
                "public_key": base64.b64encode(public).decode("ascii"),
            },
        )

    def _append(self, type_: str, body: dict[str, Any]) -> None:
        seq = len(self.texts)
        self._t += 0.04
        record, text = seal_serialized(
            build(
                node=self.name,
                epoch=self.epoch,
                seq=seq,
                type=type_,
                ts=format_ts(datetime.fromtimestamp(self._t, UTC)),
                mono_us=5_000_000 + seq * 40_000,
                boot_id="sim-boot",
                prev=self.hashes[-1] if self.hashes else ZERO_HASH,
                body=body,
            ),
            self.key,
        )
        self.texts.append(text)
        self.hashes.append(record["hash"])

    def checkins(self, count: int, nips: list[str]) -> None:
        """Append ``count`` check-ins of the staff ``nips`` (in, then out, round robin)."""
        for _ in range(count):
            i = len(self.texts) - 1
            nip = nips[i % len(nips)]
            self._append(
                "checkin",
                {
                    "nip": nip,
                    "kind": "in" if (i // len(nips)) % 2 == 0 else "out",
                    "method": "app",
                    "device": f"sim-phone-{i % len(nips):04d}",
                    "client_ts": None,
                },
            )

    def batch(self, start: int, stop: int) -> bytes:
        """Records ``start``..``stop - 1`` as the v2 batch body a node sends (not gzipped)."""
        clock = {
            "wall_ts": format_ts(datetime.now(UTC)),
            "mono_us": 5_000_000 + len(self.texts) * 40_000,
        }
        return encode_batch(self.name, self.epoch, self.texts[start:stop], clock, version=2)

    def client(self, url: str, timeout: tuple[float, float] = (5.0, 120.0)) -> CentralClient:
        return CentralClient(url, self.name, self.key, timeout=timeout)


def add_tokens(data: Path, names: list[str]) -> list[str]:
    """One-time enrollment tokens for ``names``, made in one store session by the function
    ``presensi-central node add`` runs (``central.enrollment.create_enroll_token``)."""
    from central.database import open_store
    from central.datadir import CentralPaths
    from central.enrollment import create_enroll_token

    store = open_store(CentralPaths(data))
    try:
        now = time.time()
        return [create_enroll_token(store, name, now=now, hours=1) for name in names]
    finally:
        store.close()


def enroll_all(data: Path, url: str, nodes: list[SimNode], threads: int = 8) -> float:
    """Enroll ``nodes`` at the central serving ``data`` on ``url``: tokens as ``node add``
    makes them, then each node's CSR through ``POST /api/v1/enroll`` (``CentralClient.enroll``),
    ``threads`` at a time. Returns the seconds it took."""
    from certs.csr import make_csr

    started = time.monotonic()
    tokens = add_tokens(data, [n.name for n in nodes])

    def one(pair: tuple[SimNode, str]) -> None:
        node, token = pair
        answer = CentralClient.enroll(url, token, make_csr(node.key, node.name).decode("ascii"))
        if answer["node"] != node.name:
            raise AssertionError(f"enrolled {answer['node']!r}, asked for {node.name!r}")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, zip(nodes, tokens, strict=True)))
    return time.monotonic() - started
