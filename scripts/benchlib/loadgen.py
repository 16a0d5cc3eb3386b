"""Driving wrk with scripts/wrk/replay.lua: every prepared request is sent exactly once.

wrk (C, epoll) generates the burst; a Python client on the same 2 cores would be the
bottleneck. The Lua script stops each wrk thread once it has all its answers and writes a
marker file; we then interrupt wrk, which prints its summary through the script's done().
"""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPLAY_LUA = Path(__file__).resolve().parents[1] / "wrk" / "replay.lua"


@dataclass
class Request:
    method: str
    path: str
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class WrkResult:
    """wrk's summary of one replay; latencies in milliseconds."""

    requests: int
    lines: int  # requests prepared; every one should have exactly one answer
    duration_s: float
    statuses: dict[int, int]
    errors: dict[str, int]
    latency_ms: dict[str, float]
    raw: dict[str, Any]

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def socket_errors(self) -> int:
        e = self.errors
        return e["connect"] + e["read"] + e["write"] + e["timeout"]

    @property
    def rate(self) -> float:
        """2xx answers per second of wall time."""
        return self.ok / self.duration_s if self.duration_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "prepared": self.lines,
            "duration_s": round(self.duration_s, 3),
            "ok_2xx": self.ok,
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
            "rate_per_s": round(self.rate, 1),
            "statuses": self.statuses,
            "errors": self.errors,
            "latency_ms": self.latency_ms,
        }


def write_requests(path: Path, requests: Iterable[Request]) -> int:
    """Write requests in replay.lua's tab-separated format; return how many."""
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        for r in requests:
            fields = [r.method, r.path, r.body, *(f"{k}: {v}" for k, v in r.headers.items())]
            if any("\t" in f or "\n" in f for f in fields):
                raise ValueError(f"request fields must not contain tabs or newlines: {r}")
            out.write("\t".join(fields) + "\n")
            n += 1
    return n


def replay(
    url: str,
    requests_file: Path,
    *,
    connections: int = 200,
    threads: int = 2,
    timeout_s: float = 300,
    request_timeout_s: int = 30,
) -> WrkResult:
    """Send every request in ``requests_file`` once with wrk; raise RuntimeError on a hang."""
    lines = sum(1 for line in open(requests_file, encoding="utf-8") if line.strip())
    # wrk sends each connection's first request without asking delay(): never open more
    # connections than a thread has lines, or the spare ones would send a stray request.
    connections = max(threads, min(connections, threads * (lines // threads)))
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as done_dir:
        args = [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{int(timeout_s) + 60}s",
            "--timeout",
            f"{request_timeout_s}s",
            "-s",
            str(REPLAY_LUA),
            url,
            "--",
            str(requests_file),
            str(threads),
            done_dir,
        ]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout_s
        try:
            while len(list(Path(done_dir).glob("thread-*"))) < threads:
                if proc.poll() is not None:
                    break
                if time.monotonic() > deadline:
                    proc.send_signal(signal.SIGINT)
                    out, err = proc.communicate(timeout=30)
                    raise RuntimeError(
                        f"wrk did not get every answer within {timeout_s} s:\n{out}\n{err}"
                    )
                time.sleep(0.005)
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    line = next((x for x in out.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary (exit {proc.returncode}):\n{out}\n{err}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    return WrkResult(
        requests=raw["requests"],
        lines=lines,
        duration_s=raw["duration_us"] / 1e6,
        statuses={int(k): v for k, v in raw["statuses"].items()},
        errors=raw["errors"],
        latency_ms={k: round(v / 1000, 2) for k, v in raw["latency_us"].items()},
        raw=raw,
    )
