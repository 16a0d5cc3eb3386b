"""Staff checking in against a node while something breaks: what was acknowledged, and how
fast the node answered."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import requests

from testkit.factories import sign_in


@dataclass
class Ack:
    seq: int
    hash: str
    nip: str


@dataclass
class StaffStats:
    acked: list[Ack] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    refused: int = 0

    def p95_ms(self) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 1)


class StaffLoad:
    """``clients`` staff tapping "datang" every ``pause`` seconds until stopped.

    A request that fails at the transport level (the node was killed) ends that client's
    loop unless ``survive`` is set: what was not answered 201 was not promised.
    """

    def __init__(
        self,
        url: str,
        people: list[dict[str, str]],
        *,
        pause: float = 0.05,
        survive: bool = False,
        timeout: float = 10,
    ) -> None:
        self.url = url
        self.tokens = [(p["nip"], sign_in(url, p["nip"], p["pin"])) for p in people]
        self.pause = pause
        self.survive = survive
        self.timeout = timeout
        self.stats = StaffStats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> StaffLoad:
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._client, args=(nip, token), daemon=True)
            for nip, token in self.tokens
        ]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> StaffStats:
        self._stop.set()
        for t in self._threads:
            t.join(self.timeout + 5)
        return self.stats

    def _client(self, nip: str, token: str) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                r = session.post(
                    self.url + "/api/v1/checkins",
                    json={"kind": "in"},
                    headers=headers,
                    timeout=self.timeout,
                )
            except requests.RequestException:
                if not self.survive:
                    return
                self._stop.wait(0.2)
                continue
            took = time.monotonic() - started
            with self._lock:
                if r.status_code == 201:
                    rec = json.loads(r.text)
                    self.stats.acked.append(Ack(rec["seq"], rec["hash"], nip))
                    self.stats.latencies.append(took)
                else:
                    self.stats.refused += 1
            self._stop.wait(self.pause)
