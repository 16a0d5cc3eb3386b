"""A past month of attendance for the demo, made through the real node and the real sync path.

Nothing is written into a database directly. One simulated clock (``SimClock``) drives both
apps in this process: central (``central.create_app`` with ``CLOCK``) is served over HTTP on a
free loopback port, the node (``local_node.create_app`` with ``CLOCK``) is enrolled with it
(``local_node.enrollment.enroll``: genesis record, CSR, certificates), pulls the roster, and
then every planned check-in (``scripts/demolib/history_plan.py``) is made with the
``NodeService`` method its route calls, so it is validated, signed by the node's writer and
committed like any other. Twice a simulated day (12:00 and 18:00 WITA) the node's own pusher
(``local_node/central_link.py``) sends its log to central, which verifies the HTTP signature,
ingests, judges and signs a receipt; the node anchors each receipt. So every check-in lies
between two of central's receipts and is counted as ``ok``.

Central's HTTP ``Date`` header comes from the same clock (``_CentralClockHandler``): the node's
client signs its requests with central's time as it last heard it, as it does for a node whose
wall clock is wrong, so the signatures' created times are within central's maximum age.

Runs only on a node data directory that is not enrolled yet: the month must come before the
node's first real-time record, or central would rightly flag it as out of bounds.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as day_time
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

import central
import local_node
from central.enrollment import create_enroll_token
from local_node.central_link import CentralLink, connect
from local_node.datadir import NodePaths
from local_node.enrollment import enroll
from local_node.service import NodeService
from local_node.sessions import Session
from sync.timefmt import boot_id, format_ts

from .history_plan import WITA, Bucket, Checkin, day_plan, recent_working_days

NODE = "kec-alalak"
PUSH_AT = ((12, 0), (18, 0))  # WITA: after the late arrivals, after the departures
PHONE_ADDR = "10.20.0.{}"  # the office Wi-Fi, as the node sees the phones

Made = tuple[int, str, str, str, str]


class SimClock:
    """The simulated time both apps read: central calls it, the node's writer reads ``wall``
    and ``mono_us``. Wall and monotonic time move together, so the node sees no clock step."""

    MONO_START_US = 3_600_000_000

    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()
        self._start = self.now

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now

    def mono_us(self) -> int:
        return self.MONO_START_US + int((self.now - self._start) * 1_000_000)

    def set(self, moment: datetime) -> None:
        """Move forward to ``moment``; time never runs backwards here."""
        self.now = max(self.now, moment.timestamp())


@dataclass
class Summary:
    """What ``generate`` did; ``made``: (seq, nip, kind, method, record ts) per check-in."""

    skipped: str | None = None
    days: list[date] = field(default_factory=list)
    made: list[Made] = field(default_factory=list)
    records_at_central: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        if self.skipped:
            return f"history: skipped ({self.skipped})"
        return (
            f"history: {len(self.days)} working days "
            f"({self.days[0]:%d %b} - {self.days[-1]:%d %b %Y}), {len(self.made)} check-ins, "
            f"{self.records_at_central} records at central, in {self.seconds:.1f} s"
        )


def _handler(clock: SimClock) -> type[WSGIRequestHandler]:
    class _CentralClockHandler(WSGIRequestHandler):
        """Central's responses carry central's (simulated) time in ``Date``; no access log."""

        def date_time_string(self, timestamp: float | None = None) -> str:
            return super().date_time_string(clock() if timestamp is None else timestamp)

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    return _CentralClockHandler


class _Central:
    """Central's app on a free loopback port, in a thread of this process."""

    def __init__(self, data: Path, clock: SimClock) -> None:
        self.app = central.create_app({"DATA_DIR": str(data), "CLOCK": clock})
        self.service = self.app.extensions["presensi_central"]
        self.server = make_server("127.0.0.1", 0, self.app, request_handler=_handler(clock))
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True, name="history-central"
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(10)
        self.server.server_close()
        self.service.close()


class _Office:
    """The node and its staff's phones: each employee signs in once (sessions last 180 days).

    Sign-ins cost a scrypt PIN check each, so they run on two threads of their own while the
    first morning's check-ins (which wait on disk, not on the processor) go on; a check-in
    waits only for its own phone's sign-in.
    """

    def __init__(
        self, svc: NodeService, people: Sequence[dict[str, str]], rng: random.Random
    ) -> None:
        self.svc = svc
        self.people = {p["nip"]: p for p in people}
        self.addr = {p["nip"]: PHONE_ADDR.format(2 + i % 250) for i, p in enumerate(people)}
        # Each phone's clock is a little off the node's, as phones are.
        self.skew = {p["nip"]: rng.uniform(-20, 20) for p in people}
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="history-sign-in")
        self._sessions: dict[str, Future[Session]] = {}

    def sign_in_all(self, order: Sequence[str]) -> None:
        """``sign_in`` (what ``POST /api/v1/session`` calls) for everyone, in ``order`` first."""
        for nip in [*order, *self.people]:
            if nip not in self._sessions:
                person = self.people[nip]
                self._sessions[nip] = self._pool.submit(
                    lambda p: self.svc.sign_in(p["nip"], p["pin"], None, self.addr[p["nip"]])[1],
                    person,
                )

    def session(self, nip: str) -> Session:
        return self._sessions[nip].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def check_in(self, planned: Checkin, at: float) -> tuple[dict[str, Any], str, bool]:
        """One check-in through the service method its route calls."""
        phone = datetime.fromtimestamp(at + self.skew[planned.nip], UTC)
        payload: dict[str, Any] = {"kind": planned.kind, "client_ts": format_ts(phone)}
        svc = self.svc
        if planned.method == "manual":
            assert planned.voucher is not None
            return svc.manual_check_in(
                self.session(planned.voucher),
                {**payload, "nip": planned.nip, "reason": planned.reason},
                None,
            )
        if planned.method == "witness":
            assert planned.voucher is not None
            return svc.witness_check_in(
                self.session(planned.voucher),
                {**payload, "nip": planned.nip, "pin": self.people[planned.nip]["pin"]},
                None,
                self.addr[planned.voucher],
            )
        if planned.method == "kiosk":
            # The code on the office screen now (codes rotate on real time, like the screen).
            payload["presence"] = f"kiosk:{svc.kiosk.code_at(time.time())}"
        return svc.check_in(self.session(planned.nip), payload, None)


def _set_central_url(paths: NodePaths, url: str) -> None:
    """Point the node's config at the central the demo will serve (enrolled via ours)."""
    config = json.loads(paths.config.read_text(encoding="utf-8"))
    config["CENTRAL_URL"] = url.rstrip("/")
    tmp = paths.config.with_name(paths.config.name + ".tmp")
    tmp.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, paths.config)


def _play(
    day: date,
    buckets: list[Bucket],
    clock: SimClock,
    office: _Office,
    link: CentralLink,
    pool: ThreadPoolExecutor,
    made: list[Made],
) -> None:
    pushes = [datetime.combine(day, day_time(h, m), tzinfo=WITA) for h, m in PUSH_AT]
    for bucket in buckets:
        while pushes and pushes[0] <= bucket.at:
            clock.set(pushes.pop(0))
            link.push_then_roster()
        clock.set(bucket.at)

        # Those at the door in the same minute check in together (one group commit).
        def one(planned: Checkin) -> tuple[Checkin, tuple[dict[str, Any], str, bool]]:
            return planned, office.check_in(planned, clock.now)

        together = len(bucket.checkins) > 1
        results = pool.map(one, bucket.checkins) if together else map(one, bucket.checkins)
        for planned, (rec, _, _) in results:
            made.append((rec["seq"], planned.nip, planned.kind, planned.method, rec["ts"]))
    for moment in pushes:
        clock.set(moment)
        link.push_then_roster()


def generate(
    central_dir: Path,
    node_dir: Path,
    people: Sequence[dict[str, str]],
    days: Sequence[date],
    *,
    central_url: str,
    seed: int = 2026,
    node: str = NODE,
) -> Summary:
    """Enroll ``node`` at ``node_dir`` with central at ``central_dir`` and play ``days`` of
    check-ins of ``people`` (dicts with nip, pin, unit, role, as ``sync.demo_roster`` makes).

    ``central_url``: what the node's config says afterwards (the central the demo serves).
    Skipped, with the reason, when the node is already enrolled (a re-run adds nothing).
    """
    paths = NodePaths(node_dir)
    if paths.cert.exists():
        return Summary(skipped=f"node {node_dir} is already enrolled")
    if not days:
        return Summary(skipped="no working days in range")
    started = time.monotonic()
    rng = random.Random(seed)
    plans = [day_plan(day, people, rng) for day in days]
    first = datetime.combine(days[0], day_time(6), tzinfo=WITA)
    clock = SimClock(first)
    hub = _Central(central_dir, clock)
    summary = Summary(days=list(days))
    try:
        token = create_enroll_token(hub.service.store, node, now=clock(), hours=1)
        enroll(paths, hub.url, token, boot_id=boot_id(), clock=clock)
        # The config names the demo's central at once (an interrupted run leaves a node that
        # syncs with it); this run talks to ours.
        _set_central_url(paths, central_url)
        app = local_node.create_app(
            {"DATA_DIR": str(node_dir), "CLOCK": clock, "CENTRAL_URL": hub.url}
        )
        svc: NodeService = app.extensions["presensi_node"]
        link = connect(paths, app.config, svc.identity, svc.store, svc.writer)
        try:
            link.sync_once()  # genesis to central, the roster from it
            if svc.kiosk.display_token() is None:
                svc.kiosk.make_key(svc.writer, by="cli")
            office = _Office(svc, people, rng)
            try:
                office.sign_in_all(
                    [
                        nip
                        for bucket in plans[0]
                        for c in bucket.checkins
                        for nip in (c.voucher, c.nip)
                        if nip
                    ]
                )
                with ThreadPoolExecutor(max_workers=16) as pool:
                    for day, buckets in zip(days, plans, strict=True):
                        _play(day, buckets, clock, office, link, pool, summary.made)
            finally:
                office.close()
        finally:
            link.client.close()
            svc.close()
        row = hub.service.store.node(node)
        summary.records_at_central = row.records_count if row else 0
    finally:
        hub.close()
    summary.seconds = time.monotonic() - started
    return summary


def demo_history(root: Path, people: Sequence[dict[str, str]], central_url: str) -> None:
    """The demo's month: the 30 days before today (WITA) in ``root``/central and /node."""
    today = datetime.now(WITA).date()
    print(
        "== generating a month of attendance through the node and central (first run only)",
        flush=True,
    )
    summary = generate(
        root / "central", root / "node", people, recent_working_days(today), central_url=central_url
    )
    print(summary.line(), flush=True)
