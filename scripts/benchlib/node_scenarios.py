"""Scenarios on one office node: 1 morning rush, 2 first-morning sign-ins, 7 node memory.

Setup (not timed): a CA, a node enrolled offline, the demo roster installed through the real
writer path with scrypt PIN hashes computed in parallel processes, and one session per staff
member created with ``Sessions.create`` straight into the node's database *before* the server
starts (the same rows ``POST /api/v1/session`` writes, without paying 7,000 scrypt checks;
scenario 2 measures that path on its own).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

import requests

from local_node import roster
from local_node.config import load_config
from local_node.datadir import NodePaths
from local_node.identity import load_identity, node_name
from local_node.service import NodeService
from sync.demo_roster import make_roster, roster_csv
from sync.pins import hash_pin
from sync.timefmt import format_ts
from tests.factories import NodeProcess, make_ca, make_node, run_cli

from . import loadgen
from .context import Context, ScenarioResult
from .procs import NoopServer, RssSampler, hwm_by_pid


def prepare_node(ctx: Context) -> NodePaths:
    """CA, node, roster of ``staff`` people and a session for each; tokens go to ctx.shared."""
    opts = ctx.options
    ca = make_ca(ctx.root)
    ctx.shared["ca"] = ca
    paths = make_node(ctx.root, ca)
    people = make_roster(opts.staff)
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        hashes = list(pool.map(hash_pin, [p["pin"] for p in people], chunksize=32))
    hash_s = time.monotonic() - started
    employees = [roster.Employee(p["nip"], p["name"], p["unit"], p["role"], h)
                 for p, h in zip(people, hashes, strict=True)]
    data = roster_csv(people)
    digest = hashlib.sha256(data).hexdigest()
    config = load_config(paths.root)
    svc = NodeService(config, paths, load_identity(paths, node_name(paths)))
    try:
        roster.install(svc.writer, employees, {
            "version": f"local-{digest[:16]}", "source": "csv", "file": "bench-roster.csv",
            "sha256": digest, "count": len(employees)})
        conn = svc.store.conn()
        conn.execute("BEGIN IMMEDIATE")
        tokens = [svc.sessions.create(p["nip"], f"bench-device-{i:06d}")[0]
                  for i, p in enumerate(people)]
        conn.execute("COMMIT")
    finally:
        svc.close()
    ctx.shared.update(node=paths, people=people, tokens=tokens, hash_s=round(hash_s, 1))
    print(f"   roster of {len(people)} hashed in {hash_s:.1f} s "
          f"({os.cpu_count()} processes); {len(tokens)} sessions created", flush=True)
    return paths


def _checkin_requests(tokens: list[str], path: str) -> list[loadgen.Request]:
    client_ts = format_ts(datetime.now(UTC))
    body = f'{{"kind":"in","client_ts":"{client_ts}"}}'
    return [loadgen.Request("POST", path, body, {"Content-Type": "application/json",
                                                 "Authorization": f"Bearer {t}"})
            for t in tokens]


def _log_counts(paths: NodePaths) -> tuple[int, int]:
    conn = sqlite3.connect(paths.db)
    try:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT nip) FROM log WHERE type = 'checkin'").fetchone()
        return int(row[0]), int(row[1])
    finally:
        conn.close()


def run(ctx: Context) -> list[ScenarioResult]:
    """Scenarios 1, 2 and 7 against one node process (and the no-op server for the ratio)."""
    opts = ctx.options
    paths: NodePaths = ctx.shared["node"]
    tokens: list[str] = ctx.shared["tokens"]
    people = ctx.shared["people"]
    rush = ScenarioResult("rush", f"1. Morning rush: {len(tokens)} check-ins, "
                                  f"{opts.connections} connections")
    first = ScenarioResult("signin", f"2. First morning: {opts.signins} PIN sign-ins")
    memory = ScenarioResult("memory", "7. Node memory during the rush")

    # The no-op baseline: same server stack, same requests, nothing behind the handler.
    noop_file = ctx.root / "noop.requests"
    loadgen.write_requests(noop_file, _checkin_requests(tokens, "/noop"))
    noop_dir = ctx.root / "noop"
    noop_dir.mkdir(exist_ok=True)
    noop = NoopServer(noop_dir, opts.server_threads).start()
    try:
        print(f"   no-op JSON POST x{len(tokens)}", flush=True)
        noop_result = loadgen.replay(noop.url, noop_file, connections=opts.connections,
                                     threads=opts.wrk_threads)
    finally:
        noop.stop()

    checkin_file = ctx.root / "checkin.requests"
    loadgen.write_requests(checkin_file, _checkin_requests(tokens, "/api/v1/checkins"))
    signin_file = ctx.root / "signin.requests"
    loadgen.write_requests(signin_file, [
        loadgen.Request("POST", "/api/v1/session", f'{{"nip":"{p["nip"]}","pin":"{p["pin"]}"}}',
                        {"Content-Type": "application/json"})
        for p in people[:opts.signins]])

    node = NodeProcess(paths).start()
    try:
        assert node.proc is not None
        pgid = node.proc.pid
        # Warm up code paths that import lazily, without writing records.
        for token in tokens[:20]:
            requests.get(node.url + "/api/v1/checkins/today",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
        before_rush = hwm_by_pid(pgid)
        print(f"   check-ins x{len(tokens)}", flush=True)
        with RssSampler(pgid) as rss:
            checkins = loadgen.replay(node.url, checkin_file, connections=opts.connections,
                                      threads=opts.wrk_threads)
        after_rush = hwm_by_pid(pgid)
        print(f"   sign-ins x{opts.signins}", flush=True)
        with RssSampler(pgid) as signin_rss:
            signins = loadgen.replay(node.url, signin_file, connections=opts.connections,
                                     threads=opts.wrk_threads, timeout_s=900)
    finally:
        node.stop()

    # --- 1. rush -----------------------------------------------------------------------
    records, distinct = _log_counts(paths)
    acked = checkins.statuses.get(201, 0)
    verify = run_cli("local_node", "verify", "--data", str(paths.root), check=False)
    ratio = checkins.rate / noop_result.rate if noop_result.rate else 0.0
    rush.row("check-ins per second", round(checkins.rate), "/s", at_least=2000)
    rush.row("no-op JSON POST per second", round(noop_result.rate), "/s")
    rush.row("ratio check-ins / no-op", ratio, "", at_least=0.5, digits=2)
    for p in ("p50", "p95", "p99"):
        rush.row(f"latency {p}", checkins.latency_ms[p], "ms",
                 at_most=100 if p == "p99" else None)
    rush.row("non-2xx answers", checkins.non_2xx, "", at_most=0)
    rush.row("socket errors", checkins.socket_errors, "", at_most=0)
    lost = max(0, acked - records)
    rush.row("acknowledged (201) check-ins", acked)
    rush.row("check-in records in the log", records)
    rush.row("lost (acknowledged, not in log)", lost, "", at_most=0)
    rush.row("chain verifies", "yes" if verify.returncode == 0 else "NO")
    if lost or records != acked:
        rush.failures.append(f"{acked} check-ins acknowledged with 201 but {records} "
                             f"check-in records in the log")
    if distinct != records:
        rush.failures.append(f"{records} check-in records for only {distinct} staff")
    if verify.returncode != 0:
        rush.failures.append(f"presensi-node verify failed: {verify.stderr.strip()}")
    rush.data = {"checkins": checkins.as_dict(), "noop": noop_result.as_dict(),
                 "ratio": round(ratio, 3), "log_checkin_records": records,
                 "log_distinct_staff": distinct, "verify": verify.stdout.strip()}

    # --- 2. first morning ----------------------------------------------------------------
    first.row("sign-ins per second", round(signins.rate, 1), "/s")
    first.row("latency p50", signins.latency_ms["p50"], "ms")
    first.row("latency p99", signins.latency_ms["p99"], "ms")
    first.row("non-2xx answers", signins.non_2xx, "", at_most=0)
    first.row("socket errors", signins.socket_errors)
    first.row("node peak RSS during sign-ins", round(signin_rss.peak_kb / 1024, 1), "MB")
    first.data = {"signins": signins.as_dict(), "peak_rss_kb": signin_rss.peak_kb}

    # --- 7. memory -----------------------------------------------------------------------
    # Peak of the summed VmRSS of every process in the node's group, sampled every 100 ms,
    # and each process's VmHWM (its lifetime peak, read just after the rush).
    worker_hwm = max(after_rush.values(), default=0)
    memory.row("peak RSS, all node processes", rss.peak_kb / 1024, "MB", at_most=150, digits=1)
    memory.row("largest process VmHWM after rush", round(worker_hwm / 1024, 1), "MB")
    memory.data = {"peak_rss_kb_sum": rss.peak_kb, "samples": rss.samples,
                   "vmhwm_kb_before_rush": before_rush, "vmhwm_kb_after_rush": after_rush}
    return [rush, first, memory]
