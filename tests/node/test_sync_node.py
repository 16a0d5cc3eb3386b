"""The node's sync against a central on loopback: push, receipts, anchors, gaps, roster."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certs.authority import CertificateAuthority, cert_pem, issue_certificate
from certs.keys import load_private_key, write_pem
from local_node import create_app
from local_node.central_link import NotConfigured
from local_node.datadir import NodePaths
from local_node.status import status_report
from local_node.store import Store
from local_node.sync_command import sync_once
from sync import records
from sync.chain import verify_log
from sync.client import CentralClient
from sync.errors import ReceiptError, RosterError, SyncError
from sync.pins import hash_pin
from sync.receipts import verify_receipt
from testkit.factories import run_cli
from tests.sync.test_client import FakeCentral


def node_log(paths: NodePaths) -> list[dict[str, Any]]:
    return [records.parse(t) for t in Store(paths.db).iter_records()]


def connect(paths: NodePaths, ca: CertificateAuthority, central: FakeCentral) -> None:
    """Give the node central's certificate and URL, as enrollment would."""
    cert = issue_certificate(ca, central.key.public_key(), "central-batola", role="central")
    write_pem(paths.central, cert_pem(cert))
    paths.config.write_text(
        json.dumps({"CENTRAL_URL": central.url, "CENTRAL_ID": "central-batola"})
    )
    central.nodes[paths.root.name] = load_private_key(paths.key).public_key()


@pytest.fixture
def central(node_paths: NodePaths, district_ca: CertificateAuthority) -> Iterator[FakeCentral]:
    fake = FakeCentral().start()
    connect(node_paths, district_ca, fake)
    yield fake
    fake.stop()


def employees(people: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "nip": p["nip"],
            "name": p["name"],
            "unit": p["unit"],
            "role": p["role"],
            "pin_hash": hash_pin(p["pin"], n=2**4),
        }
        for p in people
    ]


def append_checkins(paths: NodePaths, count: int) -> None:
    from local_node.config import load_config
    from local_node.identity import load_identity
    from local_node.service import NodeService

    svc = NodeService(load_config(paths.root), paths, load_identity(paths, paths.root.name))
    try:
        for i in range(count):
            svc.append(
                "checkin",
                {"nip": "198501012010011001", "kind": "in", "n": i},
                nip="198501012010011001",
            )
    finally:
        svc.close()


def test_sync_pushes_everything_once_and_anchors(
    node_paths: NodePaths, central: FakeCentral, roster: list[dict[str, str]]
) -> None:
    append_checkins(node_paths, 25)
    result = sync_once(node_paths)
    log = node_log(node_paths)
    held = central.logs["kec-alalak"]
    assert result["sent"] == len(held) == len(log) - 1
    assert [r["hash"] for r in held] == [r["hash"] for r in log[:-1]]
    anchor = log[-1]
    assert anchor["type"] == "anchor"
    receipt = verify_receipt(anchor["body"]["receipt"], central.key.public_key())
    assert (receipt["seq"], receipt["head"]) == (held[-1]["seq"], held[-1]["hash"])
    assert isinstance(anchor["body"]["clock_offset_ms"], int)
    verify_log(log, load_private_key(node_paths.key).public_key())  # still a valid chain
    # Only the anchor is unsent now: a second cycle sends nothing and adds no anchor.
    again = sync_once(node_paths)
    assert again["sent"] == 0 and len(node_log(node_paths)) == len(log)
    report = status_report(node_paths)
    assert report["unsynced_records"] == 0
    assert report["last_receipt"]["seq"] == receipt["seq"]
    assert report["central_url"] == central.url and report["last_sync_ok"]
    # New records travel with the waiting anchor.
    append_checkins(node_paths, 2)
    third = sync_once(node_paths)
    assert third["sent"] == 3
    assert central.logs["kec-alalak"][-3]["type"] == "anchor"


def test_batches_of_batch_size(node_paths: NodePaths, central: FakeCentral) -> None:
    append_checkins(node_paths, 30)
    cfg = json.loads(node_paths.config.read_text())
    node_paths.config.write_text(json.dumps({**cfg, "BATCH_SIZE": 7}))
    result = sync_once(node_paths)
    assert result["batches"] == 5 and result["sent"] == 31
    assert [r["type"] for r in node_log(node_paths)[-5:]] == ["anchor"] * 5
    sizes = [n for m, p, n in central.requests if p == "/api/v1/batches"]
    assert len(sizes) == 5


def test_lost_answer_then_retry_makes_no_duplicate(
    node_paths: NodePaths, central: FakeCentral
) -> None:
    append_checkins(node_paths, 10)
    central.lose_answer_next = 1
    with pytest.raises(SyncError):
        sync_once(node_paths)
    assert len(central.logs["kec-alalak"]) == 11
    assert "HTTP 500" in status_report(node_paths)["last_sync_error"]
    append_checkins(node_paths, 1)
    sync_once(node_paths)
    held = central.logs["kec-alalak"]
    assert [r["seq"] for r in held] == list(range(12))


class TruncatingClient(CentralClient):
    """Central restored from a backup between our checkpoint read and our push."""

    keep = 3
    central: FakeCentral

    def checkpoint(self, epoch: str | None = None) -> dict[str, Any]:
        doc = super().checkpoint(epoch)
        del self.central.logs[self.node_id][self.keep :]
        return doc


def test_gap_resends_from_expected_seq(
    node_paths: NodePaths, central: FakeCentral, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_checkins(node_paths, 5)
    sync_once(node_paths)
    append_checkins(node_paths, 4)
    TruncatingClient.central = central
    monkeypatch.setattr("local_node.central_link.CentralClient", TruncatingClient)
    result = sync_once(node_paths)
    held = central.logs["kec-alalak"]
    assert [r["seq"] for r in held] == list(range(len(held)))
    assert held[-1]["hash"] == node_log(node_paths)[-2]["hash"]
    assert result["sent"] == len(held) - 3
    assert [s for _, p, s in central.requests if p == "/api/v1/batches"][-2:] == [409, 200]


def test_receipt_from_wrong_key_is_refused(node_paths: NodePaths, central: FakeCentral) -> None:
    central.key = Ed25519PrivateKey.generate()
    before = len(node_log(node_paths))
    with pytest.raises(ReceiptError):
        sync_once(node_paths)
    assert len(node_log(node_paths)) == before  # no anchor for an unverified receipt
    assert "receipt rejected" in status_report(node_paths)["last_sync_error"]


def test_quarantined_node_stops(node_paths: NodePaths, central: FakeCentral) -> None:
    central.quarantined.add("kec-alalak")
    with pytest.raises(SyncError, match="quarantined"):
        sync_once(node_paths)


def test_forked_central_is_detected(node_paths: NodePaths, central: FakeCentral) -> None:
    sync_once(node_paths)
    central.logs["kec-alalak"][0] = {**central.logs["kec-alalak"][0], "hash": "f" * 64}
    with pytest.raises(SyncError, match="forked"):
        sync_once(node_paths)


def test_roster_from_central(
    node_paths: NodePaths, central: FakeCentral, roster: list[dict[str, str]]
) -> None:
    from local_node.roster import current_version, find

    people = roster[:5]
    doc = central.publish_roster(3, employees(people))
    result = sync_once(node_paths)
    assert result["roster_installed"] == 3
    store = Store(node_paths.db)
    assert current_version(store) == "3"
    assert find(store, people[0]["nip"]) is not None
    assert find(store, roster[10]["nip"]) is None
    body = [r for r in node_log(node_paths) if r["type"] == "roster"][-1]["body"]
    assert body["source"] == "central" and body["count"] == 5 and len(body["sha256"]) == 64
    assert doc["version"] == 3
    # Unchanged version: 304, nothing installed.
    assert sync_once(node_paths)["roster_installed"] is None
    # A roster signed by another key is refused; the node keeps the verified one.
    central.roster = {**central.publish_roster(4, employees(roster[:2]))}
    central.roster["employees"] = employees(roster[:1])
    with pytest.raises(RosterError):
        sync_once(node_paths)
    assert current_version(Store(node_paths.db)) == "3"
    assert "roster document rejected" in status_report(node_paths)["last_sync_error"]


def test_not_configured(node_paths: NodePaths) -> None:
    with pytest.raises(NotConfigured, match="CENTRAL_URL"):
        sync_once(node_paths)


def test_cli_sync_and_status(node_paths: NodePaths, central: FakeCentral) -> None:
    append_checkins(node_paths, 3)
    out = run_cli("local_node", "sync", "--data", str(node_paths.root))
    assert json.loads(out.stdout)["sent"] == 4
    status = json.loads(
        run_cli("local_node", "status", "--data", str(node_paths.root), "--json").stdout
    )
    assert status["unsynced_records"] == 0 and status["clock_offset_ms"] is not None
    central.stop()
    failed = run_cli("local_node", "sync", "--data", str(node_paths.root), check=False)
    assert failed.returncode == 2 and "cannot reach central" in failed.stderr


def test_serving_app_pushes_checkins_soon(
    node_paths: NodePaths, central: FakeCentral, roster: list[dict[str, str]]
) -> None:
    app = create_app(
        {
            "DATA_DIR": str(node_paths.root),
            "TESTING": True,
            "START_SCHEDULER": True,
            "PUSH_INTERVAL_S": 3600,
        }
    )
    scheduler = app.extensions["presensi_scheduler"]
    try:
        client = app.test_client()
        deadline = time.monotonic() + 10
        while "kec-alalak" not in central.logs and time.monotonic() < deadline:
            time.sleep(0.05)  # the first push after start
        first = len(central.logs["kec-alalak"])
        person = roster[0]
        session = client.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]})
        token = session.get_json()["token"]
        started = time.monotonic()
        answer = client.post(
            "/api/v1/checkins", json={"kind": "in"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 201
        mine = json.loads(answer.get_data(as_text=True))["hash"]
        while time.monotonic() - started < 5:
            if any(r["hash"] == mine for r in central.logs["kec-alalak"]):
                break
            time.sleep(0.02)
        else:
            raise AssertionError("check-in did not reach central")
        latency = time.monotonic() - started
        assert latency < 3, latency
        assert len(central.logs["kec-alalak"]) > first
        time.sleep(1.0)  # anchors alone do not trigger more pushes
        pushes = [p for _, p, _ in central.requests if p == "/api/v1/batches"]
        assert len(pushes) == 2
    finally:
        scheduler.stop()
        app.extensions["presensi_node"].close()


def test_serving_app_without_central_runs_without_scheduler(node_paths: NodePaths) -> None:
    app = create_app({"DATA_DIR": str(node_paths.root), "TESTING": True, "START_SCHEDULER": True})
    try:
        assert app.extensions["presensi_scheduler"] is None
    finally:
        app.extensions["presensi_node"].close()


# --- the push loop asks central only when it does not know where central stands ------------


@pytest.fixture
def syncer(node_paths: NodePaths, central: FakeCentral) -> Iterator[Any]:
    """One long-lived CentralLink, as the serving node's scheduler keeps it."""
    from local_node.central_link import connect
    from local_node.config import load_config
    from local_node.identity import load_identity, node_name
    from local_node.writer import LogWriter
    from sync.timefmt import boot_id

    store = Store(node_paths.db)
    store.migrate()
    identity = load_identity(node_paths, node_name(node_paths))
    writer = LogWriter(store, identity.key, boot_id=boot_id())
    made = connect(node_paths, load_config(node_paths.root), identity, store, writer)
    yield made
    made.client.close()
    writer.stop()
    store.close()


def kinds(central: FakeCentral, since: int) -> list[str]:
    """The requests central got since index ``since``: checkpoint / batch / roster."""
    return [
        "checkpoint" if path.endswith("/checkpoint") else path.rsplit("/", 1)[-1]
        for _, path, _ in central.requests[since:]
    ]


def add_checkins(syncer: Any, count: int) -> None:
    for i in range(count):
        syncer.pusher.writer.append(
            "checkin", {"nip": "198501012010011001", "kind": "in", "n": i}, nip="198501012010011001"
        )


def test_idle_cycles_send_nothing_and_receipts_replace_checkpoints(
    syncer: Any, central: FakeCentral
) -> None:
    first = syncer.pusher.push()  # after start: central is asked where it stands
    assert first["checkpoint"] is True and first["sent"] > 0
    assert kinds(central, 0) == ["checkpoint", "batches"]
    assert syncer.pusher.known == (first["receipt"]["seq"], first["receipt"]["head"])
    mark = len(central.requests)
    for _ in range(5):  # idle: only the anchor is after central's seq
        idle = syncer.pusher.push()
        assert idle["sent"] == 0 and idle["checkpoint"] is False
    assert central.requests[mark:] == []  # not one request
    add_checkins(syncer, 3)
    busy = syncer.pusher.push()  # straight to the batch, from the verified receipt
    assert busy["checkpoint"] is False and busy["sent"] == 4  # the anchor + 3 check-ins
    assert kinds(central, mark) == ["batches"]
    held = central.logs["kec-alalak"]
    assert [r["hash"] for r in held] == [r["hash"] for r in node_log(_paths(syncer))[:-1]]


def _paths(syncer: Any) -> NodePaths:
    return NodePaths(syncer.pusher.store.path.parent)


def test_failed_cycle_asks_for_the_checkpoint_again(syncer: Any, central: FakeCentral) -> None:
    syncer.pusher.push()
    add_checkins(syncer, 2)
    central.fail_next = [503]
    with pytest.raises(SyncError):
        syncer.pusher.push()
    assert syncer.pusher.known is None
    mark = len(central.requests)
    again = syncer.pusher.push()
    assert again["checkpoint"] is True and again["sent"] == 3
    assert kinds(central, mark) == ["checkpoint", "batches"]
    mark = len(central.requests)
    assert syncer.pusher.push()["sent"] == 0 and central.requests[mark:] == []


def test_lost_answer_is_recovered_through_the_checkpoint(syncer: Any, central: FakeCentral) -> None:
    syncer.pusher.push()
    add_checkins(syncer, 2)
    central.lose_answer_next = 1  # central stores the batch, the receipt never arrives
    with pytest.raises(SyncError):
        syncer.pusher.push()
    assert syncer.pusher.known is None
    add_checkins(syncer, 1)
    mark = len(central.requests)
    result = syncer.pusher.push()
    assert result["checkpoint"] is True and result["sent"] == 1
    assert kinds(central, mark) == ["checkpoint", "batches"]
    held = central.logs["kec-alalak"]
    assert [r["seq"] for r in held] == list(range(len(held)))


def test_unverified_receipt_drops_the_known_position(syncer: Any, central: FakeCentral) -> None:
    syncer.pusher.push()
    add_checkins(syncer, 1)
    real = central.key
    central.key = Ed25519PrivateKey.generate()
    with pytest.raises(ReceiptError):
        syncer.pusher.push()
    assert syncer.pusher.known is None
    central.key = real
    add_checkins(syncer, 1)
    mark = len(central.requests)
    result = syncer.pusher.push()
    assert result["checkpoint"] is True
    assert kinds(central, mark) == ["checkpoint", "batches"]


def test_central_behind_the_receipt_is_corrected_by_the_gap(
    syncer: Any, central: FakeCentral
) -> None:
    """Central restored from an old backup after our last receipt: the 409 gap corrects."""
    syncer.pusher.push()
    add_checkins(syncer, 4)
    syncer.pusher.push()
    del central.logs["kec-alalak"][3:]
    add_checkins(syncer, 1)
    mark = len(central.requests)
    result = syncer.pusher.push()
    assert result["checkpoint"] is False
    assert [s for _, p, s in central.requests[mark:]] == [409, 200]
    held = central.logs["kec-alalak"]
    log = node_log(_paths(syncer))
    assert [r["hash"] for r in held] == [r["hash"] for r in log[: len(held)]]
    assert all(r["type"] == "anchor" for r in log[len(held) :])
    mark = len(central.requests)
    assert syncer.pusher.push()["sent"] == 0 and central.requests[mark:] == []


def test_node_sends_compact_v2_batches(
    syncer: Any, central: FakeCentral, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies: list[dict[str, Any]] = []
    push = syncer.client.push

    def spy(batch: bytes, gzip: bool = True) -> dict[str, Any]:
        bodies.append(json.loads(batch))
        return push(batch, gzip)

    monkeypatch.setattr(syncer.client, "push", spy)
    syncer.pusher.push()
    sent = bodies[0]["records"]
    assert bodies[0]["v"] == 2
    assert all("hash" not in r for r in sent) and "prev" in sent[0]
    assert all("prev" not in r for r in sent[1:])
    log = node_log(_paths(syncer))
    assert [r["hash"] for r in central.logs["kec-alalak"]] == [r["hash"] for r in log[:-1]]


def test_new_roster_arrives_with_the_next_push(
    syncer: Any, central: FakeCentral, roster: list[dict[str, str]]
) -> None:
    from local_node.roster import find

    syncer.push_then_roster()
    assert syncer.puller.installed_central_version() == 0
    central.publish_roster(7, employees(roster[:3]))  # e.g. a PIN reset at central
    before = len(central.requests)
    add_checkins(syncer, 1)
    syncer.push_then_roster()
    assert kinds(central, before) == ["batches", "roster"]
    assert syncer.puller.installed_central_version() == 7
    assert find(syncer.pusher.store, roster[0]["nip"]) is not None
    assert find(syncer.pusher.store, roster[5]["nip"]) is None
    before = len(central.requests)
    add_checkins(syncer, 1)
    syncer.push_then_roster()  # same version announced: no roster request
    assert kinds(central, before) == ["batches"]


def test_partial_cycle_counts_as_progress_not_outage(
    syncer: Any, central: FakeCentral, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.errors import SyncError

    syncer.pusher.batch_size = 7
    add_checkins(syncer, 30)
    real_push, calls = syncer.client.push, []

    def flaky_push(body: bytes, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise SyncError("central went away", status=None)
        return real_push(body, **kw)

    monkeypatch.setattr(syncer.client, "push", flaky_push)
    result = syncer.pusher.push()  # no exception: the scheduler must not back off
    assert result["batches"] == 2 and "central went away" in result["error"]
    assert "central went away" in status_report(_paths(syncer))["last_sync_error"]
    monkeypatch.setattr(syncer.client, "push", real_push)
    again = syncer.pusher.push()
    assert again["checkpoint"] is True  # position re-learned from central after the error
    node_seqs = {r["seq"] for r in node_log(_paths(syncer)) if r["type"] != "anchor"}
    held = {r["seq"] for r in central.logs[syncer.pusher.node]}
    assert node_seqs <= held
