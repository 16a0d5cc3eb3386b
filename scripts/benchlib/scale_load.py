"""The scale scenario's load generator: a process simulating many nodes.

``node_worker`` runs in a child process started with ``spawn``. It builds the logs of its
share of the nodes once (``testkit.simnode.SimNode``: genesis, then check-ins, each sealed and
chained; not timed), then serves commands from the parent, one per measurement: push to these
servers from this moment for this long. Each node is a thread in a closed loop, like a node's
pusher at the morning peak: cut the next ``batch`` records into a v2 batch, push it through
``sync.client.CentralClient.push`` (gzip, RFC 9421 signature made just before sending), wait
for the answer, then wait its push interval (``think`` seconds, +-20%) before the next. A
node continues its log where the previous measurement against the same central stopped.
"""

from __future__ import annotations

import os
import random
import threading
import time
from typing import Any


def _push_loop(
    node: Any,
    url: str,
    start: int,
    batch: int,
    think: float,
    t0: float,
    until: float,
    seed: int,
    out: dict[str, Any],
) -> None:
    from sync.errors import SyncError

    rng = random.Random(seed)
    client = node.client(url, timeout=(10.0, 120.0))
    latencies: list[float] = []
    accepted = duplicates = 0
    errors: list[str] = []
    position = start
    # Nodes do not all push in the same millisecond: each starts within its first interval.
    time.sleep(max(0.0, t0 - time.time()) + rng.uniform(0, think))
    while time.time() < until and position < len(node.texts):
        stop = min(len(node.texts), position + batch)
        body = node.batch(position, stop)
        started = time.monotonic()
        try:
            answer = client.push(body)
        except SyncError as exc:
            errors.append(f"{node.name}: {exc}")
            break
        latencies.append(time.monotonic() - started)
        accepted += int(answer["accepted"])
        duplicates += int(answer["duplicates"])
        position = int(answer["receipt"]["seq"]) + 1
        time.sleep(think * rng.uniform(0.8, 1.2))
    client.close()
    out.update(
        position=position,
        latencies=latencies,
        accepted=accepted,
        duplicates=duplicates,
        errors=errors,
        head=node.hashes[position - 1] if position else None,
        exhausted=position >= len(node.texts),
        finished=time.time(),
    )


def node_worker(specs: list[dict[str, Any]], records: int, commands: Any, results: Any) -> None:
    """Build ``records`` records for each node of ``specs`` (``{name, key}``), report
    ready, then run each command ``{config, urls, t0, seconds, batch, think}`` (``None``
    ends); node ``index`` pushes to ``urls[index % len(urls)]``."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync.demo_roster import make_roster
    from testkit.simnode import SimNode

    nips = [p["nip"] for p in make_roster(200, seed=11)]
    nodes = []
    for spec in specs:
        node = SimNode(spec["name"], Ed25519PrivateKey.from_private_bytes(spec["key"]))
        node.checkins(records - 1, nips)
        nodes.append((spec["index"], node))
    results.put({"ready": os.getpid()})
    positions: dict[str, dict[str, int]] = {}
    while True:
        command = commands.get()
        if command is None:
            return
        at = positions.setdefault(command["config"], {})
        urls = command["urls"]
        outs: dict[str, dict[str, Any]] = {node.name: {} for _, node in nodes}
        until = command["t0"] + command["seconds"]
        threads = [
            threading.Thread(
                target=_push_loop,
                daemon=True,
                args=(
                    node,
                    urls[index % len(urls)],
                    at.get(node.name, 0),
                    command["batch"],
                    command["think"],
                    command["t0"],
                    until,
                    index,
                    outs[node.name],
                ),
            )
            for index, node in nodes
        ]
        cpu = time.process_time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu_s = time.process_time() - cpu
        for name, out in outs.items():
            at[name] = out["position"]
        results.put({"nodes": outs, "cpu_s": cpu_s})
