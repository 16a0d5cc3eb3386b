"""The node's scheduler: push often, pull the roster now and then, keep house.

Which jobs it runs, and their wiring, is ``local_node/jobs.py``.

Why the push job is not an APScheduler job: APScheduler 3 plans runs with wall-clock
datetimes. When someone sets the office PC's clock back an hour, an interval job waits an
extra hour; set forward, it misfires. Pushing is what must never stall, so it runs in one
thread of its own timed by ``time.monotonic`` and ``threading.Event.wait`` (which waits on the
monotonic clock): a wall-clock step cannot delay it, and one thread cannot run it twice at
once. ``wake()`` sets the event, so new check-ins are pushed within ``debounce`` seconds.
While central is unreachable the delay grows exponentially (``backoff_base`` doubling up to
``backoff_cap``), and ``wake()`` does not cut a backoff short (the morning rush would
otherwise hammer a central that is down).

The roster pull and housekeeping are APScheduler 3 ``BackgroundScheduler`` interval jobs
(``max_instances=1``, ``coalesce=True``, a misfire grace). The push thread doubles as a guard
for them: when the wall clock moves against the monotonic clock by more than
``STEP_TOLERANCE`` it reschedules both jobs from the new wall time and wakes APScheduler, so a
clock set back does not stall them and a clock set forward runs each once, not many times.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

__all__ = ["STEP_TOLERANCE", "SyncScheduler", "build_scheduler"]

log = logging.getLogger(__name__)

STEP_TOLERANCE = 2.0
GUARD_PERIOD = 1.0

Job = Callable[[], object]


class SyncScheduler:
    """The push loop thread plus an APScheduler for the roster pull and housekeeping."""

    def __init__(
        self,
        push: Job,
        pull_roster: Job,
        housekeeping: Job | None = None,
        *,
        push_interval: float = 5,
        roster_interval: float = 300,
        housekeeping_interval: float = 3600,
        backoff_base: float = 5,
        backoff_cap: float = 300,
        jitter: float = 0.2,
        debounce: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._push = push
        self._pull_roster = pull_roster
        self._housekeeping = housekeeping
        self.push_interval = push_interval
        self.roster_interval = roster_interval
        self.housekeeping_interval = housekeeping_interval
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.jitter = jitter
        self.debounce = debounce
        self._monotonic = monotonic
        self._wall = wall
        self._rng = rng or random.Random()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False
        self._lock = threading.Lock()
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self.failures = 0
        self.runs = 0
        self.clock_steps = 0
        self.last_error: str | None = None
        self.next_delay = 0.0

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, *, first_push_after: float = 1.0) -> None:
        """Start the push thread and APScheduler; a second call raises RuntimeError."""
        with self._lock:
            if self._started:
                raise RuntimeError("the sync scheduler was already started")
            self._started = True
        now = datetime.fromtimestamp(self._wall(), UTC)
        self._scheduler.add_job(
            self._pull_roster,
            self._trigger(self.roster_interval),
            id="roster",
            name="roster pull",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(max(self.roster_interval, 1)),
            next_run_time=now + timedelta(seconds=first_push_after + 2),
        )
        if self._housekeeping is not None:
            self._scheduler.add_job(
                self._housekeeping,
                self._trigger(self.housekeeping_interval),
                id="housekeeping",
                name="housekeeping",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=int(max(self.housekeeping_interval, 1)),
            )
        self._scheduler.start()
        self.next_delay = first_push_after
        self._thread = threading.Thread(target=self._loop, name="sync-push", daemon=True)
        self._thread.start()
        log.info(
            "event=scheduler-start push_interval=%s roster_interval=%s",
            self.push_interval,
            self.roster_interval,
        )

    def stop(self, timeout: float = 10) -> None:
        """Stop the push thread (after a push in progress ends) and APScheduler."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def wake(self) -> None:
        """Ask for a push soon (after ``debounce`` seconds), unless central is backing off."""
        self._wake.set()

    # --- internals ---------------------------------------------------------------------

    def _trigger(self, seconds: float) -> IntervalTrigger:
        spread = int(seconds * self.jitter)
        return IntervalTrigger(seconds=seconds, jitter=spread or None, timezone=UTC)

    def _jittered(self, seconds: float) -> float:
        return seconds * (1 + self._rng.uniform(-self.jitter, self.jitter))

    def backoff_delay(self, failures: int) -> float:
        """The wait after ``failures`` consecutive failures: base * 2^(n-1), capped, jittered
        down (never up, so the cap holds)."""
        raw = min(self.backoff_cap, self.backoff_base * float(2 ** min(failures - 1, 30)))
        return raw * (1 - self._rng.uniform(0, self.jitter))

    def _run_push(self) -> None:
        self.runs += 1
        try:
            self._push()
        except Exception as exc:  # noqa: BLE001 - any failure means: back off and retry
            self.failures += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.next_delay = self.backoff_delay(self.failures)
            log.warning(
                "event=push-failed failures=%d retry_in_s=%.1f error=%r",
                self.failures,
                self.next_delay,
                self.last_error,
            )
            return
        if self.failures:
            log.info("event=push-recovered after_failures=%d", self.failures)
        self.failures = 0
        self.last_error = None
        self.next_delay = self._jittered(self.push_interval)

    def _check_clock(self, anchor: list[float]) -> None:
        """Reschedule the APScheduler jobs when the wall clock stepped against monotonic."""
        offset = self._wall() - self._monotonic()
        step = offset - anchor[0]
        if abs(step) < STEP_TOLERANCE:
            return
        anchor[0] = offset
        self.clock_steps += 1
        log.warning("event=wall-clock-step step_s=%.1f action=reschedule-jobs", step)
        if not self._scheduler.running:
            return
        for job_id, interval in (
            ("roster", self.roster_interval),
            ("housekeeping", self.housekeeping_interval),
        ):
            if self._scheduler.get_job(job_id) is not None:
                self._scheduler.reschedule_job(job_id, trigger=self._trigger(interval))
        self._scheduler.wakeup()

    def _loop(self) -> None:
        anchor = [self._wall() - self._monotonic()]
        due = self._monotonic() + self.next_delay
        while not self._stop.is_set():
            remaining = due - self._monotonic()
            if remaining > 0:
                woken = self._wake.wait(min(remaining, GUARD_PERIOD))
                self._check_clock(anchor)
                if self._stop.is_set():
                    break
                if not woken:
                    continue
                self._wake.clear()
                if self.failures:
                    continue  # backing off: a wake does not shorten the wait
                # Debounce: let a burst of check-ins gather into one batch.
                due = min(due, self._monotonic() + self.debounce)
                continue
            self._wake.clear()
            self._run_push()
            due = self._monotonic() + self.next_delay

    def status(self) -> dict[str, Any]:
        """Counters for /metrics and tests."""
        return {
            "runs": self.runs,
            "failures": self.failures,
            "last_error": self.last_error,
            "next_delay_s": round(self.next_delay, 3),
            "clock_steps": self.clock_steps,
        }


def build_scheduler(
    push: Job,
    pull_roster: Job,
    housekeeping: Job | None = None,
    push_interval: float = 5,
    roster_interval: float = 300,
    **options: Any,
) -> SyncScheduler:
    """A not-yet-started SyncScheduler; ``options`` go to SyncScheduler (backoff, jitter...)."""
    return SyncScheduler(
        push,
        pull_roster,
        housekeeping,
        push_interval=push_interval,
        roster_interval=roster_interval,
        **options,
    )
