"""Resets, 5xx answers, 3 s latency and a trickling answer between node and central: staff
keep checking in at normal speed throughout, and afterwards everything is at central once."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from local_node.datadir import NodePaths
from testkit.factories import CentralProcess, CentralSetup, NodeProcess
from testkit.faultproxy import FaultProxy
from tests.e2e.conftest import (
    CentralView,
    Staff,
    assert_converged,
    check_in,
    checkin_refs,
    report,
    sign_in_all,
    sync_state,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]


class _Broken(ThreadingHTTPServer):
    """A central that answers every request with 500 (an unhandled error, a bad deploy)."""

    daemon_threads = True
    block_on_close = False
    hits = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5
    server: _Broken

    def log_message(self, *args: object) -> None:
        pass

    def _fail(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.hits += 1
        body = json.dumps({"error": "internal", "message": "boom"}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _fail  # noqa: N815 - http.server's naming


@pytest.fixture
def broken_central() -> Iterator[_Broken]:
    server = _Broken(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


class StaffLoad:
    """Staff checking in every ``pause`` seconds, round robin, timing each answer."""

    def __init__(self, node_url: str, staff: list[Staff], pause: float = 0.25) -> None:
        self.node_url = node_url
        self.staff = itertools.cycle(staff)
        self.pause = pause
        self.records: list[dict[str, Any]] = []
        self.latencies: dict[str, list[float]] = {}

    def until(self, phase: str, done: Callable[[], bool], timeout: float) -> None:
        """Keep checking in until ``done()``; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        took = self.latencies.setdefault(phase, [])
        while not done():
            assert time.monotonic() < deadline, f"phase {phase}: timed out after {timeout} s"
            rec, seconds = check_in(
                self.node_url, next(self.staff), kind="in" if len(self.records) % 2 else "out"
            )
            self.records.append(rec)
            took.append(seconds)
            time.sleep(self.pause)


def test_resets_5xx_and_slow_answers_are_survived(
    node: NodeProcess,
    node_paths: NodePaths,
    central: CentralProcess,
    proxy: FaultProxy,
    view: CentralView,
    central_setup: CentralSetup,
    broken_central: _Broken,
    capsys: pytest.CaptureFixture[str],
) -> None:
    load = StaffLoad(node.url, sign_in_all(node.url, central_setup.people[:8]))
    assert_converged(view, node_paths)

    def event(name: str) -> int:
        return int(proxy.stats()["events"].get(name, 0))

    def last_error() -> str:
        return sync_state(node_paths).get("last_error", "")

    # Connections reset 200 bytes into a request (central never sees a whole one).
    proxy.set_mode("reset", after_bytes=200)
    load.until("reset", lambda: event("reset") >= 1 and "cannot reach central" in last_error(), 30)

    # Central answers 500 to everything.
    proxy.set_mode("pass")
    proxy.set_upstream(broken_central.server_address[1])
    load.until("http-500", lambda: broken_central.hits >= 1 and "HTTP 500" in last_error(), 30)

    # Back to the real central, but 3 s of latency on every chunk each way: pushes still
    # complete (slowly), within the node's timeouts.
    proxy.set_upstream(central.port)
    proxy.set_mode("latency", delay=3.0)
    held = view.count()
    load.until("latency-3s", lambda: view.count() > held and event("latency") >= 4, 60)

    # Central's answers trickle back at 200 bytes/s.
    proxy.set_mode("slow_body", rate=200)
    held = view.count()
    load.until("slow-body", lambda: view.count() > held and event("slow_body") >= 2, 60)

    proxy.set_mode("pass")
    assert_converged(view, node_paths, timeout=60)
    checkin_refs(view, load.records)
    worst = {phase: max(took) for phase, took in load.latencies.items()}
    report(
        capsys,
        f"{len(load.records)} staff check-ins during faults; slowest answer per "
        "phase: " + ", ".join(f"{p} {s * 1000:.0f} ms" for p, s in worst.items()),
    )
    assert max(worst.values()) < 1.0, worst
