"""The serving process's background jobs: which ones run, wired to what, started once.

How they are timed (a monotonic push loop, APScheduler for the rest) is
``local_node/scheduler.py``; what they do is ``central_link.py`` (push, then roster when
central announced a newer one), ``roster_pull.py`` and ``housekeeping.py``.
"""

from __future__ import annotations

import atexit
import logging
from typing import Any

from .central_link import NotConfigured, connect
from .housekeeping import housekeeping
from .scheduler import SyncScheduler, build_scheduler

log = logging.getLogger(__name__)

# Record types whose arrival should push soon; anchors, boots and clocks wait for the next.
WAKE_TYPES = frozenset({"checkin", "admin", "roster"})


def start_jobs(svc: Any, config: dict[str, Any]) -> SyncScheduler | None:
    """Start the scheduler in the serving process (``START_SCHEDULER``); None when not enrolled.

    ``svc`` is the app's NodeService: its writer appends the anchors and rosters, and its
    listeners wake the pusher when fresh check-ins commit (anchors do not wake it).
    """
    try:
        link = connect(svc.paths, config, svc.identity, svc.store, svc.writer)
    except NotConfigured as exc:
        log.warning("event=sync-disabled reason=%r", str(exc))
        return None
    scheduler = build_scheduler(
        push=link.push_then_roster,
        pull_roster=link.puller.pull,
        housekeeping=lambda: housekeeping(svc.store),
        push_interval=float(config.get("PUSH_INTERVAL_S", 5)),
        roster_interval=float(config.get("ROSTER_INTERVAL_S", 3600)),
    )

    def on_commit(fresh: list[dict[str, Any]]) -> None:
        if any(rec["type"] in WAKE_TYPES for rec in fresh):
            scheduler.wake()

    svc.writer.listeners.append(on_commit)
    scheduler.start()
    atexit.register(scheduler.stop)
    return scheduler
