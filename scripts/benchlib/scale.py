"""Scale: many nodes against 1 central on SQLite, 1 on PostgreSQL, 2 on one PostgreSQL
(issue 17 item 4, docs/performance.md "Scale").

Setup (not timed):
- a throwaway PostgreSQL cluster (``testkit.pgcluster``) with production durability (fsync
  and synchronous commit on; SQLite runs with ``synchronous=FULL``);
- three centrals, each made by ``presensi-central init`` (``--database`` for PostgreSQL, one
  fresh database each), served by ``presensi-central serve --workers W``; the third has a
  second server on the same database with its own copy of the data directory;
- N node keys; every node enrolled at each central through the real API: tokens made in one
  store session by ``central.enrollment.create_enroll_token`` (what ``node add`` runs), then
  each CSR sent to ``POST /api/v1/enroll`` by ``CentralClient.enroll``, 8 at a time
  (``testkit.simnode.enroll_all``);
- load generator processes (``scripts.benchlib.scale_load``) build every node's hash-chained, signed
  log once and keep it for the three centrals.

Timed, per central and round (the order of the three rotates each round): every node pushes
in a closed loop (batch, answer, push interval) for ``seconds``; records/s = records
acknowledged / time from the start to the last answer; batch latency p50/p99 over every
push; CPU per record from /proc: central's process groups (granian supervisor and workers)
and PostgreSQL's processes (postmaster, its children, and children it reaped), over the
records acknowledged. For SQLite the database's CPU is inside central's. Afterwards each
central's database must hold exactly what its receipts acknowledged (count and head hash per
node).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .context import Context, Options, ScenarioResult, percentile
from .procs import group_cpu_s


@dataclass
class ScaleOptions:
    nodes: int = 500
    seconds: float = 20.0  # each measurement
    batch: int = 10  # records a push (a busy office at the peak)
    think: float = 1.0  # push interval after an answer, +-20%
    rounds: int = 3
    workers: int = 1  # granian workers of each central process
    loadgens: int = 2  # load generator processes


@dataclass
class Central:
    """One configuration: its servers and how to read its database."""

    key: str
    label: str
    data: list[Path]
    url: str | None  # PostgreSQL URL, None for SQLite
    servers: list[Any]


def _tick() -> int:
    return os.sysconf("SC_CLK_TCK")


def postgres_cpu_s(datadir: Path) -> float:
    """CPU seconds of the cluster so far: the postmaster (with the children it reaped) and
    every live child (backends, WAL writer, checkpointer ...)."""
    master = int((datadir / "postmaster.pid").read_text().split()[0])
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        f = stat[stat.rindex(")") + 2 :].split()
        # After the name: state, ppid, ...; utime, stime, cutime, cstime are 11-14.
        if int(entry) == master:
            total += sum(int(x) for x in f[11:15])
        elif int(f[1]) == master:
            total += int(f[11]) + int(f[12])
    return total / _tick()


def _held(central: Central) -> dict[str, tuple[int, str]]:
    """Per node: (records, hash of the highest seq) in the central's database."""
    sql = (
        "SELECT r.node, x.n, r.hash FROM records r JOIN (SELECT node, count(*) AS n, "
        "max(seq) AS top FROM records GROUP BY node) x ON r.node = x.node AND r.seq = x.top"
    )
    if central.url is None:
        conn = sqlite3.connect(f"file:{central.data[0] / 'central.db'}?mode=ro", uri=True)
        try:
            rows = conn.execute(sql).fetchall()
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(central.url) as pg:
            rows = pg.execute(sql.encode()).fetchall()
    return {node: (int(n), str(h)) for node, n, h in rows}


def _bytes_on_disk(central: Central) -> int:
    """The database's size: ``central.db`` and its WAL, or ``pg_database_size``."""
    if central.url is None:
        return sum(f.stat().st_size for f in central.data[0].glob("central.db*"))
    import psycopg

    with psycopg.connect(central.url) as pg:
        row = pg.execute(b"SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


def _alerts(central: Central) -> list[str]:
    sql = "SELECT kind FROM alerts WHERE kind != 'enrolled'"
    if central.url is None:
        conn = sqlite3.connect(f"file:{central.data[0] / 'central.db'}?mode=ro", uri=True)
        try:
            return [k for (k,) in conn.execute(sql)]
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(central.url) as pg:
        return [k for (k,) in pg.execute(sql.encode())]


def _setup(
    root: Path, cluster: Any, opts: ScaleOptions, sims: list[Any]
) -> tuple[list[Central], dict[str, float]]:
    from testkit.factories import CentralProcess, run_cli
    from testkit.simnode import enroll_all

    centrals = []
    enroll_s: dict[str, float] = {}
    for key, label, pg, count in (
        ("sqlite", "1 central, SQLite", False, 1),
        ("pg1", "1 central, PostgreSQL", True, 1),
        ("pg2", "2 centrals, one PostgreSQL", True, 2),
    ):
        data = root / key
        url = cluster.url(cluster.create_database()) if pg else None
        run_cli("central", "init", "--data", str(data), *(["--database", url] if url else []))
        dirs = [data]
        for i in range(1, count):  # each server its own data directory; one database
            other = root / f"{key}-{i + 1}"
            shutil.copytree(data, other)
            dirs.append(other)
        servers = [CentralProcess(d, workers=opts.workers).start() for d in dirs]
        central = Central(key, label, dirs, url, servers)
        print(f"   {label}: enrolling {len(sims)} nodes through POST /api/v1/enroll", flush=True)
        enroll_s[key] = round(enroll_all(data, servers[0].url, sims), 1)
        centrals.append(central)
    return centrals, enroll_s


def _measure(
    central: Central,
    cluster: Any,
    workers: list[Any],
    commands: list[Any],
    results: Any,
    opts: ScaleOptions,
    index: int,
) -> dict[str, Any]:
    pgids = [s.proc.pid for s in central.servers]
    before = {g: group_cpu_s(g) for g in pgids}
    pg_before = postgres_cpu_s(cluster.datadir)
    t0 = time.time() + 1.0
    for queue in commands:
        queue.put(
            {
                "config": central.key,
                "urls": [s.url for s in central.servers],
                "t0": t0,
                "seconds": opts.seconds,
                "batch": opts.batch,
                "think": opts.think,
            }
        )
    outs: dict[str, dict[str, Any]] = {}
    loadgen_cpu = 0.0
    for _ in workers:
        answer = results.get(timeout=opts.seconds + 600)
        outs.update(answer["nodes"])
        loadgen_cpu += answer["cpu_s"]
    central_cpu = 0.0
    for g in pgids:
        after = group_cpu_s(g)
        central_cpu += sum(t - before[g].get(pid, 0.0) for pid, t in after.items())
    db_cpu = postgres_cpu_s(cluster.datadir) - pg_before if central.url else 0.0
    wall = max(o["finished"] for o in outs.values()) - t0
    latencies = [x for o in outs.values() for x in o["latencies"]]
    records = sum(o["accepted"] for o in outs.values())
    return {
        "round": index + 1,
        "wall_s": round(wall, 2),
        "records": records,
        "batches": len(latencies),
        "rate_per_s": records / wall if wall else 0.0,
        "p50_s": percentile(latencies, 50),
        "p99_s": percentile(latencies, 99),
        "max_s": max(latencies, default=0.0),
        "central_cpu_us_per_record": central_cpu / records * 1e6 if records else 0.0,
        "db_cpu_us_per_record": db_cpu / records * 1e6 if records else 0.0,
        "loadgen_cpu_us_per_record": loadgen_cpu / records * 1e6 if records else 0.0,
        "central_cpu_s": round(central_cpu, 2),
        "db_cpu_s": round(db_cpu, 2),
        "loadgen_cpu_s": round(loadgen_cpu, 2),
        "duplicates": sum(o["duplicates"] for o in outs.values()),
        "exhausted": sum(1 for o in outs.values() if o["exhausted"]),
        "errors": [e for o in outs.values() for e in o["errors"]][:5],
        "positions": {n: (o["position"], o["head"]) for n, o in outs.items()},
    }


def run_scale(root: Path, opts: ScaleOptions) -> ScenarioResult:
    from testkit.pgcluster import start_cluster
    from testkit.simnode import SimNode

    from .scale_load import node_worker

    res = ScenarioResult(
        "scale",
        f"Scale: {opts.nodes} nodes, batches of {opts.batch}, push "
        f"interval {opts.think:g} s, {opts.seconds:g} s x "
        f"{opts.rounds} round(s), --workers {opts.workers} each",
    )
    root.mkdir(parents=True, exist_ok=True)
    sims = [SimNode(f"sim-{i + 1:04d}") for i in range(opts.nodes)]
    # Enough records for every push a node can make in all rounds (a push at most every
    # 0.8 x think seconds), plus a margin.
    per_push_s = max(0.05, opts.think * 0.8)
    records = opts.batch * (int(opts.seconds / per_push_s) + 3) * opts.rounds + 1
    mp = multiprocessing.get_context("spawn")
    results = mp.Queue()
    commands = [mp.Queue() for _ in range(opts.loadgens)]
    shares: list[list[dict[str, Any]]] = [[] for _ in range(opts.loadgens)]
    for i, sim in enumerate(sims):
        shares[i % opts.loadgens].append(
            {"index": i, "name": sim.name, "key": sim.key.private_bytes_raw()}
        )
    workers = [
        mp.Process(target=node_worker, args=(share, records, commands[i], results), daemon=True)
        for i, share in enumerate(shares)
    ]
    cluster = start_cluster(durable=True)
    centrals: list[Central] = []
    try:
        started = time.monotonic()
        for w in workers:  # the logs build while the centrals are set up
            w.start()
        centrals, enroll_s = _setup(root, cluster, opts, sims)
        setup_s = time.monotonic() - started
        for _ in workers:
            results.get(timeout=1800)
        build_s = time.monotonic() - started
        print(
            f"   setup {setup_s:.0f} s (enrollment {enroll_s}), logs of {records:,} records "
            f"a node ready after {build_s:.0f} s",
            flush=True,
        )
        runs: dict[str, list[dict[str, Any]]] = {c.key: [] for c in centrals}
        last: dict[str, dict[str, Any]] = {}
        for index in range(opts.rounds):
            order = centrals[index % 3 :] + centrals[: index % 3]
            for central in order:
                print(f"   round {index + 1}: {central.label}", flush=True)
                run = _measure(central, cluster, workers, commands, results, opts, index)
                last[central.key] = run.pop("positions")
                runs[central.key].append(run)
        disk: dict[str, dict[str, int]] = {}
        for central in centrals:
            held = _held(central)
            for name, (position, head) in last[central.key].items():
                if position and held.get(name) != (position, head):
                    res.failures.append(
                        f"{central.label}: {name}: central holds "
                        f"{held.get(name)}, receipts acknowledged {position}"
                    )
            extra = set(held) - set(last[central.key])
            if extra:
                res.failures.append(f"{central.label}: records of unknown nodes {extra}")
            total = sum(n for n, _ in held.values())
            disk[central.key] = {"records": total, "bytes": _bytes_on_disk(central)}
            alerts = _alerts(central)
            if alerts:
                res.failures.append(f"{central.label}: alerts {sorted(set(alerts))}")
            for run in runs[central.key]:
                if run["errors"]:
                    res.failures.append(f"{central.label} round {run['round']}: {run['errors'][0]}")
                if run["duplicates"]:
                    res.failures.append(
                        f"{central.label}: {run['duplicates']} duplicates in batches sent once"
                    )
    finally:
        for queue in commands:
            queue.put(None)
        for w in workers:
            w.join(30)
            if w.is_alive():
                w.kill()
        for central in centrals:
            for server in central.servers:
                server.stop()
        cluster.stop()
    _report(res, runs, centrals, opts)
    for size in disk.values():
        size["bytes_per_record"] = size["bytes"] // max(1, size["records"])
    res.data.update(
        options=asdict(opts),
        setup_s=round(setup_s, 1),
        enroll_s=enroll_s,
        database_size=disk,
        build_s=round(build_s, 1),
        records_per_node_built=records,
    )
    return res


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _report(
    res: ScenarioResult,
    runs: dict[str, list[dict[str, Any]]],
    centrals: list[Central],
    opts: ScaleOptions,
) -> None:
    summary: dict[str, Any] = {}
    for central in centrals:
        done = runs[central.key]
        label = central.label
        summary[central.key] = {
            k: round(_median(done, k), 4)
            for k in (
                "rate_per_s",
                "p50_s",
                "p99_s",
                "central_cpu_us_per_record",
                "db_cpu_us_per_record",
                "loadgen_cpu_us_per_record",
            )
        }
        res.row(f"{label}: records per s", _median(done, "rate_per_s"), "/s", digits=0)
        res.row(f"{label}: batch latency p50", _median(done, "p50_s"), "s", digits=3)
        res.row(
            f"{label}: batch latency p99",
            _median(done, "p99_s"),
            "s",
            digits=3,
            **({"at_most": 1.0} if opts.nodes >= 500 else {}),
        )
        res.row(
            f"{label}: central CPU per record",
            _median(done, "central_cpu_us_per_record"),
            "us",
            digits=0,
        )
        if central.url is not None:
            res.row(
                f"{label}: database CPU per record",
                _median(done, "db_cpu_us_per_record"),
                "us",
                digits=0,
            )
        res.row(
            f"{label}: load generator CPU per record",
            _median(done, "loadgen_cpu_us_per_record"),
            "us",
            digits=0,
        )
    # Ratios of runs measured in the same round, then the median over rounds.
    pg_vs_sqlite = [
        b["rate_per_s"] / a["rate_per_s"]
        for a, b in zip(runs["sqlite"], runs["pg1"], strict=True)
        if a["rate_per_s"]
    ]
    two_vs_one = [
        c["rate_per_s"] / b["rate_per_s"]
        for b, c in zip(runs["pg1"], runs["pg2"], strict=True)
        if b["rate_per_s"]
    ]
    res.row(
        "ratio 1 PostgreSQL / 1 SQLite (median of rounds)",
        statistics.median(pg_vs_sqlite) if pg_vs_sqlite else 0.0,
        "",
        digits=2,
        at_least=0.7,
    )
    res.row(
        "ratio 2 centrals / 1 central on PostgreSQL (median of rounds)",
        statistics.median(two_vs_one) if two_vs_one else 0.0,
        "",
        digits=2,
        at_least=1.6,
    )
    res.row(
        "ratios in each round (PG/SQLite; 2/1)",
        "; ".join(f"{a:.2f}, {b:.2f}" for a, b in zip(pg_vs_sqlite, two_vs_one, strict=True)),
    )
    res.data.update(runs=runs, summary=summary, pg_vs_sqlite=pg_vs_sqlite, two_vs_one=two_vs_one)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``scripts/bench --only scale``."""
    group = parser.add_argument_group("scale (--only scale)")
    group.add_argument("--nodes", type=int, help="simulated nodes (default 500, --quick 20)")
    group.add_argument(
        "--seconds", type=float, help="seconds of each measurement (default 20, --quick 4)"
    )
    group.add_argument("--batch", type=int, help="records a push (default 10)")
    group.add_argument(
        "--think", type=float, help="a node's push interval after each answer, s (default 1)"
    )
    group.add_argument("--workers", type=int, help="granian workers a central (default 1)")
    group.add_argument("--loadgens", type=int, help="load generator processes (default 2)")


def options_from(args: argparse.Namespace, options: Options) -> ScaleOptions:
    base = ScaleOptions(nodes=20, seconds=4.0, rounds=1) if options.quick else ScaleOptions()
    base.rounds = args.rounds or base.rounds
    for name in ("nodes", "seconds", "batch", "think", "workers", "loadgens"):
        value = getattr(args, name)
        if value is not None:
            setattr(base, name, value)
    return base


def run(ctx: Context) -> list[ScenarioResult]:
    opts: ScaleOptions = ctx.shared.get("scale") or ScaleOptions()
    return [run_scale(ctx.root / "scale", opts)]
