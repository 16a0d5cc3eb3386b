"""Scenario 3's load: signed node logs built in parallel processes, and the pushers.

Both functions run in child processes started with the ``spawn`` method (``bench.py`` puts the
repository on ``sys.path``, which spawn passes on), so they take and return
plain data and exchange bulk data through files.

- ``generate_node`` builds one node's whole log with ``sync.records.build``/``seal`` (seq 0 is
  the genesis record ``presensi-node init`` writes, then check-ins), cuts it into batches with
  ``sync.batches.encode_batch`` and gzips each with ``sync.batches.compress``, exactly like the
  node's pusher, into ``DIR/NNNNN.gz``. Not timed.
- ``push_worker`` pushes the batches of some nodes (one thread per node, each in seq order)
  once the parent sets ``go``; each POST is signed with ``sync.httpsig.sign_request`` just
  before it is sent (the signature carries ``created`` and a fresh nonce), with the headers
  ``CentralClient.push`` sends.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS_SOFTWARE = "smart-presensi/0.1.0"


def generate_node(spec: dict[str, Any]) -> dict[str, Any]:
    """Build, seal and batch one node's log; return its epoch, head and batch files."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from sync.batches import compress, encode_batch
    from sync.demo_roster import make_roster
    from sync.records import ZERO_HASH, build, seal, serialize
    from sync.timefmt import format_ts

    name: str = spec["node"]
    count: int = spec["count"]
    batch_size: int = spec["batch_size"]
    out = Path(spec["dir"])
    out.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.from_private_bytes(spec["key"])
    raw_public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    epoch = secrets.token_hex(16)
    nips = [p["nip"] for p in make_roster(500, seed=11)]
    start = float(spec["t_start"])  # in the past: central flags a ts beyond its own clock
    mono0 = 5_000_000
    prev = ZERO_HASH
    texts: list[str] = []
    for seq in range(count):
        body: dict[str, Any]
        if seq == 0:
            type_, body = (
                "genesis",
                {
                    "software": GENESIS_SOFTWARE,
                    "node": name,
                    "public_key": base64.b64encode(raw_public).decode("ascii"),
                },
            )
        else:
            i = seq - 1
            type_, body = (
                "checkin",
                {
                    "nip": nips[i % len(nips)],
                    "kind": "in" if (i // len(nips)) % 2 == 0 else "out",
                    "method": "app",
                    "device": f"bench-phone-{i % len(nips):04d}",
                    "client_ts": None,
                },
            )
        offset_ms = seq * 40
        ts = format_ts(datetime.fromtimestamp(start + offset_ms / 1000, UTC))
        record = seal(
            build(
                node=name,
                epoch=epoch,
                seq=seq,
                type=type_,
                ts=ts,
                mono_us=mono0 + offset_ms * 1000,
                boot_id="bench-boot",
                prev=prev,
                body=body,
            ),
            key,
        )
        prev = record["hash"]
        texts.append(serialize(record))
    files: list[str] = []
    raw_bytes = gz_bytes = 0
    for index, first in enumerate(range(0, count, batch_size)):
        chunk = texts[first : first + batch_size]
        clock = {"wall_ts": format_ts(datetime.now(UTC)), "mono_us": mono0 + count * 40_000}
        data = encode_batch(name, epoch, chunk, clock, version=2)  # what a node sends
        body_gz = compress(data)
        path = out / f"{index:05d}.gz"
        path.write_bytes(body_gz)
        files.append(str(path))
        raw_bytes += len(data)
        gz_bytes += len(body_gz)
    return {
        "node": name,
        "epoch": epoch,
        "head": prev,
        "count": count,
        "files": files,
        "raw_bytes": raw_bytes,
        "gz_bytes": gz_bytes,
    }


def _push_node(url: str, name: str, key: Any, bodies: list[bytes], out: dict[str, Any]) -> None:
    import requests

    from sync.httpsig import sign_request

    target = url.rstrip("/") + "/api/v1/batches"
    session = requests.Session()
    session.headers["User-Agent"] = "smart-presensi-bench/0.1"
    accepted = duplicates = retries = 0
    errors: list[str] = []
    latencies: list[float] = []
    for body in bodies:
        for _attempt in range(4):
            headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
            headers.update(sign_request("POST", target, body, key, name))
            started = time.monotonic()
            try:
                response = session.post(
                    target, data=body, headers=headers, timeout=(5, 300), allow_redirects=False
                )
            except requests.RequestException as exc:
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
                retries += 1
                time.sleep(0.5)
                continue
            latencies.append(time.monotonic() - started)
            if response.status_code == 200:
                answer = response.json()
                accepted += int(answer.get("accepted", 0))
                duplicates += int(answer.get("duplicates", 0))
                break
            errors.append(f"{name}: HTTP {response.status_code} {response.text[:200]}")
            if response.status_code < 500:
                break  # a refusal is not retried: it is reported as a failure
            retries += 1
            time.sleep(0.5)
        else:
            errors.append(f"{name}: a batch was not accepted after 4 attempts")
    session.close()
    out.update(
        accepted=accepted,
        duplicates=duplicates,
        retries=retries,
        errors=errors,
        requests=len(latencies),
        latencies=latencies,
        finished=time.monotonic(),
    )


def push_worker(url: str, nodes: list[dict[str, Any]], ready: Any, go: Any, results: Any) -> None:
    """Push the batches of ``nodes`` (``{node, key, files}``) concurrently once ``go`` is set."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    work = [
        (
            n["node"],
            Ed25519PrivateKey.from_private_bytes(n["key"]),
            [Path(f).read_bytes() for f in n["files"]],
        )
        for n in nodes
    ]
    # Warm up the imports and the signing code outside the timed part.
    from sync.httpsig import sign_request

    sign_request("POST", url, b"{}", work[0][1], work[0][0])
    outs: dict[str, dict[str, Any]] = {name: {} for name, _, _ in work}
    threads = [
        threading.Thread(target=_push_node, args=(url, name, key, bodies, outs[name]), daemon=True)
        for name, key, bodies in work
    ]
    ready.put(os.getpid())
    go.wait()
    cpu = time.process_time()  # the load generator's own CPU, start-up and loading left out
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put({"nodes": outs, "cpu_s": time.process_time() - cpu})
