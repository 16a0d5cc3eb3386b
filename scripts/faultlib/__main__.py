"""``scripts/faults``: run every fault scenario with more rounds and print the table.

    scripts/faults [--quick] [--json FILE] [--only TEXT] [--seed N]

Exit status 1 when any row lost or duplicated something, missed a tampering, or broke an
invariant; the table says which.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import clock, crashes, multiserver, network, tamper
from .report import FaultRow, table, write_json

Scenario = Callable[..., Any]

# (name, function, full rounds, quick rounds, keyword arguments)
SCENARIOS: list[tuple[str, Scenario, int, int, dict[str, Any]]] = [
    ("node crash", crashes.node_kill_while_pushing, 20, 3, {}),
    ("writer crash", crashes.writer_kill_during_burst, 20, 3, {}),
    ("central crash", crashes.central_kill_during_ingest, 20, 3, {}),
    ("roster crash", crashes.roster_install_kill, 20, 3, {}),
    ("backup crash", crashes.backup_kill, 20, 3, {}),
    ("multiserver crash", multiserver.central_server_kill_on_postgres, 20, 3, {}),
    ("network", network.network_faults, 3, 1, {}),
    ("clock", clock.clock_faults, 3, 1, {}),
    ("tampering", tamper.tampering, 2, 1, {}),
]


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({model or platform.processor()}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/faults",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="few rounds (a few minutes)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--only", help="run only scenarios whose name contains this")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    rows: list[FaultRow] = []
    started = time.monotonic()
    for name, scenario, full, quick, kwargs in SCENARIOS:
        if args.only and args.only not in name:
            continue
        rounds = quick if args.quick else full
        print(f"== {name}: {rounds} round(s)", flush=True)
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
            result = scenario(Path(tmp), rounds, rng, **kwargs)
        found = result if isinstance(result, list) else [result]
        if not isinstance(result, list):
            result.seconds = time.monotonic() - t0
        for row in found:
            print(table([row]).splitlines()[-1], flush=True)
        rows += found
    print()
    print(table(rows))
    ok = all(row.ok for row in rows)
    total = time.monotonic() - started
    print(f"\n{'OK' if ok else 'FAILED'}: {len(rows)} rows in {total:.0f} s on {machine()}")
    if args.json:
        write_json(
            args.json,
            rows,
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine(),
                "quick": args.quick,
                "seed": args.seed,
                "seconds": round(total, 1),
            },
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
