"""A check-in acknowledged with 201 survives SIGKILL of the serving process, every time."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time

import pytest
import requests

from testkit.factories import NodeProcess, run_cli, sign_in

ROUNDS = 6
CLIENTS = 12


def _hammer(url: str, token: str, acked: list[tuple[int, str]], stop: threading.Event) -> None:
    session = requests.Session()
    while not stop.is_set():
        try:
            r = session.post(
                url + "/api/v1/checkins",
                json={"kind": "in"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            )
        except requests.RequestException:
            return  # the server is gone: whatever was not answered was not promised
        if r.status_code == 201:
            rec = json.loads(r.text)
            acked.append((rec["seq"], rec["hash"]))


@pytest.mark.slow
def test_acknowledged_checkins_survive_sigkill(node_paths, roster):
    node = NodeProcess(node_paths).start()
    tokens = [sign_in(node.url, p["nip"], p["pin"]) for p in roster[:CLIENTS]]
    rng = random.Random(2026)
    total = 0
    try:
        for _ in range(ROUNDS):
            acked: list[tuple[int, str]] = []
            stop = threading.Event()
            threads = [
                threading.Thread(target=_hammer, args=(node.url, t, acked, stop)) for t in tokens
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 1.2))
            node.kill()  # SIGKILL, mid-burst
            stop.set()
            for t in threads:
                t.join(10)
            assert acked, "no check-in was acknowledged before the kill"
            total += len(acked)
            conn = sqlite3.connect(node_paths.db)
            stored = dict(conn.execute("SELECT seq, hash FROM log").fetchall())
            conn.close()
            lost = [a for a in acked if stored.get(a[0]) != a[1]]
            assert lost == [], f"{len(lost)} acknowledged records lost"
            node.start()
    finally:
        node.kill()
    result = run_cli("local_node", "verify", "--data", str(node_paths.root))
    assert result.stdout.startswith("OK:")
    assert total > ROUNDS * 10
