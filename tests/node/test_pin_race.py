"""The PIN lockout under parallel guessing, against a real node process on loopback.

Guesses sent in parallel must not slip through the lockout: each PIN check is reserved in
the database before the slow hash, so 64 guessers get at most 5 checks against one NIP and at
most 30 from one address, however many requests are in flight. The evidence is the server's
own counters (``/metrics``: PIN hashes checked, failed sign-ins) and its lockout rows.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sync.demo_roster import make_roster
from testkit.factories import NodeProcess, served_roster_node

GUESSERS = 64


def _metric(url: str, name: str) -> int:
    text = requests.get(url + "/metrics", timeout=10).text
    match = re.search(rf"^{name} (\d+)$", text, re.M)
    assert match, f"{name} missing from /metrics"
    return int(match.group(1))


def _wrong(pin: str, n: int) -> str:
    guess = f"{(int(pin) + 1 + n) % 10**6:06d}"
    return guess if guess != pin else f"{(int(pin) + 2 + n) % 10**6:06d}"


def _storm(url: str, targets: list[str], pins: list[str], rounds: int) -> Counter[int]:
    """``GUESSERS`` threads released together, each sending ``rounds`` wrong PINs for its
    target NIP; the HTTP statuses they got."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(GUESSERS)

    def guesser(i: int) -> None:
        nip, pin = targets[i % len(targets)], pins[i % len(pins)]
        with requests.Session() as http:
            start.wait()
            for n in range(rounds):
                r = http.post(
                    url + "/api/v1/session",
                    timeout=60,
                    json={"nip": nip, "pin": _wrong(pin, i * rounds + n)},
                )
                with lock:
                    statuses[r.status_code] += 1

    threads = [threading.Thread(target=guesser, args=(i,)) for i in range(GUESSERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return statuses


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[NodeProcess, list[dict[str, str]]]]:
    proc, people = served_roster_node(tmp_path, 20)
    yield proc, people
    proc.kill()


def test_64_parallel_guessers_get_at_most_5_checks_of_one_nip(node) -> None:
    proc, people = node
    victim = people[3]
    statuses = _storm(proc.url, [victim["nip"]], [victim["pin"]], rounds=3)
    failures = _metric(proc.url, "presensi_signin_failures_total")
    assert failures <= 5, (failures, statuses)
    checks = _metric(proc.url, "presensi_pin_checks_total")
    assert checks <= 5, (checks, failures, statuses)
    assert failures == 5  # the lockout did not refuse more than it had to
    assert set(statuses) <= {401, 429}, statuses  # never a 5xx
    assert statuses[401] == failures and statuses[429] == GUESSERS * 3 - failures
    # The lock is set and stays: the owner's right PIN is refused too, from anywhere.
    conn = sqlite3.connect(proc.paths.db)
    locked_until = conn.execute(
        "SELECT locked_until FROM pin_failures WHERE key = ?", (f"nip:{victim['nip']}",)
    ).fetchone()[0]
    conn.close()
    assert locked_until > time.time() + 14 * 60
    r = requests.post(
        proc.url + "/api/v1/session", timeout=30, json={"nip": victim["nip"], "pin": victim["pin"]}
    )
    assert r.status_code == 429 and r.json()["error"] == "too-many-attempts"
    assert _metric(proc.url, "presensi_pin_checks_total") == checks


def test_64_nips_from_one_address_get_at_most_30_checks(node) -> None:
    proc, people = node
    # 20 NIPs on the roster and 44 well-formed ones that are not: both cost a PIN check.
    strangers = [p["nip"] for p in make_roster(44, seed=99)]
    targets = [p["nip"] for p in people] + strangers
    pins = [p["pin"] for p in people] + ["123456"] * len(strangers)
    statuses = _storm(proc.url, targets, pins, rounds=2)
    failures = _metric(proc.url, "presensi_signin_failures_total")
    assert failures <= 30, (failures, statuses)
    checks = _metric(proc.url, "presensi_pin_checks_total")
    assert checks <= 30, (checks, failures, statuses)
    assert failures == 30
    assert set(statuses) <= {401, 429}, statuses
    # The address is locked now: even a right PIN from it is refused.
    r = requests.post(
        proc.url + "/api/v1/session",
        timeout=30,
        json={"nip": people[0]["nip"], "pin": people[0]["pin"]},
    )
    assert r.status_code == 429


def test_a_success_gives_back_only_its_own_check(node) -> None:
    """Right PINs do not use up the window (staff signing in on several phones), and they do
    not clear failures either: 4 wrong, 3 right, then the 5th wrong locks the NIP."""
    proc, people = node
    person = people[5]
    for n in range(4):
        r = requests.post(
            proc.url + "/api/v1/session",
            timeout=30,
            json={"nip": person["nip"], "pin": _wrong(person["pin"], n)},
        )
        assert r.status_code == 401
    for _ in range(3):
        r = requests.post(
            proc.url + "/api/v1/session",
            timeout=30,
            json={"nip": person["nip"], "pin": person["pin"]},
        )
        assert r.status_code == 201
    r = requests.post(
        proc.url + "/api/v1/session",
        timeout=30,
        json={"nip": person["nip"], "pin": _wrong(person["pin"], 9)},
    )
    assert r.status_code == 401
    r = requests.post(
        proc.url + "/api/v1/session", timeout=30, json={"nip": person["nip"], "pin": person["pin"]}
    )
    assert r.status_code == 429
