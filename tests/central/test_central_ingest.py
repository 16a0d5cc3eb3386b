"""Ingest: exactly-once, gaps, forks, tampering, receipts, time bounds and clock offsets."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from central.datadir import CentralPaths
from central.enrollment import create_enroll_token
from central.identity import central_public_key
from central.store.sqlite import SqliteStore
from certs.authority import load_ca
from certs.csr import make_csr
from sync import records
from sync.batches import encode_batch
from sync.receipts import verify_receipt
from testkit.factories import make_node

from .conftest import Clock, FakeNode, enroll

NIP = "198501012010011001"


def _fill(node: FakeNode, count: int) -> None:
    for i in range(count):
        node.checkin(NIP, "in" if i % 2 == 0 else "out")


def test_same_batch_twice_is_stored_once(
    client: FlaskClient, node: FakeNode, store: SqliteStore, central_paths: CentralPaths
) -> None:
    _fill(node, 5)
    body = node.batch()
    first = node.request(client, "POST", "/api/v1/batches", body)
    assert first.status_code == 200, first.get_data(as_text=True)
    data = first.get_json()
    assert data["accepted"] == 6 and data["duplicates"] == 0
    assert data["checkpoint"] == {"epoch": node.epoch, "seq": 5, "head": node.records[5]["hash"]}
    again = node.request(client, "POST", "/api/v1/batches", body)  # a retry: new signature
    assert again.status_code == 200
    assert again.get_json()["accepted"] == 0 and again.get_json()["duplicates"] == 6
    assert again.get_json()["receipt"] == data["receipt"]
    assert len(store.records_of("kec-alalak")) == 6
    receipt = verify_receipt(data["receipt"], central_public_key(central_paths.cert))
    assert receipt["seq"] == 5 and receipt["head"] == node.records[5]["hash"]
    assert receipt["node"] == "kec-alalak" and receipt["central"] == "central-batola"


def test_overlapping_batch_stores_only_new_records(
    client: FlaskClient, node: FakeNode, store: SqliteStore
) -> None:
    _fill(node, 4)
    assert node.push(client, 0, 3).status_code == 200
    r = node.push(client, 1)
    assert r.get_json()["accepted"] == 2 and r.get_json()["duplicates"] == 2
    assert [rec.seq for rec in store.records_of("kec-alalak")] == [0, 1, 2, 3, 4]


def test_gap_answers_409_with_expected_seq(
    client: FlaskClient, node: FakeNode, store: SqliteStore
) -> None:
    _fill(node, 6)
    assert node.push(client, 0, 3).status_code == 200
    r = node.push(client, 5)
    assert r.status_code == 409
    assert r.get_json()["error"] == "gap" and r.get_json()["expected_seq"] == 3
    assert len(store.records_of("kec-alalak")) == 3
    cp = node.request(client, "GET", "/api/v1/nodes/kec-alalak/checkpoint").get_json()
    assert cp["seq"] == 2 and cp["epoch"] == node.epoch


def test_fork_quarantines_and_keeps_evidence(
    client: FlaskClient, node: FakeNode, store: SqliteStore
) -> None:
    _fill(node, 3)
    assert node.push(client).status_code == 200
    original = node.records[2]
    # The node (its key) signs a different history from seq 2 on.
    node.records = node.records[:2]
    node.checkin(NIP, "in")  # seq 2 was "out"
    r = node.push(client, 2)
    assert r.status_code == 409 and r.get_json()["error"] == "fork"
    row = store.node("kec-alalak")
    assert row is not None and row.status == "quarantined"
    evidence = store.evidence("kec-alalak")
    assert len(evidence) == 1 and evidence[0]["seq"] == 2
    assert json.loads(evidence[0]["stored_record"])["hash"] == original["hash"]
    assert json.loads(evidence[0]["other_record"])["hash"] == node.records[2]["hash"]
    assert any(a.kind == "fork" for a in store.alerts("kec-alalak"))
    node.checkin(NIP, "out")
    r = node.push(client, 3)
    assert r.status_code == 409 and r.get_json()["error"] == "quarantined"
    cp = node.request(client, "GET", "/api/v1/nodes/kec-alalak/checkpoint").get_json()
    assert cp["quarantined"] is True


def test_broken_link_at_the_head_is_a_fork(
    client: FlaskClient, node: FakeNode, store: SqliteStore
) -> None:
    _fill(node, 2)
    assert node.push(client).status_code == 200
    node.records = node.records[:2]
    node.checkin(NIP)  # a different seq 2 ...
    node.checkin(NIP, "out")  # ... so seq 3 links to a record central never saw
    r = node.push(client, 3)
    assert r.status_code == 409 and r.get_json()["error"] == "fork"
    assert store.evidence("kec-alalak")[0]["kind"] == "broken-chain"


def test_tampered_record_is_refused_alerted_and_not_stored(
    client: FlaskClient, node: FakeNode, store: SqliteStore
) -> None:
    _fill(node, 3)
    edited = dict(node.records[2])
    edited["body"] = dict(edited["body"], kind="in" if edited["body"]["kind"] == "out" else "out")
    node.records[2] = edited  # old hash and sig kept: what an edit behind its back looks like
    r = node.push(client)
    assert r.status_code == 422
    assert r.get_json()["error"] == "invalid-record" and r.get_json()["reason"] == "bad-hash"
    assert store.records_of("kec-alalak") == []
    assert store.alerts("kec-alalak")[0].kind == "invalid-signature"
    row = store.node("kec-alalak")
    assert row is not None and row.head_seq is None


def test_bad_signature_is_refused(client: FlaskClient, node: FakeNode, store: SqliteStore) -> None:
    other = FakeNode("kec-alalak", node.clock)
    forged = records.seal(records.unsigned_part(node.records[0]), other.key)
    r = node.request(client, "POST", "/api/v1/batches", node.batch(recs=[forged]))
    assert r.status_code == 422 and r.get_json()["reason"] == "bad-signature"
    assert store.records_of("kec-alalak") == []


def test_time_bounds_flag_records_outside(
    client: FlaskClient, node: FakeNode, store: SqliteStore, clock: Clock
) -> None:
    node.checkin(NIP)
    first = node.push(client)
    receipt = first.get_json()["receipt"]
    clock.advance(60)
    node.anchor(receipt)
    node.checkin(NIP, ts=clock.now - 3600)  # claims a time before the anchored receipt
    node.checkin(NIP, "out", ts=clock.now + 3600)  # claims a time after central received it
    node.checkin(NIP, "out")  # honest
    clock.advance(1)
    r = node.push(client, 2)
    assert r.status_code == 200, r.get_data(as_text=True)
    stored = {rec.seq: rec for rec in store.records_of("kec-alalak")}
    assert stored[0].lower_ts is None and not stored[0].out_of_bounds
    assert stored[2].lower_ts == receipt["server_ts"]
    assert stored[4].lower_ts == receipt["server_ts"]
    assert stored[4].upper_ts == r.get_json()["receipt"]["server_ts"]
    assert [s for s in (3, 4, 5) if stored[s].out_of_bounds] == [3, 4]
    assert any(a.kind == "time-out-of-bounds" for a in store.alerts("kec-alalak"))


def test_forged_anchor_proves_nothing(
    client: FlaskClient, node: FakeNode, store: SqliteStore, clock: Clock
) -> None:
    assert node.push(client).status_code == 200
    fake = {
        "v": 1,
        "central": "central-batola",
        "node": "kec-alalak",
        "epoch": node.epoch,
        "seq": 0,
        "head": node.records[0]["hash"],
        "server_ts": "2099-01-01T00:00:00.000Z",
        "sig": "A" * 86 + "==",
    }
    node.anchor(fake)
    node.checkin(NIP)
    assert node.push(client, 1).status_code == 200
    assert all(rec.lower_ts is None for rec in store.records_of("kec-alalak"))
    assert any(a.kind == "bad-anchor" for a in store.alerts("kec-alalak"))


def test_clock_offset_is_recorded(
    client: FlaskClient, node: FakeNode, store: SqliteStore, clock: Clock
) -> None:
    body = encode_batch(
        node.name,
        node.epoch,
        [records.serialize(node.records[0])],
        {"wall_ts": "2000-01-01T00:00:00.000Z", "mono_us": 1},
    )
    assert node.request(client, "POST", "/api/v1/batches", body).status_code == 200
    row = store.node("kec-alalak")
    assert row is not None and row.clock_offset_ms is not None
    assert abs(row.clock_offset_ms / 1000 - (clock.now - 946684800)) < 1
    assert store.last_clock_samples("kec-alalak")[0][1] == row.clock_offset_ms


def test_gzip_batch_and_gzip_bomb(client: FlaskClient, node: FakeNode) -> None:
    _fill(node, 3)
    assert node.push(client, gzip=True).get_json()["accepted"] == 4
    bomb = gzip.compress(b"[" + b" " * (9 * 1024 * 1024) + b"]")
    r = node.request(client, "POST", "/api/v1/batches", bomb, {"Content-Encoding": "gzip"})
    assert r.status_code == 413 and r.get_json()["error"] == "too-large"


def test_new_epoch_needs_re_enrollment(
    client: FlaskClient, node: FakeNode, store: SqliteStore, clock: Clock
) -> None:
    _fill(node, 2)
    assert node.push(client).status_code == 200
    fresh = FakeNode("kec-alalak", clock, node.key)  # same key, re-initialised log
    r = fresh.push(client)
    assert r.status_code == 409 and r.get_json()["error"] == "epoch-mismatch"
    assert store.evidence("kec-alalak")[0]["kind"] == "new-epoch"
    assert any(a.kind == "new-epoch" for a in store.alerts("kec-alalak"))
    # An official re-enrolls it: then the new log is accepted from seq 0.
    token = create_enroll_token(store, "kec-alalak", now=clock.now)
    assert (
        client.post(
            "/api/v1/enroll",
            json={"token": token, "csr": make_csr(fresh.key, "kec-alalak").decode()},
        ).status_code
        == 201
    )
    cp = fresh.request(
        client, "GET", f"/api/v1/nodes/kec-alalak/checkpoint?epoch={fresh.epoch}"
    ).get_json()
    assert cp["seq"] == -1
    r = fresh.push(client)
    assert r.status_code == 200 and r.get_json()["accepted"] == 1
    row = store.node("kec-alalak")
    assert row is not None and row.epoch == fresh.epoch and row.records_count == 4


def test_batch_of_another_node_is_refused(
    client: FlaskClient, node: FakeNode, store: SqliteStore, clock: Clock
) -> None:
    other = enroll(client, store, clock, "kec-tamban")
    r = node.request(client, "POST", "/api/v1/batches", other.batch())
    assert r.status_code == 400 and r.get_json()["error"] == "bad-batch"


def test_a_real_node_log_is_accepted(
    client: FlaskClient,
    central_paths: CentralPaths,
    store: SqliteStore,
    tmp_path: Path,
    clock: Clock,
) -> None:
    """Records written by local_node's own writer verify at central unchanged."""
    from certs.keys import load_private_key
    from local_node.store import Store
    from local_node.writer import LogWriter

    paths = make_node(tmp_path, load_ca(central_paths.ca_dir), "kec-marabahan")
    key = load_private_key(paths.key)
    node_store = Store(paths.db)
    writer = LogWriter(node_store, key, boot_id="b")
    for kind in ("in", "out"):
        writer.append(
            "checkin",
            {"nip": NIP, "kind": kind, "method": "app", "device": "d" * 8, "client_ts": None},
            nip=NIP,
        )
    writer.stop()
    texts = list(node_store.iter_records())
    node_store.close()
    fake = FakeNode("kec-marabahan", clock, key)
    fake.epoch = json.loads(texts[0])["epoch"]
    body = encode_batch(
        "kec-marabahan",
        fake.epoch,
        texts,
        {"wall_ts": texts[-1] and json.loads(texts[-1])["ts"], "mono_us": 1},
    )
    r = fake.request(client, "POST", "/api/v1/batches", body)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["accepted"] == 3
    assert [rec.record for rec in store.records_of("kec-marabahan")] == texts


# --- compact v2 batches: central rebuilds prev and hash, then verifies as always ------------


def _v2_body(
    node: FakeNode,
    start: int = 0,
    stop: int | None = None,
    recs: list[dict[str, object]] | None = None,
) -> bytes:
    chosen = recs if recs is not None else node.records[start:stop]
    clock = {"wall_ts": "2026-11-27T22:08:03.181Z", "mono_us": 5_000_000}
    return encode_batch(
        node.name, node.epoch, [records.serialize(r) for r in chosen], clock, version=2
    )


def _push_v2(client: FlaskClient, node: FakeNode, body: bytes, *, gz: bool = True) -> TestResponse:
    headers = {"Content-Type": "application/json"}
    if gz:
        body = gzip.compress(body, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return node.request(client, "POST", "/api/v1/batches", body, headers)


def test_v2_batch_is_stored_exactly_like_v1(
    client: FlaskClient, node: FakeNode, store: SqliteStore, central_paths: CentralPaths
) -> None:
    _fill(node, 6)
    first = _push_v2(client, node, _v2_body(node, 0, 4))
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["accepted"] == 4
    receipt = verify_receipt(first.get_json()["receipt"], central_public_key(central_paths.cert))
    assert (receipt["seq"], receipt["head"]) == (3, node.records[3]["hash"])
    node.anchor(receipt)
    # The next batch starts after central's head: its first record's prev links there.
    second = _push_v2(client, node, _v2_body(node, 4), gz=False)
    assert second.status_code == 200 and second.get_json()["accepted"] == 4
    stored = store.records_of("kec-alalak")
    assert [r.hash for r in stored] == [r["hash"] for r in node.records]
    assert [r.record for r in stored] == [records.serialize(r) for r in node.records]
    again = _push_v2(client, node, _v2_body(node, 2))  # a retry: duplicates, same receipt
    assert again.status_code == 200
    assert again.get_json()["accepted"] == 0 and again.get_json()["duplicates"] == 6
    # v1 keeps working next to v2
    node.checkin(NIP)
    assert node.push(client, 8).get_json()["accepted"] == 1


def test_v2_edited_record_is_a_bad_signature(
    client: FlaskClient, node: FakeNode, store: SqliteStore
) -> None:
    _fill(node, 3)
    edited = dict(node.records[2])
    edited["body"] = dict(edited["body"], kind="in" if edited["body"]["kind"] == "out" else "out")
    node.records[2] = edited
    r = _push_v2(client, node, _v2_body(node))
    assert r.status_code == 422
    assert r.get_json()["error"] == "invalid-record" and r.get_json()["seq"] == 2
    assert r.get_json()["reason"] == "bad-signature"
    assert store.records_of("kec-alalak") == []
    assert store.alerts("kec-alalak")[0].kind == "invalid-signature"


def test_v2_hole_in_the_log_is_refused_with_evidence_as_v1(
    client: FlaskClient, node: FakeNode, store: SqliteStore
) -> None:
    """A record deleted from the node's log: the record after the hole travels with its own
    prev, so central keeps it as invalid-chain evidence, exactly as for a v1 batch."""
    _fill(node, 4)
    del node.records[2]
    r = _push_v2(client, node, _v2_body(node))
    assert r.status_code == 400 and r.get_json()["error"] == "bad-batch"
    assert "gap" in r.get_json()["message"]
    assert store.records_of("kec-alalak") == []
    assert store.evidence("kec-alalak")[0]["kind"] == "invalid-chain"
    assert store.alerts("kec-alalak")[0].kind == "invalid-record"


def test_v2_record_cut_from_the_body_is_refused(
    client: FlaskClient, node: FakeNode, store: SqliteStore
) -> None:
    _fill(node, 4)
    body = json.loads(_v2_body(node))
    del body["records"][2]  # the next record has no prev and does not follow: malformed
    r = _push_v2(client, node, json.dumps(body).encode())
    assert r.status_code == 400 and r.get_json()["error"] == "bad-batch"
    assert store.records_of("kec-alalak") == []


def test_v2_first_prev_not_linking_is_a_fork(
    client: FlaskClient, node: FakeNode, store: SqliteStore
) -> None:
    _fill(node, 2)
    assert _push_v2(client, node, _v2_body(node)).status_code == 200
    node.records = node.records[:2]
    node.checkin(NIP)  # a different seq 2 ...
    node.checkin(NIP, "out")  # ... so seq 3 links to a record central never saw
    r = _push_v2(client, node, _v2_body(node, 3))
    assert r.status_code == 409 and r.get_json()["error"] == "fork"
    assert store.evidence("kec-alalak")[0]["kind"] == "broken-chain"


def test_v2_malformed_is_bad_batch(client: FlaskClient, node: FakeNode, store: SqliteStore) -> None:
    _fill(node, 2)
    body = json.loads(_v2_body(node))
    body["records"][1]["hash"] = node.records[1]["hash"]
    r = _push_v2(client, node, json.dumps(body).encode())
    assert r.status_code == 400 and r.get_json()["error"] == "bad-batch"
    assert "hash" in r.get_json()["message"]
    assert store.records_of("kec-alalak") == []
