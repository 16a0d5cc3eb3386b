"""Two central app servers on one PostgreSQL: one SIGKILLed mid-ingest (issue 17 item 3).

``central_server_kill_on_postgres``: two ``presensi-central serve`` processes share one
database in a throwaway PostgreSQL cluster (``testkit.pgcluster``), each with its own data
directory (``serve`` locks its directory; docs/postgresql.md). Four simulated nodes
(``testkit.simnode``: real keys, certificates enrolled through ``POST /api/v1/enroll``,
hash-chained signed logs) push v2 batches through ``sync.client.CentralClient``, two to each
server, as a load balancer would spread them. Each round one server (alternately) is
SIGKILLed, process group and all, at a random moment while batches are in flight; its nodes
send the batch whose answer was lost to the other server (push is at-least-once: what the
dead server had committed comes back as duplicates, the rest is accepted, exactly once);
the killed server is restarted for the next round.

Counted: records central acknowledged (every batch answered 200 with a receipt); lost:
acknowledged records not in the database with the same hash afterwards; duplicated: records
held more than once. Also checked: the receipts verify with central's key and never go back,
every node stays ``active`` with no evidence, and the database holds each node's whole log.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync.errors import SyncError
from testkit.factories import CentralProcess, run_cli
from testkit.simnode import SimNode, enroll_all

from .report import FaultRow

NIPS = [f"1985010120100110{i:02d}" for i in range(40)]


@dataclass
class _Pusher:
    """One node's push loop: batches of ``size`` from central's checkpoint, failing over."""

    node: SimNode
    servers: list[str]
    server: int
    size: int
    acked: int = 0  # records central holds by its receipts (seq + 1)
    answered: int = 0  # records in batches answered 200
    receipts: list[dict[str, Any]] = field(default_factory=list)
    lost_answers: int = 0  # batches whose answer never came (the server died)
    taken_before_kill: int = 0  # records of those the dead server had committed
    resend: bool = False
    errors: list[str] = field(default_factory=list)

    def run(self, until: int, deadline: float) -> None:
        start = self.acked
        while start < until and time.monotonic() < deadline:
            client = self.node.client(self.servers[self.server], timeout=(2.0, 30.0))
            try:
                answer = client.push(self.node.batch(start, min(until, start + self.size)))
            except SyncError as exc:
                if exc.status is not None:  # central refused: a bug, not the kill
                    self.errors.append(f"{self.node.name}: {exc}")
                    return
                # The server went away (connection refused or reset) with the batch in
                # flight: send the same batch to the other server (push is at-least-once).
                self.lost_answers += 1
                self.server = 1 - self.server
                self.resend = True
                continue
            finally:
                client.close()
            receipt = answer["receipt"]
            self.receipts.append(receipt)
            if self.resend:  # what the dead server had committed comes back as duplicates
                self.taken_before_kill += int(answer["duplicates"])
                self.resend = False
            elif int(answer["duplicates"]):
                self.errors.append(
                    f"{self.node.name}: {answer['duplicates']} duplicates in a batch sent once"
                )
            self.answered += int(answer["accepted"]) + int(answer["duplicates"])
            self.acked = max(self.acked, int(receipt["seq"]) + 1)
            start = self.acked


def _db_state(url: str) -> dict[str, tuple[int, int, list[str]]]:
    """Per node: (rows, distinct seqs, hashes by seq) of the records table."""
    import psycopg

    out: dict[str, tuple[int, int, list[str]]] = {}
    with psycopg.connect(url) as conn:
        for node, rows, distinct in conn.execute(
            "SELECT node, count(*), count(DISTINCT seq) FROM records GROUP BY node"
        ):
            hashes = [
                h
                for (h,) in conn.execute(
                    "SELECT hash FROM records WHERE node = %s ORDER BY seq, ts", (node,)
                )
            ]
            out[node] = (int(rows), int(distinct), hashes)
    return out


def _node_states(url: str) -> dict[str, tuple[str, int]]:
    """Per node: (status, pieces of evidence)."""
    import psycopg

    with psycopg.connect(url) as conn:
        status: dict[str, str] = dict(conn.execute("SELECT name, status FROM nodes").fetchall())
        evidence: dict[str, int] = dict(
            conn.execute("SELECT node, count(*) FROM evidence GROUP BY node").fetchall()
        )
    return {name: (str(s), int(evidence.get(name, 0))) for name, s in status.items()}


def central_server_kill_on_postgres(
    workdir: Path,
    rounds: int,
    rng: random.Random,
    *,
    nodes: int = 4,
    per_round: int = 1500,
    batch: int = 100,
) -> FaultRow:
    """SIGKILL one of two servers on one PostgreSQL while ``nodes`` nodes push, ``rounds``
    times (the victim alternates); each round every node appends ``per_round`` check-ins."""
    from central.datadir import CentralPaths
    from central.identity import central_public_key
    from sync.receipts import verify_receipt
    from testkit.pgcluster import start_cluster

    row = FaultRow("SIGKILL one of two centrals on PostgreSQL during ingest", rounds)
    cluster = start_cluster()
    servers: list[CentralProcess] = []
    try:
        url = cluster.url(cluster.create_database())
        first = workdir / "central-1"
        run_cli("central", "init", "--data", str(first), "--database", url)
        second = workdir / "central-2"
        shutil.copytree(first, second)  # keys, CA and configuration; the database is shared
        servers = [CentralProcess(d, workers=2).start() for d in (first, second)]
        sims = [SimNode(f"kec-multi-{i + 1}") for i in range(nodes)]
        enroll_all(first, servers[0].url, sims)
        pushers = [
            _Pusher(sim, [s.url for s in servers], i % 2, batch) for i, sim in enumerate(sims)
        ]
        kills_at: list[int] = []
        for index in range(rounds):
            victim = servers[index % 2]
            for i, p in enumerate(pushers):  # the balancer spreads them again
                p.server = i % 2
            for sim in sims:
                sim.checkins(per_round, NIPS)
            deadline = time.monotonic() + 120
            threads = [
                threading.Thread(target=p.run, args=(len(p.node.texts), deadline)) for p in pushers
            ]
            before = sum(p.answered for p in pushers)
            for thread in threads:
                thread.start()
            # Kill once the round is under way: a batch or two answered, others in flight.
            while (
                sum(p.answered for p in pushers) - before < batch * 2
                and time.monotonic() < deadline
            ):
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.4))
            kills_at.append(sum(p.answered for p in pushers) - before)
            victim.kill()
            for thread in threads:
                thread.join(150)
            victim.start()
            for p in pushers:
                if p.acked != len(p.node.texts):
                    row.problems.append(
                        f"round {index}: {p.node.name} reached seq "
                        f"{p.acked - 1} of {len(p.node.texts) - 1}"
                    )
        held = _db_state(url)
        states = _node_states(url)
        public = central_public_key(CentralPaths(first).cert)
        for p in pushers:
            name = p.node.name
            rows, distinct, hashes = held.get(name, (0, 0, []))
            row.acknowledged += p.acked
            row.lost += sum(
                1
                for seq in range(p.acked)
                if seq >= len(hashes) or hashes[seq] != p.node.hashes[seq]
            )
            row.duplicated += rows - distinct
            row.problems += p.errors
            if states.get(name) != ("active", 0):
                row.problems.append(f"{name}: status and evidence {states.get(name)}")
            seqs = [int(r["seq"]) for r in p.receipts]
            if seqs != sorted(seqs):
                row.problems.append(f"{name}: a receipt went back in the chain")
            for receipt in p.receipts:
                verify_receipt(receipt, public)
                if receipt["head"] != p.node.hashes[int(receipt["seq"])]:
                    row.problems.append(
                        f"{name}: receipt at seq {receipt['seq']} names another head"
                    )
        row.notes["servers"] = 2
        row.notes["nodes"] = nodes
        row.notes["answers_lost_with_the_server"] = sum(p.lost_answers for p in pushers)
        row.notes["of_those_committed_records"] = sum(p.taken_before_kill for p in pushers)
        row.notes["killed_after_records"] = f"{min(kills_at)}..{max(kills_at)}"
        if not any(p.lost_answers for p in pushers):
            row.problems.append("no batch was in flight at any kill: the fault never hit")
    finally:
        for server in servers:
            server.stop()
        cluster.stop()
    return row
