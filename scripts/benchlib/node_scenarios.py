"""Scenarios on one office node: 1 morning rush, 2 first-morning sign-ins, 7 node memory.

Setup (not timed): a CA, a node enrolled offline, the demo roster installed through the real
writer path with scrypt PIN hashes computed in parallel processes, and one session per staff
member created with ``Sessions.create`` straight into the node's database *before* the server
starts (the same rows ``POST /api/v1/session`` writes, without paying 7,000 scrypt checks;
scenario 2 measures that path on its own).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from local_node import roster
from local_node.config import load_config
from local_node.datadir import NodePaths
from local_node.identity import load_identity, node_name
from local_node.service import NodeService
from sync.demo_roster import make_roster, roster_csv
from sync.pins import hash_pin
from sync.timefmt import format_ts
from testkit.factories import NodeProcess, make_ca, make_node, run_cli

from . import loadgen
from .context import Context, ScenarioResult, percentile
from .procs import NoopServer, RssSampler, hwm_by_pid


def prepare_node(ctx: Context) -> NodePaths:
    """CA, node, roster of ``staff`` people and a session for each; tokens go to ctx.shared."""
    opts = ctx.options
    ca = make_ca(ctx.root)
    ctx.shared["ca"] = ca
    paths = make_node(ctx.root, ca)
    # Every simulated phone signs in from this one loopback address; in an office each phone
    # has its own. The per-address budget (which also counts sign-ins in flight) would turn
    # the first morning into lockouts, so the bench node gets one address budget per person.
    _set_config(paths, ADDR_MAX_FAILURES=opts.staff + 100)
    people = make_roster(opts.staff)
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        hashes = list(pool.map(hash_pin, [p["pin"] for p in people], chunksize=32))
    hash_s = time.monotonic() - started
    employees = [
        roster.Employee(p["nip"], p["name"], p["unit"], p["role"], h)
        for p, h in zip(people, hashes, strict=True)
    ]
    data = roster_csv(people)
    digest = hashlib.sha256(data).hexdigest()
    config = load_config(paths.root)
    svc = NodeService(config, paths, load_identity(paths, node_name(paths)))
    try:
        roster.install(
            svc.writer,
            employees,
            {
                "version": f"local-{digest[:16]}",
                "source": "csv",
                "file": "bench-roster.csv",
                "sha256": digest,
                "count": len(employees),
            },
        )
        conn = svc.store.conn()
        conn.execute("BEGIN IMMEDIATE")
        tokens = [
            svc.sessions.create(p["nip"], f"bench-device-{i:06d}")[0] for i, p in enumerate(people)
        ]
        conn.execute("COMMIT")
    finally:
        svc.close()
    ctx.shared.update(node=paths, people=people, tokens=tokens, hash_s=round(hash_s, 1))
    print(
        f"   roster of {len(people)} hashed in {hash_s:.1f} s "
        f"({os.cpu_count()} processes); {len(tokens)} sessions created",
        flush=True,
    )
    return paths


def _set_config(paths: NodePaths, **values: Any) -> None:
    stored = json.loads(paths.config.read_text()) if paths.config.exists() else {}
    stored.update(values)
    paths.config.write_text(json.dumps(stored, indent=2))


def _checkin_requests(tokens: list[str], path: str) -> list[loadgen.Request]:
    client_ts = format_ts(datetime.now(UTC))
    body = f'{{"kind":"in","client_ts":"{client_ts}"}}'
    return [
        loadgen.Request(
            "POST", path, body, {"Content-Type": "application/json", "Authorization": f"Bearer {t}"}
        )
        for t in tokens
    ]


def _log_counts(paths: NodePaths) -> tuple[int, int]:
    conn = sqlite3.connect(paths.db)
    try:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT nip) FROM log WHERE type = 'checkin'"
        ).fetchone()
        return int(row[0]), int(row[1])
    finally:
        conn.close()


def _noop_round(ctx: Context, noop_file: Path, index: int, count: int) -> loadgen.WrkResult:
    opts = ctx.options
    print(f"   round {index + 1}: no-op JSON POST x{count}", flush=True)
    noop_dir = ctx.root / "noop"
    noop_dir.mkdir(exist_ok=True)
    noop = NoopServer(noop_dir, opts.server_threads).start()
    try:
        return loadgen.replay(
            noop.url, noop_file, connections=opts.connections, threads=opts.wrk_threads
        )
    finally:
        noop.stop()


def fsync_probe(folder: Path, count: int = 100) -> dict[str, float]:
    """Milliseconds per fsync of a 4 KB append in ``folder``: median and p99 of ``count``.

    The check-ins wait for a group commit's fsync and the no-op does not, so a slow phase of
    the shared disk moves the ratio; each round records what the disk did just before it.
    """
    path = folder / "fsync.probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    times = []
    try:
        for _ in range(count):
            os.write(fd, b"\0" * 4096)
            started = time.perf_counter()
            os.fsync(fd)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    return {"p50": round(statistics.median(times), 3), "p99": round(percentile(times, 99), 3)}


def _restore(paths: NodePaths, pristine: Path) -> None:
    """Put the node's folder back as prepare_node left it: every staff member signed in,
    nobody checked in yet."""
    shutil.rmtree(paths.root)
    shutil.copytree(pristine, paths.root)


def run(ctx: Context) -> list[ScenarioResult]:
    """Scenarios 1, 2 and 7 against one node process (and the no-op server for the ratio).

    The rush runs ``opts.rounds`` times, each round on a fresh copy of the prepared node and
    side by side with a no-op round (alternating which goes first): the table shows medians,
    the JSON every round. The sign-ins run once, on the node of the last round.
    """
    opts = ctx.options
    paths: NodePaths = ctx.shared["node"]
    tokens: list[str] = ctx.shared["tokens"]
    people = ctx.shared["people"]
    rush = ScenarioResult(
        "rush",
        f"1. Morning rush: {len(tokens)} check-ins, "
        f"{opts.connections} connections, {opts.rounds} round(s)",
    )
    first = ScenarioResult("signin", f"2. First morning: {opts.signins} PIN sign-ins")
    memory = ScenarioResult("memory", "7. Node memory during the rush")

    # The no-op baseline: same server stack, same requests, nothing behind the handler.
    noop_file = ctx.root / "noop.requests"
    loadgen.write_requests(noop_file, _checkin_requests(tokens, "/noop"))
    checkin_file = ctx.root / "checkin.requests"
    loadgen.write_requests(checkin_file, _checkin_requests(tokens, "/api/v1/checkins"))
    signin_file = ctx.root / "signin.requests"
    loadgen.write_requests(
        signin_file,
        [
            loadgen.Request(
                "POST",
                "/api/v1/session",
                f'{{"nip":"{p["nip"]}","pin":"{p["pin"]}"}}',
                {"Content-Type": "application/json"},
            )
            for p in people[: opts.signins]
        ],
    )
    pristine = ctx.root / "node-pristine"
    shutil.copytree(paths.root, pristine)

    rounds: list[dict[str, Any]] = []
    signins = signin_rss = None
    for index in range(opts.rounds):
        last = index == opts.rounds - 1
        if index:
            _restore(paths, pristine)
        noop_first = index % 2 == 0
        disk = fsync_probe(paths.root)
        if noop_first:
            noop_result = _noop_round(ctx, noop_file, index, len(tokens))
        node = NodeProcess(paths).start()
        try:
            assert node.proc is not None
            pgid = node.proc.pid
            # Warm up code paths that import lazily, without writing records.
            for token in tokens[:20]:
                requests.get(
                    node.url + "/api/v1/checkins/today",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
            before_rush = hwm_by_pid(pgid)
            print(f"   round {index + 1}: check-ins x{len(tokens)}", flush=True)
            with RssSampler(pgid) as rss:
                checkins = loadgen.replay(
                    node.url, checkin_file, connections=opts.connections, threads=opts.wrk_threads
                )
            after_rush = hwm_by_pid(pgid)
            if last:
                print(f"   sign-ins x{opts.signins}", flush=True)
                with RssSampler(pgid) as signin_rss:
                    signins = loadgen.replay(
                        node.url,
                        signin_file,
                        connections=opts.connections,
                        threads=opts.wrk_threads,
                        timeout_s=900,
                    )
        finally:
            node.stop()
        if not noop_first:
            noop_result = _noop_round(ctx, noop_file, index, len(tokens))
        records, distinct = _log_counts(paths)
        verify = run_cli("local_node", "verify", "--data", str(paths.root), check=False)
        rounds.append(
            {
                "checkins": checkins,
                "noop": noop_result,
                "records": records,
                "distinct": distinct,
                "verify": verify,
                "peak_rss_kb": rss.peak_kb,
                "fsync_ms": disk,
                "rss_samples": rss.samples,
                "hwm_before": before_rush,
                "hwm_after": after_rush,
                "ratio": checkins.rate / noop_result.rate if noop_result.rate else 0.0,
            }
        )
    assert signins is not None and signin_rss is not None

    # --- 1. rush -----------------------------------------------------------------------
    ratios = [r["ratio"] for r in rounds]
    rush.row(
        "check-ins per second",
        statistics.median(r["checkins"].rate for r in rounds),
        "/s",
        at_least=2000,
        digits=0,
    )
    rush.row(
        "no-op JSON POST per second",
        statistics.median(r["noop"].rate for r in rounds),
        "/s",
        digits=0,
    )
    # The median of the per-round ratios: each round's two figures were measured side by side.
    rush.row("ratio check-ins / no-op", statistics.median(ratios), "", at_least=0.5, digits=2)
    rush.row("ratio in each round", " ".join(f"{x:.2f}" for x in ratios))
    for p in ("p50", "p95", "p99"):
        latency = statistics.median(r["checkins"].latency_ms[p] for r in rounds)
        rush.row(f"latency {p}", round(latency, 2), "ms", at_most=100 if p == "p99" else None)
    rush.row(
        "disk fsync before each round, p50 / p99",
        " ".join(f"{r['fsync_ms']['p50']:.2f}/{r['fsync_ms']['p99']:.2f}" for r in rounds),
        "ms",
    )
    # Errors and losses are summed over every round: one is one too many.
    rush.row("non-2xx answers", sum(r["checkins"].non_2xx for r in rounds), "", at_most=0)
    rush.row("socket errors", sum(r["checkins"].socket_errors for r in rounds), "", at_most=0)
    acked = sum(r["checkins"].statuses.get(201, 0) for r in rounds)
    records = sum(r["records"] for r in rounds)
    lost = sum(max(0, r["checkins"].statuses.get(201, 0) - r["records"]) for r in rounds)
    rush.row("acknowledged (201) check-ins", acked)
    rush.row("check-in records in the log", records)
    rush.row("lost (acknowledged, not in log)", lost, "", at_most=0)
    verified = all(r["verify"].returncode == 0 for r in rounds)
    rush.row("chain verifies", "yes" if verified else "NO")
    for i, r in enumerate(rounds, 1):
        ok = r["checkins"].statuses.get(201, 0)
        if r["records"] != ok:
            rush.failures.append(
                f"round {i}: {ok} check-ins acknowledged with 201 but "
                f"{r['records']} check-in records in the log"
            )
        if r["distinct"] != r["records"]:
            rush.failures.append(
                f"round {i}: {r['records']} check-in records for only {r['distinct']} staff"
            )
        if r["verify"].returncode != 0:
            rush.failures.append(
                f"round {i}: presensi-node verify failed: {r['verify'].stderr.strip()}"
            )
    rush.data = {
        "rounds": [
            {
                "checkins": r["checkins"].as_dict(),
                "noop": r["noop"].as_dict(),
                "ratio": round(r["ratio"], 3),
                "log_checkin_records": r["records"],
                "log_distinct_staff": r["distinct"],
                "fsync_ms": r["fsync_ms"],
                "verify": r["verify"].stdout.strip(),
            }
            for r in rounds
        ],
        "ratio_median": round(statistics.median(ratios), 3),
    }

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
    # and each process's VmHWM (its lifetime peak, read just after the rush): the highest
    # round, not the median, since the target is a ceiling.
    peak_kb = max(r["peak_rss_kb"] for r in rounds)
    worker_hwm = max(max(r["hwm_after"].values(), default=0) for r in rounds)
    memory.row("peak RSS, all node processes", peak_kb / 1024, "MB", at_most=150, digits=1)
    memory.row("largest process VmHWM after rush", round(worker_hwm / 1024, 1), "MB")
    memory.data = {
        "peak_rss_kb_sum": peak_kb,
        "rounds": [
            {
                "peak_rss_kb_sum": r["peak_rss_kb"],
                "samples": r["rss_samples"],
                "vmhwm_kb_before_rush": r["hwm_before"],
                "vmhwm_kb_after_rush": r["hwm_after"],
            }
            for r in rounds
        ],
    }
    return [rush, first, memory]
