"""Benchmarks of Smart Presensi (issue 4, docs/performance.md). Run through ``scripts/bench``.

    scripts/bench [--quick] [--json FILE] [--staff N] [--signins N] [--keep]

Builds its own CA, node and central in a temporary folder, runs each
scenario, prints a table and optionally writes JSON. Exits 1 only when something was lost,
the chain does not verify, or a step crashed; missed speed targets are reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.benchlib import central_scenarios, node_scenarios, recap_scenario, scale  # noqa: E402
from scripts.benchlib.context import Context, Options, ScenarioResult  # noqa: E402


def machine() -> dict[str, object]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "granian": version("granian"),
        "flask": version("flask"),
        "cryptography": version("cryptography"),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "",
        "mem_total_mb": int(Path("/proc/meminfo").read_text().split()[1]) // 1024,
    }


def print_table(results: list[ScenarioResult]) -> None:
    width = max((len(r.metric) for res in results for r in res.rows), default=20)
    for res in results:
        print(f"\n{res.title}")
        for r in res.rows:
            value = f"{r.value:,}" if isinstance(r.value, int) else str(r.value)
            mark = {True: "ok", False: "MISSED", None: ""}[r.met]
            print(f"  {r.metric:<{width}}  {value:>10} {r.unit:<3} {r.target:>9}  {mark}")
        for failure in res.failures:
            print(f"  FAILED: {failure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small roster, short run (CI smoke test, under ~2 minutes)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--staff", type=int, help="roster size (default 7000, --quick 500)")
    parser.add_argument(
        "--signins", type=int, help="first-morning sign-ins (default: all staff, --quick 200)"
    )
    parser.add_argument(
        "--only",
        choices=["node", "central", "recap", "scale"],
        help="run one group of scenarios (scale: only this way)",
    )
    scale.add_arguments(parser)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--rounds",
        type=int,
        help="rounds of the rush and the ingest; medians are shown (default 3, --quick 2)",
    )
    args = parser.parse_args(argv)
    staff = args.staff or (500 if args.quick else 7000)
    options = Options(
        quick=args.quick,
        staff=staff,
        signins=min(staff, args.signins or (200 if args.quick else staff)),
        keep=args.keep,
        rounds=max(1, args.rounds or (2 if args.quick else 3)),
    )
    if args.quick:
        options.ingest_nodes, options.ingest_per_node = 2, 2000
        options.wan_staff, options.wan_waves, options.wan_gap_s = 50, 2, 7.0
        options.wan_idle_s = 12.0
        options.drain_records, options.fresh_seconds = 3000, 10.0

    root = Path(tempfile.mkdtemp(prefix="presensi-bench-"))
    ctx = Context(options, root)
    ctx.shared["scale"] = scale.options_from(args, options)
    started = time.monotonic()
    results: list[ScenarioResult] = []
    crashed: list[str] = []
    groups: list[tuple[str, Callable[[Context], list[ScenarioResult]]]] = []
    if args.only in (None, "node"):
        groups.append(("node", _node_group))
    if args.only in (None, "central"):
        if central_scenarios.available():
            groups.append(("central", central_scenarios.run))
        else:
            print("== central: skipped (no central/ app with presensi-central yet)")
    if args.only in (None, "recap"):
        groups.append(("recap", recap_scenario.run))
    if args.only == "scale":  # needs PostgreSQL and minutes: asked for by name
        groups.append(("scale", scale.run))
    try:
        for name, run in groups:
            print(f"== {name} scenarios (work dir {root})", flush=True)
            try:
                done = run(ctx)
                if not done:
                    print(f"   ({name}: no scenarios built yet)")
                results.extend(done)
            except Exception:  # a crashed step fails the run, the others still report
                crashed.append(f"{name}: {traceback.format_exc()}")
                print(f"  CRASHED: {crashed[-1]}", file=sys.stderr)
    finally:
        if not options.keep:
            shutil.rmtree(root, ignore_errors=True)

    elapsed = time.monotonic() - started
    print_table(results)
    failures = [f"{r.key}: {f}" for r in results for f in r.failures] + crashed
    missed = [f"{r.key}: {row.metric}" for r in results for row in r.rows if row.met is False]
    print(
        f"\n{len(results)} scenario(s) in {elapsed:.0f} s; "
        f"targets missed: {len(missed)}; integrity failures: {len(failures)}"
    )
    if args.json:
        report = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "scripts/bench " + " ".join(argv if argv is not None else sys.argv[1:]),
            "options": vars(options),
            "machine": machine(),
            "elapsed_s": round(elapsed, 1),
            "setup": {"pin_hash_s": ctx.shared.get("hash_s")},
            "scenarios": {
                r.key: {
                    "title": r.title,
                    "rows": [vars(row) for row in r.rows],
                    "data": r.data,
                    "failures": r.failures,
                }
                for r in results
            },
            "targets_missed": missed,
            "failures": failures,
            "ok": not failures,
        }
        Path(args.json).write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"JSON written to {args.json}")
    return 1 if failures else 0


def _node_group(ctx: Context) -> list[ScenarioResult]:
    node_scenarios.prepare_node(ctx)
    return node_scenarios.run(ctx)


if __name__ == "__main__":
    sys.exit(main())
