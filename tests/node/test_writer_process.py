"""The log writer process: one chain from many threads, answers only after commit, and what
happens when the child or the parent is killed (real processes, SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from local_node import create_app, roster
from local_node.audit import verify_database
from local_node.errors import NodeError, WriterUnavailable
from local_node.identity import load_identity, node_name
from local_node.log_commit import Sql
from local_node.store import Store
from local_node.writer_process import LogWriterProcess
from sync import records
from testkit.factories import REPO


def _writer(paths) -> LogWriterProcess:
    identity = load_identity(paths, node_name(paths))
    return LogWriterProcess(Store(paths.db), identity.key, boot_id="t")


def _verify(paths) -> int:
    identity = load_identity(paths, node_name(paths))
    return verify_database(paths.db, identity.key.public_key()).count


def _child_pid(writer: LogWriterProcess) -> int:
    child = writer._child
    assert child is not None
    return child.proc.pid


def _wait_until(check, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _log_texts(paths) -> dict[int, str]:
    conn = Store(paths.db).connect()
    try:
        return dict(conn.execute("SELECT seq, record FROM log").fetchall())
    finally:
        conn.close()


def test_many_threads_one_chain_and_every_answer_is_the_stored_record(node_paths):
    writer = _writer(node_paths)
    seen: list[dict] = []
    writer.listeners.append(seen.extend)
    answers: list[tuple[dict, str, bool]] = []

    def work() -> None:
        for i in range(50):
            answers.append(writer.append("checkin", {"n": i}, nip="199001012015031001"))

    with ThreadPoolExecutor(8) as pool:
        for done in [pool.submit(work) for _ in range(8)]:
            done.result()
    writer.stop()
    assert sorted(rec["seq"] for rec, _, _ in answers) == list(range(1, 401))
    stored = _log_texts(node_paths)
    # The caller's text is the committed row, byte for byte (the staff member's proof).
    assert all(stored[rec["seq"]] == text and created for rec, text, created in answers)
    assert all(records.parse(text) == rec for rec, text, _ in answers)
    assert sorted(r["seq"] for r in seen) == list(range(1, 401))  # listeners saw each once
    assert _verify(node_paths) == 401


def test_idempotency_key_returns_the_first_record(node_paths):
    writer = _writer(node_paths)
    try:
        first = writer.append(
            "checkin", {"n": 1}, nip="199001012015031001", idem=("199001012015031001", "k-1")
        )
        again = writer.append(
            "checkin", {"n": 2}, nip="199001012015031001", idem=("199001012015031001", "k-1")
        )
    finally:
        writer.stop()
    assert first[2] is True and again[2] is False
    assert again[1] == first[1]
    assert _verify(node_paths) == 2


def test_statements_commit_with_their_record_or_not_at_all(node_paths, tmp_path):
    writer = _writer(node_paths)
    try:
        employees = [
            roster.Employee(f"19900101201503{i:04d}", f"P {i}", "Umum", "staff", "x")
            for i in range(300)
        ]
        record = roster.install(writer, employees, {"version": "v1", "count": 300})
        assert record["type"] == "roster"
        # A statement that fails rolls its record back; the error names it.
        with pytest.raises(NodeError, match="no such table"):
            writer.append("admin", {"a": 1}, apply=[Sql("INSERT INTO nowhere VALUES (1)")])
        ok = writer.append("admin", {"a": 2})
    finally:
        writer.stop()
    conn = Store(node_paths.db).connect()
    try:
        assert conn.execute("SELECT count(*) FROM employees").fetchone()[0] == 300
    finally:
        conn.close()
    assert ok[0]["seq"] == record["seq"] + 1  # nothing of the failed append is in the log
    assert _verify(node_paths) == ok[0]["seq"] + 1


def test_bad_body_is_refused_in_the_caller_and_nothing_is_sent(node_paths):
    writer = _writer(node_paths)
    try:
        with pytest.raises(Exception, match="float"):
            writer.append("checkin", {"lat": 1.5})
        assert writer._child is None  # refused before any frame: no child was even started
    finally:
        writer.stop()
    assert _verify(node_paths) == 1


def test_child_killed_while_idle_is_replaced_on_the_next_append(node_paths):
    writer = _writer(node_paths)
    try:
        writer.append("admin", {"i": 0})
        old = _child_pid(writer)
        os.kill(old, signal.SIGKILL)
        _wait_until(lambda: writer._child is None)
        rec, _, _ = writer.append("admin", {"i": 1})
        assert _child_pid(writer) != old
    finally:
        writer.stop()
    assert rec["seq"] == 2
    assert _verify(node_paths) == 3


def test_child_killed_under_load_loses_no_acknowledged_record(node_paths):
    writer = _writer(node_paths)
    acked: list[tuple[dict, str, bool]] = []
    refused: list[Exception] = []
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            try:
                acked.append(writer.append("checkin", {"n": 1}, nip="199001012015031001"))
            except WriterUnavailable as exc:
                refused.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        _wait_until(lambda: len(acked) > 200)
        os.kill(_child_pid(writer), signal.SIGKILL)
        _wait_until(lambda: len(acked) > 600)  # a new child took over
    finally:
        stop.set()
        for t in threads:
            t.join()
        writer.stop()
    stored = _log_texts(node_paths)
    assert all(stored.get(rec["seq"]) == text for rec, text, _ in acked)
    assert _verify(node_paths) == len(stored)


def test_stop_commits_what_was_sent_and_the_child_exits(node_paths):
    writer = _writer(node_paths)
    results: list[tuple[dict, str, bool]] = []
    threads = [
        threading.Thread(target=lambda: results.append(writer.append("admin", {})))
        for _ in range(20)
    ]
    for t in threads:
        t.start()
    _wait_until(lambda: writer._child is not None)
    child = writer._child
    for t in threads:
        t.join()
    writer.stop()
    assert child is not None and child.proc.poll() == 0
    assert len(results) == 20 and _verify(node_paths) == 21


def test_child_exits_when_the_serving_process_is_killed(node_paths):
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from local_node.identity import load_identity, node_name\n"
        "from local_node.datadir import NodePaths\n"
        "from local_node.store import Store\n"
        "from local_node.writer_process import LogWriterProcess\n"
        "paths = NodePaths(Path(sys.argv[1]))\n"
        "identity = load_identity(paths, node_name(paths))\n"
        "w = LogWriterProcess(Store(paths.db), identity.key, boot_id='t')\n"
        "w.append('admin', {})\n"
        "print(w._child.proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(node_paths.root)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        # Its input pipe closes with the parent: the child finishes and exits (reaped by init,
        # or left a zombie of the killed parent, which is gone either way).
        _wait_until(lambda: _gone(child))
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
    assert _verify(node_paths) == 2


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True


def test_a_check_in_cut_by_the_writer_dying_gets_503_and_the_next_one_works(node_paths, roster):
    app = create_app({"DATA_DIR": str(node_paths.root), "TESTING": True, "WRITER_PROCESS": True})
    svc = app.extensions["presensi_node"]
    client = app.test_client()
    person = roster[0]
    token = client.post(
        "/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]}
    ).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    try:
        first = client.post("/api/v1/checkins", json={"kind": "in"}, headers=auth)
        assert first.status_code == 201
        pid = _child_pid(svc.writer)
        os.kill(pid, signal.SIGSTOP)  # the next check-in waits on a child that cannot answer
        answers: list = []
        t = threading.Thread(
            target=lambda: answers.append(
                client.post("/api/v1/checkins", json={"kind": "in"}, headers=auth)
            )
        )
        t.start()
        _wait_until(lambda: len(svc.writer._waiting) == 1)
        os.kill(pid, signal.SIGKILL)
        t.join(10)
        r = answers[0]
        assert r.status_code == 503, r.get_data(as_text=True)
        assert r.get_json()["error"] == "writer-restarting"
        assert r.headers.get("Retry-After")
        again = client.post("/api/v1/checkins", json={"kind": "in"}, headers=auth)
        assert again.status_code == 201
        assert records.parse(again.get_data(as_text=True))["body"]["nip"] == person["nip"]
    finally:
        svc.close()
    assert _verify(node_paths) == len(_log_texts(node_paths))
