"""Crashes: SIGKILL of real processes at random moments.

- ``node_kill_while_pushing``: the serving node (scheduler on, pushing to central) killed in
  the middle of a check-in burst; restarted; at the end central holds exactly the node's log.
- ``writer_kill_during_burst``: only the node's log writer process killed mid-burst, the
  server left running: what it had not answered gets a 503, the next check-in starts a new
  writer; at the end central holds exactly the node's log.
- ``central_kill_during_ingest``: central killed while a node pushes a backlog in small
  batches; restarted; at the end central holds exactly the node's log, nothing twice.
- ``roster_install_kill``: ``presensi-node roster import`` of a big CSV killed: the log
  verifies and the old or the new roster is in force, in full, as the log's last ``roster``
  record says.
- ``backup_kill``: ``presensi-node backup`` killed while the node serves: no partial file at
  the target path, the source log verifies.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.pins import verify_pin
from testkit.factories import NodeProcess, group_stats, make_ca, make_node, roster_file

from .logs import node_hashes
from .report import FaultRow
from .staff import Ack, StaffLoad
from .stage import Stage
from .workspace import (
    file_state,
    fill_log,
    import_roster,
    kill_group,
    spawn,
    verify_node,
    wait_until,
)

# --- roster install ------------------------------------------------------------------------


def _employees(db: Path) -> list[tuple[str, str, str, str, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT nip, name, unit, role, pin_hash FROM employees ORDER BY nip"
        ).fetchall()
    finally:
        conn.close()


def _last_roster_sha(db: Path) -> str | None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT record FROM log WHERE type = 'roster' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    return json.loads(row[0])["body"]["sha256"] if row else None


def _wal_written(wal: Path, baseline: tuple[int, int] | None) -> bool:
    """True once a transaction has written to the WAL (opening it creates it empty)."""
    state = file_state(wal)
    return state is not None and state[0] > 0 and state != baseline


def _written_or_exited(
    wal: Path, baseline: tuple[int, int] | None, proc: subprocess.Popen[bytes]
) -> bool:
    return _wal_written(wal, baseline) or proc.poll() is not None


def _created_or_exited(folder: Path, pattern: str, proc: subprocess.Popen[bytes]) -> bool:
    return any(folder.glob(pattern)) or proc.poll() is not None


@dataclass(frozen=True)
class _Roster:
    path: Path
    people: list[dict[str, str]]
    sha: str
    rows: list[tuple[str, str, str, str]]


def roster_install_kill(
    workdir: Path, rounds: int, rng: random.Random, *, employees: int = 150
) -> FaultRow:
    """Kill ``roster import`` of an ``employees``-row CSV, alternately the moment its
    transaction starts writing (WAL file changes) and at a random moment of its run."""
    row = FaultRow("SIGKILL during roster import", rounds)
    paths = make_node(workdir, make_ca(workdir))
    rosters = []
    for seed in (11, 12):
        path, people = roster_file(workdir, employees, seed=seed)
        rosters.append(
            _Roster(
                path,
                people,
                hashlib.sha256(path.read_bytes()).hexdigest(),
                sorted((p["nip"], p["name"], p["unit"], p["role"]) for p in people),
            )
        )
    started = time.monotonic()
    import_roster(paths, rosters[0].path)
    full = time.monotonic() - started
    wal = paths.db.with_name(paths.db.name + "-wal")
    outcomes = {"old-kept": 0, "new-installed": 0, "torn": 0}
    for i in range(rounds):
        before = _employees(paths.db)
        current = 0 if _last_roster_sha(paths.db) == rosters[0].sha else 1
        new = rosters[1 - current]
        baseline = file_state(wal)
        proc = spawn("local_node", "roster", "import", "--data", str(paths.root), str(new.path))
        if i % 2 == 0:
            wait_until(functools.partial(_written_or_exited, wal, baseline, proc), timeout=full * 3)
            time.sleep(rng.uniform(0, 0.003))
        else:
            time.sleep(rng.uniform(0.2, 1.1) * full)
        completed = kill_group(proc) == 0
        row.acknowledged += completed
        ok, output = verify_node(paths)
        if not ok:
            row.problems.append(f"round {i}: log does not verify: {output}")
        after = _employees(paths.db)
        sha = _last_roster_sha(paths.db)
        if after == before and sha == rosters[current].sha:
            outcomes["old-kept"] += 1
            if completed:
                row.lost += 1
        elif [r[:4] for r in after] == new.rows and sha == new.sha:
            outcomes["new-installed"] += 1
            pins = {p["nip"]: p["pin"] for p in new.people}
            for nip, *_, pin_hash in rng.sample(after, 2):
                if not verify_pin(pins[nip], pin_hash):
                    row.problems.append(f"round {i}: PIN of {nip} does not verify")
        else:
            outcomes["torn"] += 1
            row.problems.append(
                f"round {i}: roster is neither the old nor the new one "
                f"({len(after)} employees, log says {sha})"
            )
    row.notes.update(outcomes)
    row.notes["import_s"] = round(full, 1)
    return row


# --- backup --------------------------------------------------------------------------------


def _backup_ok(path: Path, public_key: Ed25519PublicKey) -> str | None:
    """None when ``path`` is a complete database whose log verifies, else what is wrong."""
    from local_node.audit import verify_database
    from sync.errors import RecordError

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
        if check != "ok":
            return f"integrity_check: {check}"
        verify_database(path, public_key)
    except (sqlite3.Error, RecordError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def backup_kill(
    workdir: Path, rounds: int, rng: random.Random, *, records: int = 20000
) -> FaultRow:
    """Kill ``presensi-node backup`` of a ``records``-record log while staff check in."""
    from certs.keys import load_private_key

    row = FaultRow("SIGKILL during backup", rounds)
    paths = make_node(workdir, make_ca(workdir))
    csv_path, people = roster_file(workdir, 12)
    import_roster(paths, csv_path)
    fill_log(paths, people, records)
    public = load_private_key(paths.key).public_key()
    node = NodeProcess(paths).start()
    staff = StaffLoad(node.url, people[:4], pause=0.02).start()
    outcomes = {"no-file": 0, "complete": 0}
    try:
        started = time.monotonic()
        first = workdir / "backup-full.db"
        spawn("local_node", "backup", "--data", str(paths.root), "--out", str(first)).wait(120)
        full = time.monotonic() - started
        if _backup_ok(first, public) is not None:
            row.problems.append("an uninterrupted backup is not complete")
        for i in range(rounds):
            target = workdir / f"backup-{i}.db"
            # The copy runs under a private name (.NAME.RANDOM.partial, local_node/store.py).
            partial = f".{target.name}.*.partial"
            proc = spawn("local_node", "backup", "--data", str(paths.root), "--out", str(target))
            if i % 2 == 0:
                wait_until(
                    functools.partial(_created_or_exited, workdir, partial, proc), timeout=full * 3
                )
                time.sleep(rng.uniform(0, 0.05))
            else:
                time.sleep(rng.uniform(0.3, 1.1) * full)
            completed = kill_group(proc) == 0
            row.acknowledged += completed
            if target.exists():
                problem = _backup_ok(target, public)
                if problem:
                    row.problems.append(f"round {i}: {target.name} is there but {problem}")
                outcomes["complete"] += 1
            else:
                outcomes["no-file"] += 1
                row.lost += completed
            ok, output = verify_node(paths)
            if not ok:
                row.problems.append(f"round {i}: source log does not verify: {output}")
    finally:
        stats = staff.stop()
        node.stop()
    held = node_hashes(paths.db)
    lost_checkins = sum(1 for a in stats.acked if held.get(a.seq) != a.hash)
    row.lost += lost_checkins
    row.notes.update(outcomes)
    row.notes["backup_s"] = round(full, 2)
    row.notes["checkins_during"] = len(stats.acked)
    row.notes["checkin_p95_ms"] = stats.p95_ms()
    return row


# --- with central --------------------------------------------------------------------------


def record_outcome(row: FaultRow, stage: Stage, acked: list[Ack]) -> None:
    """Fill lost/duplicated from central after the fault cleared; check both logs verify."""
    result = stage.converge(acked)
    row.acknowledged += len(acked)
    row.lost += result.lost
    row.duplicated += result.duplicated
    if not result.exact:
        row.problems.append(f"central is not the node's log: {result}")
    ok, output = verify_node(stage.paths)
    if not ok:
        row.problems.append(f"node log does not verify: {output}")
    row.notes["central_records"] = result.central_count


def node_kill_while_pushing(workdir: Path, rounds: int, rng: random.Random) -> FaultRow:
    """SIGKILL the serving node (scheduler pushing every second) mid-burst, ``rounds`` times."""
    row = FaultRow("SIGKILL node during burst + push", rounds)
    stage = Stage.build(workdir)
    acked: list[Ack] = []
    try:
        for _ in range(rounds):
            staff = StaffLoad(stage.node.url, stage.people[:8], pause=0.01).start()
            time.sleep(rng.uniform(0.5, 2.5))
            stage.node.kill()
            fresh = staff.stop().acked
            acked += fresh
            held = node_hashes(stage.paths.db)
            row.lost += sum(1 for a in fresh if held.get(a.seq) != a.hash)
            stage.node.start()
        node_side = row.lost
        record_outcome(row, stage, acked)
        row.notes["lost_on_node"] = node_side
    finally:
        stage.close()
    return row


def writer_pid(node: NodeProcess) -> int | None:
    """The log writer process of a serving node (same process group), if it runs."""
    assert node.proc is not None
    for pid, fields in group_stats(node.proc.pid).items():
        if fields[0] == "Z":  # exited, not reaped yet
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"local_node.writer_process" in cmdline:
            return pid
    return None


def writer_kill_during_burst(workdir: Path, rounds: int, rng: random.Random) -> FaultRow:
    """SIGKILL only the node's log writer process mid-burst, ``rounds`` times; the server
    keeps serving and starts a new writer on the next check-in."""
    row = FaultRow("SIGKILL log writer process during burst + push", rounds)
    stage = Stage.build(workdir)
    try:
        staff = StaffLoad(stage.node.url, stage.people[:8], pause=0.01, survive=True).start()
        killed: set[int] = set()
        after_last_kill = 0
        try:
            for i in range(rounds):
                time.sleep(rng.uniform(0.3, 1.5))
                if not wait_until(lambda: writer_pid(stage.node) not in (None, *killed), 10, 0.01):
                    row.problems.append(f"round {i}: no new log writer process within 10 s")
                    break
                pid = writer_pid(stage.node)
                assert pid is not None
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            acked_at_last_kill = len(staff.stats.acked)
            time.sleep(1.0)  # the staff go on tapping against a new writer
            after_last_kill = len(staff.stats.acked) - acked_at_last_kill
        finally:
            stats = staff.stop()
        if after_last_kill == 0:
            row.problems.append("no check-in was acknowledged after the last kill")
        held = node_hashes(stage.paths.db)
        row.lost += sum(1 for a in stats.acked if held.get(a.seq) != a.hash)
        node_side = row.lost
        record_outcome(row, stage, stats.acked)
        row.notes["lost_on_node"] = node_side
        row.notes["answered_503"] = stats.refused
        row.notes["acked_after_last_kill"] = after_last_kill
        row.notes["writers_killed"] = len(killed)
    finally:
        stage.close()
    return row


def central_kill_during_ingest(
    workdir: Path, rounds: int, rng: random.Random, *, backlog: int = 3000
) -> FaultRow:
    """SIGKILL central while the node pushes (a ``backlog`` in batches of 50, then what 4
    staff tapping every 20 ms add); restart it; ``rounds`` times.

    Each round: staff tap; once central's head moves (a push cycle is under way) central is
    killed 0-0.6 s later; staff stop, central restarts, and the round ends when central holds
    every record but the trailing anchors. That completes a push cycle, so the pusher's
    backoff (which grows with every cycle that fails: 5 s doubling to 300 s) is back to zero
    for the next round.
    """
    row = FaultRow("SIGKILL central during ingest", rounds)
    stage = Stage.build(workdir, batch_size=50, start_node=False)
    acked: list[Ack] = []
    heads = []
    try:
        fill_log(stage.paths, stage.people, backlog)
        stage.node.start()
        for _ in range(rounds):
            staff = StaffLoad(stage.node.url, stage.people[:4], pause=0.02).start()
            before = _central_head(stage)
            wait_until(functools.partial(_head_above, stage, before), timeout=60, step=0.02)
            time.sleep(rng.uniform(0.0, 0.6))
            stage.central.kill()
            heads.append(_central_head(stage))
            acked += staff.stop().acked
            stage.central.start()
            result = stage.converge(acked, timeout=120)
            if not result.exact:
                row.problems.append(f"central did not catch up after a kill: {result}")
            time.sleep(1.0)
        record_outcome(row, stage, acked)
        row.acknowledged += backlog
        row.notes["kills_at_head"] = f"{min(heads)}..{max(heads)}"
    finally:
        stage.close()
    return row


def _head_above(stage: Stage, seq: int) -> bool:
    return _central_head(stage) > seq


def _central_head(stage: Stage) -> int:
    from .logs import central_query

    rows = central_query(
        stage.central_db, "SELECT max(seq) FROM records WHERE node = ?", [stage.paths.root.name]
    )
    return int(rows[0][0]) if rows and rows[0][0] is not None else -1
