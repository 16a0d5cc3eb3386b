"""The sync scheduler: wake, debounce, backoff, no overlap, and wall-clock jumps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from local_node.scheduler import SyncScheduler, build_scheduler


class Recorder:
    """A job that records monotonic call times and can fail or be slow."""

    def __init__(self, fail: Callable[[int], bool] = lambda n: False, duration: float = 0):
        self.calls: list[float] = []
        self.fail = fail
        self.duration = duration
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    def __call__(self) -> None:
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.calls.append(time.monotonic())
            n = len(self.calls)
        try:
            if self.duration:
                time.sleep(self.duration)
            if self.fail(n):
                raise ConnectionError(f"central down (call {n})")
        finally:
            with self.lock:
                self.active -= 1


def wait_for(cond: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def made() -> Iterator[list[SyncScheduler]]:
    schedulers: list[SyncScheduler] = []
    yield schedulers
    for s in schedulers:
        s.stop()


def make(made: list[SyncScheduler], push: Any, roster: Any = None, **kw: Any) -> SyncScheduler:
    s = build_scheduler(push, roster or Recorder(), None, **kw)
    made.append(s)
    return s


def test_wake_runs_push_early_and_debounces(made: list[SyncScheduler]) -> None:
    push = Recorder()
    s = make(made, push, push_interval=60, roster_interval=600, jitter=0, debounce=0.3)
    s.start(first_push_after=60)
    time.sleep(0.2)
    assert push.calls == []
    woke = time.monotonic()
    for _ in range(20):  # a burst of check-ins, well inside one debounce window
        s.wake()
    wait_for(lambda: len(push.calls) == 1)
    assert push.calls[0] - woke < 10  # early: the interval alone would wait 60 s
    time.sleep(0.6)
    assert len(push.calls) == 1  # one push for the whole burst


def test_interval_with_jitter(made: list[SyncScheduler]) -> None:
    push = Recorder()
    s = make(made, push, push_interval=0.2, roster_interval=600, jitter=0.2)
    s.start(first_push_after=0)
    wait_for(lambda: len(push.calls) >= 6)
    gaps = [b - a for a, b in zip(push.calls, push.calls[1:], strict=False)]
    assert all(0.15 <= g <= 0.35 for g in gaps), gaps


def test_backoff_grows_to_cap_then_recovers(made: list[SyncScheduler]) -> None:
    push = Recorder(fail=lambda n: n <= 6)
    s = make(
        made,
        push,
        push_interval=0.05,
        roster_interval=600,
        jitter=0,
        backoff_base=0.1,
        backoff_cap=0.4,
    )
    s.start(first_push_after=0)
    wait_for(lambda: len(push.calls) >= 5)
    for _ in range(30):  # wakes during backoff must not cut it short
        s.wake()
        time.sleep(0.01)
    wait_for(lambda: len(push.calls) >= 10, timeout=10)
    gaps = [round(b - a, 2) for a, b in zip(push.calls, push.calls[1:], strict=False)]
    expected = [0.1, 0.2, 0.4, 0.4, 0.4, 0.4]
    for got, want in zip(gaps, expected, strict=False):
        assert want - 0.02 <= got <= want + 0.12, gaps
    assert all(g < 0.2 for g in gaps[6:]), gaps  # healthy again: back to the push interval
    assert s.failures == 0


def test_backoff_delay_formula() -> None:
    s = SyncScheduler(lambda: None, lambda: None, backoff_base=5, backoff_cap=300, jitter=0)
    assert [s.backoff_delay(n) for n in range(1, 10)] == [5, 10, 20, 40, 80, 160, 300, 300, 300]
    assert s.backoff_delay(10_000) == 300


def test_never_runs_twice_at_once(made: list[SyncScheduler]) -> None:
    push = Recorder(duration=0.15)
    s = make(made, push, push_interval=0.01, roster_interval=600, debounce=0)
    s.start(first_push_after=0)
    stop = time.monotonic() + 1
    while time.monotonic() < stop:
        s.wake()
        time.sleep(0.002)
    assert push.max_active == 1
    assert len(push.calls) <= 8


def test_start_twice_refused(made: list[SyncScheduler]) -> None:
    s = make(made, Recorder(), push_interval=60)
    s.start(first_push_after=60)
    with pytest.raises(RuntimeError):
        s.start()


def test_stop_is_prompt(made: list[SyncScheduler]) -> None:
    s = make(made, Recorder(), push_interval=600)
    s.start(first_push_after=600)
    started = time.monotonic()
    s.stop()
    assert time.monotonic() - started < 1.5
    assert not s.running


# --- wall-clock jumps ----------------------------------------------------------------------


class WallClock:
    """A wall clock someone can set: time.time and APScheduler's datetime.now both follow it."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._real = time.time

    def time(self) -> float:
        return self._real() + self.offset

    def datetime_class(self) -> type[datetime]:
        clock = self

        class Shifted(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.now(tz) + timedelta(seconds=clock.offset)

        return Shifted


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> WallClock:
    clock = WallClock()
    shifted = clock.datetime_class()
    monkeypatch.setattr("apscheduler.schedulers.base.datetime", shifted)
    monkeypatch.setattr("apscheduler.triggers.interval.datetime", shifted)
    monkeypatch.setattr("apscheduler.executors.base.datetime", shifted)
    monkeypatch.setattr(time, "time", clock.time)
    return clock


@pytest.mark.parametrize("jump", [-3600.0, 3600.0, -86400 * 30, 600.0])
def test_wall_clock_jump_neither_stalls_nor_double_runs(
    made: list[SyncScheduler], wall: WallClock, jump: float
) -> None:
    push, roster = Recorder(), Recorder()
    s = make(made, push, roster, push_interval=0.2, roster_interval=1, jitter=0, wall=wall.time)
    s.start(first_push_after=0)
    wait_for(lambda: len(roster.calls) >= 2, timeout=8)
    wall.offset += jump  # somebody sets the office PC's clock
    jumped = time.monotonic()
    time.sleep(3.5)
    after_push = [t for t in push.calls if t > jumped]
    after_roster = [t for t in roster.calls if t > jumped]
    # The push loop keeps its pace (about every 0.2 s), no stall and no burst.
    assert 12 <= len(after_push) <= 20, len(after_push)
    assert all(b - a > 0.15 for a, b in zip(push.calls, push.calls[1:], strict=False))
    # The roster job keeps running about once a second: not stalled for the jump, not
    # run many times to catch up.
    assert 2 <= len(after_roster) <= 4, [round(t - jumped, 2) for t in after_roster]
    assert push.max_active == 1 and roster.max_active == 1
    assert s.clock_steps == 1


def test_without_the_guard_apscheduler_would_stall(wall: WallClock) -> None:
    """Shows why the guard exists: a bare APScheduler interval job stalls after a step back."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    roster = Recorder()
    bare = BackgroundScheduler(timezone="UTC")
    bare.add_job(roster, IntervalTrigger(seconds=0.5, timezone="UTC"), coalesce=True)
    bare.start()
    try:
        wait_for(lambda: len(roster.calls) >= 2)
        wall.offset -= 3600
        jumped = time.monotonic()
        time.sleep(1.5)
        assert [t for t in roster.calls if t > jumped + 0.6] == []
    finally:
        bare.shutdown(wait=False)
