"""The node's wall clock set back an hour, forward a day, and slewed, with libfaketime on a
real serving process (``LD_PRELOAD``; the offset is read from a control file on every call,
so it changes while the node runs; ``FAKETIME_DONT_FAKE_MONOTONIC`` keeps CLOCK_MONOTONIC
and CLOCK_BOOTTIME true, as on a PC whose admin only sets the date).

Shows: a ``clock`` record in the node's log; central flags the records whose ``ts`` lies
outside the interval its receipts prove (alert ``time-out-of-bounds`` in GET /api/v1/nodes,
``out-of-bounds`` and not counted in the attendance report); pushes keep happening during
the fault (receipts central issued) and never overlap; nothing lost or duplicated after.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from pathlib import Path

from sync.timefmt import parse_ts, wita_day

from .crashes import record_outcome
from .logs import central_query
from .report import FaultRow
from .staff import Ack, StaffLoad
from .stage import Stage

FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def set_offset(control: Path, seconds: float) -> None:
    """Write the offset atomically: libfaketime re-reads the file on every clock call, and
    must never see it truncated and empty."""
    tmp = control.with_name(control.name + ".tmp")
    tmp.write_text(f"{seconds:+.3f}\n")
    tmp.replace(control)


def faketime_env(control: Path) -> dict[str, str]:
    set_offset(control, 0)
    return {
        "LD_PRELOAD": str(FAKETIME_LIB),
        "FAKETIME_TIMESTAMP_FILE": str(control),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


class Slew(threading.Thread):
    """Moves the offset in the control file by ``rate`` seconds per second, in small steps."""

    def __init__(self, control: Path, rate: float, step: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.control, self.rate, self.step = control, rate, step
        self.halt = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self.halt.wait(self.step):
            offset = (time.monotonic() - started) * self.rate
            set_offset(self.control, offset)


# kind -> fixed offset in seconds (None: a slew of +1 s per second)
CLOCK_FAULTS: dict[str, float | None] = {"back-1h": -3600.0, "forward-1d": 86400.0, "slew": None}


def _node_rows(db: Path, since_seq: int) -> list[tuple[int, str, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT seq, type, ts FROM log WHERE seq > ? ORDER BY seq", (since_seq,)
        ).fetchall()
    finally:
        conn.close()


def clock_faults(
    workdir: Path,
    rounds: int,
    rng: random.Random,
    *,
    kinds: tuple[str, ...] = tuple(CLOCK_FAULTS),
    fault_s: float = 8.0,
    clear_s: float = 3.0,
) -> list[FaultRow]:
    """One row per clock fault; each round: clock wrong for ``fault_s`` while staff check
    in, then right again."""
    if not FAKETIME_LIB.exists():
        raise RuntimeError(f"{FAKETIME_LIB} is missing: apt-get install libfaketime")
    control = workdir / "faketime.rc"
    stage = Stage.build(workdir, node_env=faketime_env(control), batch_size=200)
    rows = []
    try:
        time.sleep(clear_s)
        for kind in kinds:
            started = time.monotonic()
            rows.append(_one_clock_fault(stage, control, kind, rounds, rng, fault_s, clear_s))
            rows[-1].seconds = time.monotonic() - started
    finally:
        stage.close()
    return rows


def _receipts(stage: Stage) -> list[str]:
    return [
        str(r[0])
        for r in central_query(
            stage.central_db,
            "SELECT server_ts FROM receipts WHERE node = ? ORDER BY id",
            [stage.paths.root.name],
        )
    ]


def _one_clock_fault(
    stage: Stage,
    control: Path,
    kind: str,
    rounds: int,
    rng: random.Random,
    fault_s: float,
    clear_s: float,
) -> FaultRow:
    row = FaultRow(f"clock: {kind}", rounds)
    offset = CLOCK_FAULTS[kind]
    acked: list[Ack] = []
    pushes: list[int] = []
    flagged_total = clock_records = 0
    for _ in range(rounds):
        head_before = max(s for s, *_ in _node_rows(stage.paths.db, -1))
        receipts_before = len(_receipts(stage))
        slew = None
        if offset is None:
            slew = Slew(control, rate=1.0)
            slew.start()
        else:
            set_offset(control, offset * rng.uniform(0.9, 1.1))
        staff = StaffLoad(stage.node.url, stage.people[:6], pause=0.1).start()
        time.sleep(fault_s)
        during = staff.stop().acked
        if slew is not None:
            slew.halt.set()
            slew.join()
        pushes.append(len(_receipts(stage)) - receipts_before)
        set_offset(control, 0)
        after = StaffLoad(stage.node.url, stage.people[:6], pause=0.1).start()
        time.sleep(clear_s)
        acked += during + after.stop().acked
        result = stage.converge(acked)
        if not result.exact:
            row.problems.append(f"central did not catch up: {result}")
        new = _node_rows(stage.paths.db, head_before)
        clocks = [s for s, t, _ in new if t == "clock"]
        clock_records += len(clocks)
        flagged = _flagged(stage, head_before)
        flagged_total += len(flagged)
        row.attempts += 1
        view = stage.node_view()
        alert = any(a["kind"] == "time-out-of-bounds" for a in view["alerts"])
        excluded = _excluded_in_report(stage, {a.seq for a in during} & flagged)
        if clocks and flagged and alert and excluded:
            row.detected += 1
        else:
            row.problems.append(
                f"clock records {len(clocks)}, flagged {len(flagged)}, "
                f"alert {alert}, excluded from report {excluded}"
            )
        if offset is not None:
            unflagged = [a.seq for a in during if a.seq not in flagged]
            if unflagged:
                detail = central_query(
                    stage.central_db,
                    "SELECT seq, ts, lower_ts, upper_ts FROM records"
                    f" WHERE node = ? AND seq IN ({','.join('?' * len(unflagged))})",
                    [stage.paths.root.name, *unflagged],
                )
                # A check-in stamped in the instant before libfaketime picked up the new
                # offset carries the true time and rightly stays unflagged; one stamped with
                # the shifted clock (an hour or a day away from its receipt) must not.
                shifted = [
                    d for d in detail if abs((parse_ts(d[1]) - parse_ts(d[3])).total_seconds()) > 60
                ]
                if shifted:
                    row.problems.append(
                        f"{len(shifted)} check-ins made {kind} not flagged: {shifted[:3]}"
                    )
        if pushes[-1] < 2:
            row.problems.append(f"only {pushes[-1]} pushes during {fault_s:.0f} s of {kind}")
    record_outcome(row, stage, acked)
    row.notes.update(
        {
            "clock_records": clock_records,
            "flagged": flagged_total,
            "pushes_during_fault": "/".join(map(str, pushes)),
        }
    )
    return row


def _flagged(stage: Stage, after_seq: int) -> set[int]:
    rows = central_query(
        stage.central_db,
        "SELECT seq FROM records WHERE node = ? AND seq > ? AND out_of_bounds = 1",
        [stage.paths.root.name, after_seq],
    )
    return {int(r[0]) for r in rows}


def _excluded_in_report(stage: Stage, seqs: set[int]) -> bool:
    """Every one of ``seqs`` appears in the attendance report as out-of-bounds, not counted."""
    if not seqs:
        return True
    days = set()
    for (text,) in central_query(
        stage.central_db,
        f"SELECT record FROM records WHERE node = ? AND seq IN ({','.join('?' * len(seqs))})",
        [stage.paths.root.name, *sorted(seqs)],
    ):
        days.add(wita_day(json.loads(str(text))["ts"]))
    seen: dict[int, tuple[str, bool]] = {}
    for day in days:
        for emp in stage.attendance(day)["employees"]:
            for ref in emp["records"]:
                if ref["node"] == stage.paths.root.name and ref["seq"] in seqs:
                    seen[ref["seq"]] = (ref["status"], ref["counted"])
    return all(seen.get(s) == ("out-of-bounds", False) for s in seqs)
