"""Scenarios against central: 3 ingest, 4 WAN bytes, 5 drain, 6 freshness.

Every central here is ``presensi-central serve`` (granian) started exactly as in production
(``testkit.factories.CentralProcess``), on a data directory made by ``presensi-central init``.
Central's database is only ever read read-only (``mode=ro``) to check what it holds.

3. **Ingest.** Setup (not timed): ``presensi-central init``; N nodes enrolled the real way:
   a one-time token from ``central.enrollment.create_enroll_token`` (what ``presensi-central
   node add`` runs) and the node's CSR sent to ``POST /api/v1/enroll`` by
   ``CentralClient.enroll``; the data directory is then kept as a template. Each node's whole
   log (genesis + check-ins) is built and sealed with ``sync.records`` in ``nproc`` processes
   and cut into gzipped batches of 1,000 (``benchlib.ingest_load``). Timed: a fresh copy of
   the template served with ``--workers 1``, then another with ``--workers 2``; pusher
   processes (one thread per node, each node in seq order, every POST signed with
   ``sync.httpsig.sign_request`` just before sending) start together; rate = records stored /
   wall time from the start signal to the last answer. Then central's database must hold
   exactly every record (count, per-node count and head hash). The reference: one process
   calling ``Ed25519PublicKey.verify`` over the canonical bytes of real records, in a loop.
4. **WAN bytes.** A node enrolled through a counting TCP proxy (``testkit.faultproxy.FaultProxy``
   in ``pass`` mode; the node's ``CENTRAL_URL`` is the proxy), served with its scheduler at
   the default intervals. After setup (enrollment, first push, first roster pull: not
   counted), staff check in and out in waves, the push job batching each wave; every byte both
   ways through the proxy counts (TCP payload: request and status lines, headers, bodies).
   Then an idle window measures what an idle node sends per second (nothing but the hourly
   roster fallback since the node stopped polling), extrapolated to the rest of a 24-hour day.
5. **Drain.** A node whose log got a backlog of check-ins through its ``LogWriter`` while no
   sync ran; then ``presensi-node sync``: seconds from launching it until central holds every
   record.
6. **Freshness.** A node served with its scheduler; check-ins at a steady rate; for each,
   the time from its 201 to the moment its hash appears in central's database (polled every
   20 ms).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from .context import Context, ScenarioResult, percentile
from .procs import group_cpu_s

REPO = Path(__file__).resolve().parents[2]


def available() -> bool:
    return (REPO / "central" / "__init__.py").exists() and (
        shutil.which("presensi-central") is not None
        or (REPO / ".venv" / "bin" / "presensi-central").exists()
    )


def run(ctx: Context) -> list[ScenarioResult]:
    results = [ingest(ctx)]
    results.extend(office_scenarios(ctx))
    return results


# --- shared helpers ------------------------------------------------------------------------


def _ro(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)


def central_holds(db: Path, node: str) -> tuple[int, int, str | None]:
    """(records, highest seq, hash at it) central's database holds for ``node``."""
    conn = _ro(db)
    try:
        count, top = conn.execute(
            "SELECT count(*), max(seq) FROM records WHERE node = ?", (node,)
        ).fetchone()
        head = None
        if top is not None:
            head = conn.execute(
                "SELECT hash FROM records WHERE node = ? AND seq = ?", (node, top)
            ).fetchone()[0]
        return int(count), -1 if top is None else int(top), head
    finally:
        conn.close()


def _init_central(data: Path) -> None:
    from testkit.factories import run_cli

    run_cli("central", "init", "--data", str(data))


def raw_verify_rate(
    samples: list[tuple[bytes, bytes]], public: Any, repeats: int = 3
) -> tuple[float, list[float]]:
    """Median records/s of ``public.verify(sig, data)`` in this one process (one core)."""
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for data, sig in samples:
            public.verify(sig, data)
        rates.append(len(samples) / (time.perf_counter() - started))
    return statistics.median(rates), rates


def check_record_rate(records: list[dict[str, Any]], public: Any) -> float:
    """records/s of ``sync.records.check_record`` (shape, canonical bytes, hash, signature)."""
    from sync.records import check_record

    started = time.perf_counter()
    for record in records:
        check_record(record, public)
    return len(records) / (time.perf_counter() - started)


# --- 3. central ingest ---------------------------------------------------------------------


def _enroll_nodes(ctx: Context, data: Path, count: int) -> list[dict[str, Any]]:
    """Start central, enroll ``count`` nodes through POST /api/v1/enroll, stop central."""
    from central.enrollment import create_enroll_token
    from central.store.sqlite import SqliteStore
    from certs.csr import make_csr
    from certs.keys import generate_key
    from sync.client import CentralClient
    from testkit.factories import CentralProcess

    nodes = []
    store = SqliteStore(data / "central.db")
    central = CentralProcess(data, workers=1).start()
    try:
        for i in range(count):
            name = f"bench-node-{i + 1:02d}"
            key = generate_key()
            token = create_enroll_token(store, name, now=time.time(), hours=1)
            answer = CentralClient.enroll(central.url, token, make_csr(key, name).decode("ascii"))
            assert answer["node"] == name, answer
            nodes.append({"node": name, "key": key.private_bytes_raw(), "public": key.public_key()})
    finally:
        central.stop()
        store.close()
    return nodes


def _push_all(
    url: str, nodes: list[dict[str, Any]], logs: dict[str, dict[str, Any]], processes: int
) -> dict[str, Any]:
    """Start pusher processes, let them load their batches, then time the push of all."""
    from .ingest_load import push_worker

    mp = multiprocessing.get_context("spawn")
    ready, results, go = mp.Queue(), mp.Queue(), mp.Event()
    shares: list[list[dict[str, Any]]] = [[] for _ in range(processes)]
    for i, node in enumerate(nodes):
        shares[i % processes].append(
            {"node": node["node"], "key": node["key"], "files": logs[node["node"]]["files"]}
        )
    procs = [
        mp.Process(target=push_worker, args=(url, share, ready, go, results), daemon=True)
        for share in shares
        if share
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=300)
    started = time.monotonic()
    go.set()
    outs: dict[str, dict[str, Any]] = {}
    pushers_cpu_s = 0.0
    try:
        for _ in procs:
            answer = results.get(timeout=1800)
            outs.update(answer["nodes"])
            pushers_cpu_s += answer["cpu_s"]
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    finished = max(o["finished"] for o in outs.values())
    latencies = [x for o in outs.values() for x in o.pop("latencies")]
    return {
        "wall_s": finished - started,
        "nodes": outs,
        "pushers_cpu_s": pushers_cpu_s,
        "accepted": sum(o["accepted"] for o in outs.values()),
        "duplicates": sum(o["duplicates"] for o in outs.values()),
        "retries": sum(o["retries"] for o in outs.values()),
        "errors": [e for o in outs.values() for e in o["errors"]],
        "batch_latency_s": {
            "p50": round(percentile(latencies, 50), 3),
            "p95": round(percentile(latencies, 95), 3),
            "max": round(max(latencies, default=0), 3),
        },
        "requests": len(latencies),
    }


def _ingest_push(
    base: Path,
    template: Path,
    nodes: list[dict[str, Any]],
    logs: dict[str, dict[str, Any]],
    sample: list[tuple[bytes, bytes]],
    workers: int,
    index: int,
    total: int,
    keep: bool,
) -> dict[str, Any]:
    """One push of every node's batches to a fresh central with ``workers`` workers."""
    from testkit.factories import CentralProcess

    ref, ref_runs = raw_verify_rate(sample, nodes[0]["public"])
    data = base / f"central-w{workers}-r{index + 1}"
    shutil.copytree(template, data)
    (data / "serve.log").unlink(missing_ok=True)
    central = CentralProcess(data, workers=workers).start()
    try:
        assert central.proc is not None
        print(
            f"   round {index + 1}: pushing {total:,} records to central --workers {workers}",
            flush=True,
        )
        # Central's CPU over the push (its processes are idle while the pushers start up).
        cpu_before = group_cpu_s(central.proc.pid)
        push = _push_all(central.url, nodes, logs, processes=min(len(nodes), 4))
        cpu_after = group_cpu_s(central.proc.pid)
    finally:
        central.stop()
    central_cpu_s = sum(t - cpu_before.get(pid, 0.0) for pid, t in cpu_after.items())
    conn = _ro(data / "central.db")
    try:
        held = int(conn.execute("SELECT count(*) FROM records").fetchone()[0])
        per = dict(conn.execute("SELECT node, count(*) FROM records GROUP BY node"))
        heads = dict(conn.execute("SELECT name, head_hash FROM nodes"))
        alerts = [r[0] for r in conn.execute("SELECT kind FROM alerts WHERE kind != 'enrolled'")]
    finally:
        conn.close()
    if not keep:  # 200,000 records a push: free the disk for the next round
        shutil.rmtree(data, ignore_errors=True)
    rate = held / push["wall_s"] if push["wall_s"] else 0.0
    problems = []
    if held != total:
        problems.append(f"central holds {held} records, {total} were pushed")
    per_node = total // len(nodes)
    for n in nodes:
        name = n["node"]
        if per.get(name) != per_node or heads.get(name) != logs[name]["head"]:
            problems.append(
                f"{name}: central holds {per.get(name)} records, head "
                f"{str(heads.get(name))[:12]}; expected {per_node}, "
                f"{logs[name]['head'][:12]}"
            )
    if push["accepted"] + push["duplicates"] != total:
        problems.append(
            f"answers acknowledged {push['accepted']} + "
            f"{push['duplicates']} duplicates of {total} records"
        )
    if push["errors"]:
        problems.append(f"{len(push['errors'])} failed requests, first: {push['errors'][0]}")
    return {
        "push": push,
        "records_held": held,
        "rate_per_s": round(rate),
        "central_cpu_us_per_record": round(central_cpu_s / held * 1e6, 1) if held else 0.0,
        "pushers_cpu_us_per_record": round(push["pushers_cpu_s"] / held * 1e6, 1) if held else 0.0,
        "raw_verify_per_s": round(ref),
        "raw_verify_runs": [round(x) for x in ref_runs],
        "ratio": rate / ref if ref else 0.0,
        "alerts": alerts,
        "problems": problems[:5],
    }


def ingest(ctx: Context) -> ScenarioResult:
    from sync.batches import decode_batch
    from sync.canonical import canonical_bytes
    from sync.records import decode_sig, unsigned_part

    from .ingest_load import generate_node

    opts = ctx.options
    n_nodes, per_node, batch = opts.ingest_nodes, opts.ingest_per_node, 1000
    total = n_nodes * per_node
    res = ScenarioResult(
        "ingest", f"3. Central ingest: {n_nodes} nodes, {total:,} records, batches of {batch:,}"
    )
    base = ctx.root / "ingest"
    template = base / "central-template"
    print(f"   ingest setup: central init, {n_nodes} nodes enrolled", flush=True)
    _init_central(template)
    nodes = _enroll_nodes(ctx, template, n_nodes)
    print(f"   building {total:,} signed records in {os.cpu_count()} processes", flush=True)
    started = time.monotonic()
    specs = [
        {
            "node": n["node"],
            "key": n["key"],
            "count": per_node,
            "batch_size": batch,
            "dir": str(base / "logs" / n["node"]),
            "t_start": time.time() - 7200,
        }
        for n in nodes
    ]
    with ProcessPoolExecutor(
        max_workers=os.cpu_count() or 2, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        logs = {log["node"]: log for log in pool.map(generate_node, specs)}
    build_s = time.monotonic() - started
    gz = sum(log["gz_bytes"] for log in logs.values())
    raw = sum(log["raw_bytes"] for log in logs.values())
    print(
        f"   built in {build_s:.1f} s ({raw / total:.0f} B/record, gzip {gz / total:.0f})",
        flush=True,
    )

    # The reference: real records of node 1, canonical bytes exactly as signed.
    first = nodes[0]
    sample_records: list[dict[str, Any]] = []
    for path in logs[first["node"]]["files"]:
        # decode_batch rebuilds the hash and prev a v2 batch leaves out.
        sample_records.extend(decode_batch(Path(path).read_bytes())["records"])
        if len(sample_records) >= 5000:
            break
    sample = [(canonical_bytes(unsigned_part(r)), decode_sig(r)) for r in sample_records]

    # Rounds alternate the order of the worker counts (1, 2 / 2, 1 / ...); each push gets a
    # fresh copy of the enrolled central and its own reference measured just before it.
    pushes: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for index in range(opts.rounds):
        for workers in (1, 2) if index % 2 == 0 else (2, 1):
            pushes[workers].append(
                _ingest_push(base, template, nodes, logs, sample, workers, index, total, opts.keep)
            )
    runs: dict[str, Any] = {}
    for workers, done in pushes.items():
        label = f"--workers {workers}"

        def median(key: str, pushes: list[dict[str, Any]] = done) -> float:
            return float(statistics.median(p[key] for p in pushes))

        ratios = [p["ratio"] for p in done]
        rate, ref = round(median("rate_per_s")), round(median("raw_verify_per_s"))
        runs[f"workers_{workers}"] = {
            "rounds": done,
            "rate_per_s": rate,
            "raw_verify_per_s": ref,
            "ratio": round(median("ratio"), 3),
        }
        res.row(f"{label}: records verified+stored per s", rate, "/s")
        res.row(f"{label}: one core's raw Ed25519 verify", ref, "/s")
        # One worker: at least 0.6 of a core; several: "more than one core's worth". The
        # median of the per-push ratios: each push was measured side by side with its reference.
        target = {"at_least": 0.6} if workers == 1 else {"more_than": 1.0}
        res.row(f"{label}: ratio ingest / one core", median("ratio"), "", digits=2, **target)
        res.row(f"{label}: ratio in each round", " ".join(f"{x:.2f}" for x in ratios))
        # Where the two cores went: central's processes and the load generator's, per record.
        res.row(
            f"{label}: central CPU per record", median("central_cpu_us_per_record"), "us", digits=1
        )
        res.row(
            f"{label}: load generator CPU per record",
            median("pushers_cpu_us_per_record"),
            "us",
            digits=1,
        )
        res.row(
            f"{label}: wall time",
            statistics.median(p["push"]["wall_s"] for p in done),
            "s",
            digits=1,
        )
        res.row(f"{label}: central holds", min(p["records_held"] for p in done), "", at_least=total)
        for i, push in enumerate(done, 1):
            res.failures.extend(f"{label}, round {i}: {problem}" for problem in push["problems"])
    records = sample_records[:2000]
    full_check = check_record_rate(records, first["public"])
    res.row("check_record per s, one core (canonical+hash+verify)", round(full_check), "/s")
    res.data = {
        "nodes": n_nodes,
        "records": total,
        "batch": batch,
        "build_s": round(build_s, 1),
        "bytes_per_record": round(raw / total),
        "gzip_bytes_per_record": round(gz / total),
        "raw_verify_median_per_s": round(
            statistics.median(p["raw_verify_per_s"] for done in pushes.values() for p in done)
        ),
        "check_record_per_s": round(full_check),
        "runs": runs,
    }
    return res


# --- office node helpers (scenarios 4-6) ---------------------------------------------------


def office_node(
    ctx: Context, central_data: Path, central_url: str, name: str, staff: int
) -> tuple[Any, list[str], list[str]]:
    """Enroll a node (``presensi-central node add`` + ``presensi-node init --central URL
    --token T`` + one ``presensi-node sync``), give it a roster of ``staff`` and a session
    each; return (paths, nips, tokens). The roster is installed through the writer path with
    one PIN hash for everybody (nobody signs in here; scenario 2 measures PIN checks)."""
    from local_node import roster
    from local_node.config import load_config
    from local_node.datadir import NodePaths
    from local_node.identity import load_identity, node_name
    from local_node.service import NodeService
    from sync.demo_roster import make_roster
    from sync.pins import hash_pin
    from testkit.factories import run_cli

    token = (
        run_cli("central", "node", "add", "--data", str(central_data), "--name", name)
        .stdout.strip()
        .splitlines()[0]
    )
    paths = NodePaths(ctx.root / name)
    run_cli(
        "local_node", "init", "--data", str(paths.root), "--central", central_url, "--token", token
    )
    people = make_roster(staff, seed=23)
    pin_hash = ctx.shared.get("office_pin_hash") or hash_pin("246810")
    ctx.shared["office_pin_hash"] = pin_hash
    config = load_config(paths.root)
    svc = NodeService(config, paths, load_identity(paths, node_name(paths)))
    try:
        roster.install(
            svc.writer,
            [roster.Employee(p["nip"], p["name"], p["unit"], p["role"], pin_hash) for p in people],
            {
                "version": f"local-bench-{staff}",
                "source": "csv",
                "file": "bench.csv",
                "sha256": "0" * 64,
                "count": staff,
            },
        )
        conn = svc.store.conn()
        conn.execute("BEGIN IMMEDIATE")
        tokens = [
            svc.sessions.create(p["nip"], f"bench-phone-{i:05d}")[0] for i, p in enumerate(people)
        ]
        conn.execute("COMMIT")
    finally:
        svc.close()
    run_cli("local_node", "sync", "--data", str(paths.root))
    return paths, [p["nip"] for p in people], tokens


def node_pushable(paths: Any) -> tuple[int, str]:
    """(records up to the last non-anchor record, hash of that record) of a node's log."""
    conn = _ro(paths.db)
    try:
        seq, digest = conn.execute(
            "SELECT seq, hash FROM log WHERE type != 'anchor' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return int(seq) + 1, str(digest)
    finally:
        conn.close()


def wait_synced(db: Path, paths: Any, timeout: float) -> bool:
    """Wait until central holds the node's log up to its last non-anchor record."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        want, digest = node_pushable(paths)
        _, top, head = central_holds(db, paths.root.name)
        if top >= want - 1 and (top > want - 1 or head == digest):
            return True
        time.sleep(0.1)
    return False


def check_in(url: str, token: str, kind: str) -> tuple[int, dict[str, Any] | str, float]:
    """POST a check-in; (status, record or text, monotonic time of the answer)."""
    try:
        r = requests.post(
            url + "/api/v1/checkins",
            json={"kind": kind},
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )
    except requests.RequestException as exc:
        return 0, str(exc), time.monotonic()
    done = time.monotonic()
    return r.status_code, (r.json() if r.status_code == 201 else r.text[:200]), done


def office_scenarios(ctx: Context) -> list[ScenarioResult]:
    from testkit.factories import CentralProcess

    data = ctx.root / "office-central"
    _init_central(data)
    central = CentralProcess(data, workers=2).start()
    results = []
    try:
        for step in (wan, drain, freshness):
            results.append(step(ctx, central, data))
    finally:
        central.stop()
    return results


# --- 4. WAN bytes --------------------------------------------------------------------------


def _request_kinds(proxy: Any, offsets: list[int]) -> dict[str, int]:
    from testkit.faultproxy import split_requests

    kinds = {"checkpoint": 0, "batch": 0, "roster": 0, "other": 0}
    for i, stream in enumerate(list(proxy.captured)):
        start = offsets[i] if i < len(offsets) else 0
        for req in split_requests(bytes(stream[start:])):
            line = req.split(b"\r\n", 1)[0]
            if b"/checkpoint" in line:
                kinds["checkpoint"] += 1
            elif b"/api/v1/batches" in line:
                kinds["batch"] += 1
            elif b"/api/v1/roster" in line:
                kinds["roster"] += 1
            else:
                kinds["other"] += 1
    return kinds


def _snapshot(proxy: Any) -> tuple[int, int, list[int]]:
    return proxy.bytes_up, proxy.bytes_down, [len(c) for c in list(proxy.captured)]


def wan(ctx: Context, central: Any, data: Path) -> ScenarioResult:
    from testkit.factories import NodeProcess
    from testkit.faultproxy import FaultProxy

    opts = ctx.options
    staff, waves = opts.wan_staff, opts.wan_waves
    res = ScenarioResult(
        "wan", f"4. WAN bytes: {staff} staff x (in + out), {waves} waves, through a counting proxy"
    )
    proxy = FaultProxy(central.port, capture=True).start()
    node = None
    try:
        print(f"   WAN setup: node enrolled through the proxy, {staff} staff", flush=True)
        paths, _, tokens = office_node(ctx, data, proxy.url, "bench-wan", staff)
        node = NodeProcess(paths, scheduler=True).start()
        # Setup traffic (enrollment, genesis, roster record, the serving node's first push
        # cycle and first roster pull) is not part of the day.
        db = data / "central.db"
        if not wait_synced(db, paths, 60):
            res.failures.append("the node's first push cycle did not reach central")
        deadline = time.monotonic() + 30
        while _request_kinds(proxy, [])["roster"] < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        up0, down0, offsets = _snapshot(proxy)
        started = time.monotonic()
        statuses: dict[int, int] = {}
        per_wave = [staff * 2 // waves + (1 if i < staff * 2 % waves else 0) for i in range(waves)]
        jobs = [(t, "in") for t in tokens] + [(t, "out") for t in tokens]
        print(f"   {len(jobs)} check-ins in {waves} waves, {opts.wan_gap_s:g} s apart", flush=True)
        with ThreadPoolExecutor(16) as pool:
            position = 0
            for size in per_wave:
                wave = jobs[position : position + size]
                position += size
                for status, _, _ in pool.map(lambda j: check_in(node.url, j[0], j[1]), wave):
                    statuses[status] = statuses.get(status, 0) + 1
                time.sleep(opts.wan_gap_s)
        synced = wait_synced(db, paths, 60)
        time.sleep(0.5)
        up1, down1, offsets1 = _snapshot(proxy)
        active_s = time.monotonic() - started
        kinds = _request_kinds(proxy, offsets)
        # Idle: no check-ins; the push loop still asks central for its checkpoint.
        time.sleep(opts.wan_idle_s)
        up2, down2, _ = _snapshot(proxy)
        idle_kinds = _request_kinds(proxy, offsets1)
    finally:
        if node is not None:
            node.stop()
        proxy.stop()
    checkins = statuses.get(201, 0)
    active = (up1 - up0) + (down1 - down0)
    idle = (up2 - up1) + (down2 - down1)
    idle_rate = idle / opts.wan_idle_s
    day_s = 86400
    day_bytes = active + idle_rate * max(0.0, day_s - active_s)
    per = active / checkins if checkins else 0.0
    per_day = day_bytes / checkins if checkins else 0.0
    res.row("check-ins acknowledged (201)", checkins, "", at_least=len(jobs))
    res.row("bytes up / down during the check-ins", f"{up1 - up0:,} / {down1 - down0:,}", "B")
    res.row(
        "requests: checkpoint / batch / roster",
        f"{kinds['checkpoint']} / {kinds['batch']} / {kinds['roster']}",
    )
    res.row("bytes per check-in (check-in traffic)", per, "B", at_most=160, digits=0)
    res.row("idle traffic (measured window)", round(idle_rate), "B/s")
    res.row("bytes per check-in, 24 h incl. idle traffic", round(per_day), "B")
    if checkins != len(jobs):
        res.failures.append(f"{len(jobs)} check-ins sent, {checkins} acknowledged: {statuses}")
    if not synced:
        res.failures.append("central did not receive every check-in within 60 s")
    res.data = {
        "staff": staff,
        "waves": waves,
        "gap_s": opts.wan_gap_s,
        "checkins": checkins,
        "statuses": statuses,
        "active_s": round(active_s, 1),
        "bytes_up": up1 - up0,
        "bytes_down": down1 - down0,
        "requests": kinds,
        "bytes_per_checkin": round(per, 1),
        "idle_window_s": opts.wan_idle_s,
        "idle_bytes": idle,
        "idle_requests": idle_kinds,
        "idle_bytes_per_s": round(idle_rate, 1),
        "day_bytes_estimate": round(day_bytes),
        "bytes_per_checkin_day_incl_idle": round(per_day, 1),
    }
    return res


# --- 5. drain ------------------------------------------------------------------------------


def _backlog(paths: Any, count: int, nips: list[str]) -> None:
    """Append ``count`` check-ins through the node's LogWriter (group commits from 32
    threads), with no sync running: the backlog of an office cut off from central."""
    from local_node.config import load_config
    from local_node.identity import load_identity
    from local_node.service import NodeService

    svc = NodeService(load_config(paths.root), paths, load_identity(paths, paths.root.name))
    svc.start()

    def one(i: int) -> None:
        nip = nips[i % len(nips)]
        svc.append(
            "checkin",
            {
                "nip": nip,
                "kind": "in" if (i // len(nips)) % 2 == 0 else "out",
                "method": "app",
                "device": f"bench-phone-{i % len(nips):05d}",
                "client_ts": None,
            },
            nip=nip,
        )

    try:
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(one, range(count)))
    finally:
        svc.close()


def drain(ctx: Context, central: Any, data: Path) -> ScenarioResult:
    import subprocess
    import sys

    opts = ctx.options
    count = opts.drain_records
    res = ScenarioResult(
        "drain", f"5. Drain: backlog of {count:,} records, then presensi-node sync"
    )
    print(f"   drain setup: node, backlog of {count:,} check-ins", flush=True)
    paths, nips, _ = office_node(ctx, data, central.url, "bench-drain", 500)
    started = time.monotonic()
    _backlog(paths, count, nips)
    backlog_s = time.monotonic() - started
    want, digest = node_pushable(paths)
    db = data / "central.db"
    before, _, _ = central_holds(db, paths.root.name)
    print(f"   presensi-node sync of {want - before:,} records", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "local_node", "sync", "--data", str(paths.root)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    held_at = None
    while held_at is None:
        _, top, head = central_holds(db, paths.root.name)
        if top >= want - 1 and head is not None:
            held_at = time.monotonic()
            break
        if proc.poll() is not None and time.monotonic() - started > 600:
            break
        if time.monotonic() - started > 600:
            break
        time.sleep(0.02)
    out, err = proc.communicate(timeout=600)
    command_s = time.monotonic() - started
    held, top, _ = central_holds(db, paths.root.name)
    conn = _ro(db)
    try:
        stored = conn.execute(
            "SELECT hash FROM records WHERE node = ? AND seq = ?", (paths.root.name, want - 1)
        ).fetchone()
    finally:
        conn.close()
    seconds = (held_at - started) if held_at else float("nan")
    res.row("records sent by the sync", want - before)
    res.row("seconds until central holds all", seconds, "s", at_most=10, digits=2)
    res.row("records per second", round((want - before) / seconds) if held_at else 0, "/s")
    res.row("presensi-node sync wall time", round(command_s, 2), "s")
    res.row("central holds (records of this node)", held)
    if proc.returncode != 0:
        res.failures.append(f"presensi-node sync failed ({proc.returncode}): {err.strip()[-300:]}")
    if held_at is None or stored is None or stored[0] != digest:
        res.failures.append(f"central holds up to seq {top}, the node's log up to {want - 1}")
    res.data = {
        "backlog_records": count,
        "backlog_build_s": round(backlog_s, 1),
        "sent": want - before,
        "seconds_to_central": round(seconds, 3),
        "command_s": round(command_s, 3),
        "central_records": held,
        "sync_output": out.strip()[-500:],
    }
    return res


# --- 6. freshness --------------------------------------------------------------------------


class _Watcher(threading.Thread):
    """Polls central's database (read-only) for a node's new records; notes when each hash
    first appears."""

    def __init__(self, db: Path, node: str, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.db, self.node, self.interval = db, node, interval
        self.seen: dict[str, float] = {}
        self.stop_event = threading.Event()

    def run(self) -> None:
        conn = _ro(self.db)
        last = int(conn.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0])
        try:
            while not self.stop_event.is_set():
                rows = conn.execute(
                    "SELECT id, hash FROM records WHERE id > ? AND node = ?", (last, self.node)
                ).fetchall()
                now = time.monotonic()
                for rid, digest in rows:
                    self.seen.setdefault(digest, now)
                    last = max(last, rid)
                self.stop_event.wait(self.interval)
        finally:
            conn.close()


def freshness(ctx: Context, central: Any, data: Path) -> ScenarioResult:
    from testkit.factories import NodeProcess

    opts = ctx.options
    rate, seconds = opts.fresh_rate, opts.fresh_seconds
    count = int(rate * seconds)
    res = ScenarioResult(
        "freshness", f"6. Freshness: {rate:g} check-ins/s for {seconds:g} s, node scheduler on"
    )
    print(f"   freshness setup: node with {count} staff", flush=True)
    paths, _, tokens = office_node(ctx, data, central.url, "bench-fresh", count)
    db = data / "central.db"
    node = NodeProcess(paths, scheduler=True).start()
    watcher = _Watcher(db, paths.root.name)
    answers: list[tuple[int, Any, float]] = []
    try:
        wait_synced(db, paths, 60)
        watcher.start()
        print(f"   {count} check-ins at {rate:g}/s", flush=True)
        lock = threading.Lock()

        def one(token: str) -> None:
            answer = check_in(node.url, token, "in")
            with lock:
                answers.append(answer)

        with ThreadPoolExecutor(16) as pool:
            t0 = time.monotonic()
            for i, token in enumerate(tokens):
                delay = t0 + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, token)
        acked = {a[1]["hash"]: a[2] for a in answers if a[0] == 201}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(h in watcher.seen for h in acked):
            time.sleep(0.1)
    finally:
        watcher.stop_event.set()
        watcher.join(5)
        node.stop()
    lat = [watcher.seen[h] - t for h, t in acked.items() if h in watcher.seen]
    missing = [h for h in acked if h not in watcher.seen]
    non_201 = sum(1 for a in answers if a[0] != 201)
    res.row("check-ins acknowledged (201)", len(acked), "", at_least=count)
    res.row("201 -> at central p50", round(percentile(lat, 50), 2), "s")
    res.row("201 -> at central p95", percentile(lat, 95), "s", at_most=5, digits=2)
    res.row("201 -> at central max", round(max(lat, default=0), 2), "s")
    res.row("not at central after 60 s", len(missing), "", at_most=0)
    if missing:
        res.failures.append(f"{len(missing)} acknowledged check-ins never reached central")
    if non_201:
        res.failures.append(f"{non_201} check-ins were not acknowledged with 201")
    res.data = {
        "rate": rate,
        "seconds": seconds,
        "acked": len(acked),
        "non_201": non_201,
        "latency_s": {
            "p50": round(percentile(lat, 50), 3),
            "p95": round(percentile(lat, 95), 3),
            "p99": round(percentile(lat, 99), 3),
            "max": round(max(lat, default=0), 3),
        },
        "missing": len(missing),
    }
    return res
