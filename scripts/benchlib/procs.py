"""Processes the benchmark starts: the no-op server, and memory sampling of a process group."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

SCRIPTS = Path(__file__).resolve().parents[1]


def group_pids(pgid: int) -> list[int]:
    """Every live process whose process group is ``pgid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # Field 5 (pgrp) comes after the parenthesised command name, which may contain spaces.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid:
            pids.append(int(entry))
    return pids


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


class NoopServer:
    """benchlib.noop_app under granian, in its own process group."""

    def __init__(self, port: int, threads: int, log: Path) -> None:
        self.port = port
        self.threads = threads
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> NoopServer:
        env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
        out = open(self.log, "ab")  # noqa: SIM115 - lives with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchlib.noop_app", "--port", str(self.port),
             "--threads", str(self.threads)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"no-op server exited: {self.log.read_text()}")
            try:
                requests.post(self.url + "/noop", json={}, timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("no-op server did not come up")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)
