"""A dishonest local admin with root on the mini-PC (and so with the node's key).

Every case runs on its own node, enrolled with one shared central, and is judged at central
only: the alert in GET /api/v1/nodes, the evidence table, the node's status, and the
attendance report not counting what cannot be proven.

- after push (re-signed with the node key): edit, delete, insert, reorder rows of node.db
  below central's head, then restart the node: a fork (evidence, quarantine, alert).
- before push: the same edits without re-signing (bad hash / broken chain: the batch is
  refused, alert), and a backdated check-in inserted and re-signed (out of bounds, alert).
- an old backup restored and check-ins continued: a fork.
- the key and data copied to a second data directory, two nodes with one identity: a fork.
- another node's batch replayed, signed by the other node: refused, nothing stored.
- the node re-initialised with a fresh log (new epoch) without re-enrollment: refused,
  evidence, alert.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from certs.keys import load_private_key
from local_node.datadir import NodePaths
from sync import records
from sync.batches import encode_batch
from sync.client import CentralClient
from sync.errors import SyncError
from sync.timefmt import format_ts, parse_ts, wita_day
from testkit.factories import NodeProcess, enroll_node

from .logs import central_query
from .report import FaultRow
from .staff import StaffLoad
from .stage import Stage, set_node_config
from .workspace import run_cli_ok

# --- the admin's tools ---------------------------------------------------------------------


def _conn(paths: NodePaths) -> sqlite3.Connection:
    conn = sqlite3.connect(paths.db, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS log_no_delete")
    return conn


def _records(paths: NodePaths, start: int = 0) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{paths.db}?mode=ro", uri=True)
    try:
        return [
            records.parse(t)
            for (t,) in conn.execute("SELECT record FROM log WHERE seq >= ? ORDER BY seq", (start,))
        ]
    finally:
        conn.close()


def _row(rec: dict[str, Any]) -> tuple[Any, ...]:
    nip = rec["body"].get("nip") if rec["type"] == "checkin" else None
    return (
        rec["seq"],
        rec["type"],
        rec["ts"],
        rec["hash"],
        nip,
        wita_day(rec["ts"]) if nip else None,
        records.serialize(rec),
    )


def resign_from(
    paths: NodePaths, start: int, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> None:
    """Replace the log from ``start`` with ``edit(records)``, renumbered, re-chained and
    re-signed with the node's own key: what root on the mini-PC can do."""
    key = load_private_key(paths.key)
    old = _records(paths, start)
    prev = _records(paths, start - 1)[0]["hash"] if start > 0 else records.ZERO_HASH
    conn = _conn(paths)
    conn.execute("BEGIN")
    conn.execute("DELETE FROM log WHERE seq >= ?", (start,))
    for i, rec in enumerate(edit(old)):
        unsigned = records.build(
            node=rec["node"],
            epoch=rec["epoch"],
            seq=start + i,
            type=rec["type"],
            ts=rec["ts"],
            mono_us=rec["mono_us"],
            boot_id=rec["boot_id"],
            prev=prev,
            body=rec["body"],
        )
        sealed = records.seal(unsigned, key)
        conn.execute(
            "INSERT INTO log (seq, type, ts, hash, nip, day, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
            _row(sealed),
        )
        prev = sealed["hash"]
    conn.execute("COMMIT")
    conn.close()


def _shift(ts: str, seconds: float) -> str:
    return format_ts(parse_ts(ts) + timedelta(seconds=seconds))


def _checkin_seqs(paths: NodePaths, low: int, high: int) -> list[int]:
    return [r["seq"] for r in _records(paths, low) if r["type"] == "checkin" and r["seq"] <= high]


# --- the stage -----------------------------------------------------------------------------


class Office:
    """One node of the shared central, with staff and the admin's view of its database."""

    def __init__(self, stage: Stage, name: str) -> None:
        self.stage = stage
        self.name = name
        self.paths = enroll_node(stage.setup, stage.central.url, stage.root, name)
        set_node_config(self.paths, PUSH_INTERVAL_S=1)
        self.node = NodeProcess(self.paths, scheduler=True)

    def checkins(self, count: int, *, scheduler: bool = True) -> None:
        self.node.scheduler = scheduler
        self.node.start()
        staff = StaffLoad(self.node.url, self.stage.people[:4], pause=0.02)
        staff.start()
        deadline = time.monotonic() + 30
        while len(staff.stats.acked) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        staff.stop()
        if scheduler:
            self.wait_pushed()
        self.node.stop()

    def central_head(self) -> int:
        row = central_query(
            self.stage.central_db, "SELECT head_seq FROM nodes WHERE name = ?", [self.name]
        )
        return int(row[0][0]) if row and row[0][0] is not None else -1

    def wait_pushed(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mine = [r for r in _records(self.paths) if r["type"] != "anchor"]
            if self.central_head() >= mine[-1]["seq"]:
                return
            time.sleep(0.2)

    def run_a_while(self, seconds: float = 4, checkins: int = 5) -> None:
        """Start the node (scheduler on), a few check-ins, let it push, stop."""
        self.node.scheduler = True
        self.node.start()
        try:
            staff = StaffLoad(self.node.url, self.stage.people[:2], pause=0.2, survive=True)
            staff.start()
            time.sleep(0.3 * checkins)
            staff.stop()
            time.sleep(seconds)
        finally:
            self.node.stop()

    def verdict(self, kinds: tuple[str, ...], *, evidence: bool) -> tuple[bool, str]:
        view = self.stage.node_view(self.name)
        alerts = {a["kind"] for a in view["alerts"]}
        held = central_query(
            self.stage.central_db, "SELECT count(*) FROM evidence WHERE node = ?", [self.name]
        )[0][0]
        ok = bool(alerts & set(kinds)) and (not evidence or int(str(held)) > 0)
        return ok, f"status={view['status']} alerts={sorted(alerts)} evidence={held}"


def _uncounted_after_fork(stage: Stage, office: Office) -> bool:
    """The attendance report counts none of this node's check-ins at or after the fork."""
    forks = central_query(
        stage.central_db,
        "SELECT min(seq) FROM evidence WHERE node = ? AND kind IN ('fork', 'broken-chain')",
        [office.name],
    )
    fork = forks[0][0]
    if fork is None:
        return True
    days = {
        str(d)
        for (d,) in central_query(
            stage.central_db,
            "SELECT DISTINCT day FROM records WHERE node = ? AND day IS NOT NULL",
            [office.name],
        )
    }
    for day in days:
        for emp in stage.attendance(day)["employees"]:
            for ref in emp["records"]:
                if ref["node"] == office.name and ref["seq"] >= int(str(fork)) and ref["counted"]:
                    return False
    return True


# --- the cases -----------------------------------------------------------------------------


def _after_push(edit_name: str) -> Callable[[Stage, Office, random.Random], tuple[str, ...]]:
    def case(stage: Stage, office: Office, rng: random.Random) -> tuple[str, ...]:
        office.checkins(20)
        head = office.central_head()
        seqs = _checkin_seqs(office.paths, 2, head - 1)
        s = rng.choice(seqs[:-1])

        def edit(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if edit_name == "edit":
                recs[0] = {**recs[0], "ts": _shift(recs[0]["ts"], -3600)}
            elif edit_name == "delete":
                recs = recs[1:]
            elif edit_name == "insert":
                fake = {**recs[0], "body": {**recs[0]["body"], "nip": stage.people[9]["nip"]}}
                recs = [fake, *recs]
            elif edit_name == "reorder":
                recs[0], recs[1] = recs[1], recs[0]
            return recs

        resign_from(office.paths, s, edit)
        office.run_a_while()
        return ("fork",)

    return case


def _before_push(edit_name: str) -> Callable[[Stage, Office, random.Random], tuple[str, ...]]:
    def case(stage: Stage, office: Office, rng: random.Random) -> tuple[str, ...]:
        office.checkins(10)
        pushed = office.central_head()
        office.checkins(15, scheduler=False)  # central down, say: these wait to be pushed
        seqs = _checkin_seqs(office.paths, pushed + 2, 10**9)
        s = rng.choice(seqs[:-2])
        conn = _conn(office.paths)
        if edit_name == "edit":
            rec = _records(office.paths, s)[0]
            text = records.serialize({**rec, "ts": _shift(rec["ts"], -3600)})
            conn.execute(
                "UPDATE log SET record = ?, ts = ? WHERE seq = ?", (text, json.loads(text)["ts"], s)
            )
            kinds: tuple[str, ...] = ("invalid-signature",)
        elif edit_name == "delete":
            conn.execute("DELETE FROM log WHERE seq = ?", (s,))
            conn.execute("UPDATE log SET seq = seq - 1 WHERE seq > ?", (s,))
            kinds = ("invalid-record",)
        elif edit_name == "reorder":
            a, b = _records(office.paths, s)[:2]
            conn.execute("UPDATE log SET record = ? WHERE seq = ?", (records.serialize(b), s))
            conn.execute("UPDATE log SET record = ? WHERE seq = ?", (records.serialize(a), s + 1))
            kinds = ("invalid-record",)
        conn.close()
        if edit_name == "backdate":
            resign_from(
                office.paths,
                s,
                lambda recs: [{**recs[0], "ts": _shift(recs[0]["ts"], -7200)}, *recs[1:]],
            )
            kinds = ("time-out-of-bounds",)
        office.run_a_while()
        return kinds

    return case


def restore_backup(stage: Stage, office: Office, rng: random.Random) -> tuple[str, ...]:
    office.checkins(10)
    backup = stage.root / f"{office.name}-backup.db"
    run_cli_ok("local_node", "backup", "--data", str(office.paths.root), "--out", str(backup))
    office.checkins(10)
    for suffix in ("", "-wal", "-shm"):
        office.paths.db.with_name(office.paths.db.name + suffix).unlink(missing_ok=True)
    shutil.copy(backup, office.paths.db)
    office.run_a_while(checkins=15)
    return ("fork",)


def two_nodes_one_key(stage: Stage, office: Office, rng: random.Random) -> tuple[str, ...]:
    office.checkins(10)
    twin_paths = NodePaths(stage.root / f"{office.name}-twin")
    shutil.copytree(office.paths.root, twin_paths.root)
    twin = NodeProcess(twin_paths, scheduler=True)
    office.node.scheduler = True
    office.node.start()
    twin.start()
    try:
        a = StaffLoad(office.node.url, stage.people[:2], pause=0.1).start()
        b = StaffLoad(twin.url, stage.people[2:4], pause=0.1).start()
        time.sleep(5)
        a.stop()
        b.stop()
        time.sleep(3)
    finally:
        twin.stop()
        office.node.stop()
    return ("fork",)


def replay_other_node(stage: Stage, office: Office, rng: random.Random) -> tuple[str, ...]:
    """Node ``office``'s admin pushes another office's records (copied from its export),
    under the other office's name and under its own, signed on the wire with its own key."""
    office.checkins(5)
    other = Office(stage, f"{office.name}-other")
    other.checkins(10)
    theirs = _records(other.paths)
    texts = [records.serialize(r) for r in theirs]
    clock = {"wall_ts": theirs[-1]["ts"], "mono_us": theirs[-1]["mono_us"]}
    client = CentralClient(stage.central.url, office.name, load_private_key(office.paths.key))
    answers: list[int | None] = []
    try:
        for node in (other.name, office.name):
            try:
                client.push(encode_batch(node, theirs[0]["epoch"], texts, clock))
                answers.append(200)
            except SyncError as exc:
                answers.append(exc.status)
    finally:
        client.close()
    stored = central_query(
        stage.central_db,
        "SELECT count(*) FROM records WHERE node = ? AND epoch = ?",
        [office.name, theirs[0]["epoch"]],
    )[0][0]
    refused = all(a is not None and 400 <= a < 500 for a in answers)
    REPLAYS[office.name] = (refused and stored == 0, f"answers={answers} stored={stored}")
    return ("replay",)


# office -> (refused and nothing stored, what happened): the replay case is judged by the
# answers central gave, not by an alert
REPLAYS: dict[str, tuple[bool, str]] = {}


def reinit_fresh_log(stage: Stage, office: Office, rng: random.Random) -> tuple[str, ...]:
    import secrets

    from local_node.identity import SOFTWARE

    office.checkins(10)
    key = load_private_key(office.paths.key)
    for suffix in ("", "-wal", "-shm"):
        office.paths.db.with_name(office.paths.db.name + suffix).unlink(missing_ok=True)
    from local_node.store import Store
    from local_node.writer import LogWriter

    store = Store(office.paths.db)
    store.migrate()
    store.conn().execute(
        "INSERT INTO meta VALUES ('node', ?), ('epoch', ?)", (office.name, secrets.token_hex(16))
    )
    writer = LogWriter(store, key, boot_id="reinit")
    writer.append("genesis", {"software": SOFTWARE, "node": office.name})
    writer.stop()
    store.close()
    run_cli_ok(
        "local_node",
        "roster",
        "import",
        "--data",
        str(office.paths.root),
        str(stage.root / "roster-40-7.csv"),
    )
    office.run_a_while()
    return ("new-epoch",)


CASES: dict[str, Callable[[Stage, Office, random.Random], tuple[str, ...]]] = {
    "edit after push": _after_push("edit"),
    "delete after push": _after_push("delete"),
    "insert after push": _after_push("insert"),
    "reorder after push": _after_push("reorder"),
    "edit before push": _before_push("edit"),
    "delete before push": _before_push("delete"),
    "reorder before push": _before_push("reorder"),
    "backdate a check-in before push (re-signed)": _before_push("backdate"),
    "restore old backup": restore_backup,
    "two nodes, one key": two_nodes_one_key,
    "replay another node's batch": replay_other_node,
    "re-init a fresh log": reinit_fresh_log,
}
EVIDENCE = {"fork", "new-epoch", "invalid-record"}


def tampering(
    workdir: Path, rounds: int, rng: random.Random, *, cases: tuple[str, ...] = tuple(CASES)
) -> list[FaultRow]:
    """One row per case; each round runs the case on a new node of one central."""
    stage = Stage.build(workdir, start_node=False)
    rows = []
    try:
        for n, case in enumerate(cases):
            started = time.monotonic()
            row = FaultRow(f"admin: {case}", rounds)
            for r in range(rounds):
                office = Office(stage, f"kec-t{n}-{r}")
                kinds = CASES[case](stage, office, rng)
                row.attempts += 1
                if kinds == ("replay",):
                    ok, what = REPLAYS.pop(office.name)
                else:
                    ok, what = office.verdict(kinds, evidence=bool(EVIDENCE & set(kinds)))
                    if not _uncounted_after_fork(stage, office):
                        ok = False
                        what += " report-counts-disputed"
                row.detected += ok
                if not ok:
                    row.problems.append(f"round {r}: expected {kinds}: {what}")
                row.notes["last"] = what
            row.seconds = time.monotonic() - started
            rows.append(row)
    finally:
        stage.close()
    return rows
