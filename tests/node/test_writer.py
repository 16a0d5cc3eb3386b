"""The log writer: concurrent appends never fork the chain; clock steps become records."""

from __future__ import annotations

import threading

from local_node.audit import verify_database
from local_node.identity import load_identity, node_name
from local_node.store import Store
from local_node.writer import LogWriter


class FakeClock:
    def __init__(self) -> None:
        self.wall_s = 1_790_000_000.0
        self.mono = 5_000_000

    def wall(self) -> float:
        return self.wall_s

    def mono_us(self) -> int:
        return self.mono

    def tick(self, seconds: float) -> None:
        self.wall_s += seconds
        self.mono += int(seconds * 1_000_000)


def _writer(paths, clock=None) -> LogWriter:
    identity = load_identity(paths, node_name(paths))
    return LogWriter(Store(paths.db), identity.key, boot_id="t", clock=clock)


def test_many_threads_one_chain(node_paths):
    writer = _writer(node_paths)
    seqs: list[int] = []

    def work() -> None:
        for _ in range(50):
            rec, _, _ = writer.append("checkin", {"n": 1})
            seqs.append(rec["seq"])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.stop()
    assert sorted(seqs) == list(range(1, 401))
    identity = load_identity(node_paths, node_name(node_paths))
    assert verify_database(node_paths.db, identity.key.public_key()).count == 401


def test_two_writers_in_two_connections_never_fork(node_paths):
    a, b = _writer(node_paths), _writer(node_paths)
    threads = [
        threading.Thread(target=lambda w=w: [w.append("admin", {"i": i}) for i in range(40)])
        for w in (a, b)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a.stop()
    b.stop()
    identity = load_identity(node_paths, node_name(node_paths))
    assert verify_database(node_paths.db, identity.key.public_key()).count == 81


def test_wall_clock_step_writes_a_clock_record(node_paths):
    clock = FakeClock()
    writer = _writer(node_paths, clock)
    writer.append("checkin", {"n": 1})
    clock.tick(1)
    first, _, _ = writer.append("checkin", {"n": 2})
    clock.wall_s -= 3600  # someone sets the clock back an hour
    clock.tick(1)
    stepped, _, _ = writer.append("checkin", {"n": 3})
    writer.stop()
    store = Store(node_paths.db)
    types = [r for r in store.iter_records(since=first["seq"])]
    assert '"type":"clock"' in types[1]
    assert '"step_ms":-3600000' in types[1]
    assert stepped["seq"] == first["seq"] + 2
