"""Processes the benchmark starts: the no-op server, and memory sampling of a process group."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from testkit.factories import PY, ServerProcess, group_stats

SCRIPTS = Path(__file__).resolve().parents[1]


def group_pids(pgid: int) -> list[int]:
    """Every live process whose process group is ``pgid``."""
    return list(group_stats(pgid))


def group_cpu_s(pgid: int) -> dict[int, float]:
    """CPU seconds (user + system) so far of every live process in group ``pgid``, by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    # utime and stime are fields 14 and 15 of /proc/PID/stat.
    return {pid: (int(f[11]) + int(f[12])) / tick for pid, f in group_stats(pgid).items()}


def status_kb(pid: int, field: str) -> int:
    """A ``kB`` field (VmRSS, VmHWM) of /proc/PID/status, 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples VmRSS of every process in a group every ``interval`` s; keeps the peak sum."""

    def __init__(self, pgid: int, interval: float = 0.1) -> None:
        self.pgid = pgid
        self.interval = interval
        self.peak_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        pids = group_pids(self.pgid)
        rescan = time.monotonic() + 1
        while True:
            self.peak_kb = max(self.peak_kb, sum(status_kb(p, "VmRSS") for p in pids))
            self.samples += 1
            if self._stop.wait(self.interval):
                break
            if time.monotonic() > rescan:
                pids, rescan = group_pids(self.pgid), time.monotonic() + 1


def hwm_by_pid(pgid: int) -> dict[int, int]:
    """VmHWM (peak resident set over each process's life) in kB, per process of the group."""
    return {pid: status_kb(pid, "VmHWM") for pid in group_pids(pgid)}


class NoopServer(ServerProcess):
    """benchlib.noop_app under granian, in its own process group, started and stopped like
    the node and central; its log is ``LOG_DIR/serve.log``."""

    what = "no-op server"

    def __init__(self, log_dir: Path, threads: int) -> None:
        super().__init__(log_dir, None, {"PYTHONPATH": str(SCRIPTS)})
        self.threads = threads

    def command(self) -> list[str]:
        return [
            PY,
            "-m",
            "benchlib.noop_app",
            "--port",
            str(self.port),
            "--threads",
            str(self.threads),
        ]
