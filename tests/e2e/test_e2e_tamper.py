"""Tampering and intruders: a record edited on the node behind its back, a revoked node, a
node of another CA, a replayed request and a tampered body are all refused by central."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certs.keys import load_private_key
from local_node.datadir import NodePaths
from local_node.store import Store
from sync import records
from sync.batches import encode_batch
from sync.canonical import canonical_bytes
from sync.client import CentralClient
from sync.errors import SyncError
from sync.httpsig import content_digest
from sync.timefmt import format_ts, wita_day
from testkit.factories import CentralSetup, NodeProcess, make_ca, make_node, run_cli
from testkit.faultproxy import FaultProxy, split_requests
from tests.e2e.conftest import (
    NODE,
    CentralView,
    assert_converged,
    check_in,
    send_raw,
    sign_in_all,
    sync_state,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]


def test_record_edited_on_the_node_is_refused_and_alerted(
    node: NodeProcess,
    node_paths: NodePaths,
    proxy: FaultProxy,
    view: CentralView,
    central_setup: CentralSetup,
) -> None:
    people = central_setup.people
    staff = sign_in_all(node.url, people[:2])
    forged_nip = people[5]["nip"]
    held = len(assert_converged(view, node_paths))

    proxy.set_mode("refuse")  # the link is down: the check-in waits on the node
    refused = proxy.stats()["events"].get("refuse", 0)
    victim, _ = check_in(node.url, staff[1])
    wait_for(
        lambda: proxy.stats()["events"].get("refuse", 0) > refused, 20, "the node to try central"
    )
    assert view.count() == held

    # A local admin with root rewrites the record: another employee's NIP, hash recomputed
    # (the signature cannot be, without the key... which a careful forger would not have).
    forged = {**victim, "body": {**victim["body"], "nip": forged_nip}}
    forged["hash"] = records.record_hash(canonical_bytes(records.unsigned_part(forged)))
    conn = sqlite3.connect(node_paths.db, timeout=30)
    try:
        conn.execute("DROP TRIGGER log_no_update")
        conn.execute(
            "UPDATE log SET record = ?, hash = ?, nip = ? WHERE seq = ?",
            (records.serialize(forged), forged["hash"], forged_nip, victim["seq"]),
        )
        conn.commit()
    finally:
        conn.close()

    proxy.set_mode("pass")
    alert = wait_for(
        lambda: [a for a in view.node()["alerts"] if a["kind"] == "invalid-signature"],
        40,
        "central to raise an invalid-signature alert",
    )
    assert f"seq {victim['seq']}" in alert[0]["message"], alert
    assert "bad-signature" in alert[0]["message"]
    info = view.node()
    assert info["records"] == held and view.count() == held  # nothing of the batch stored
    wait_for(
        lambda: "invalid-record" in sync_state(node_paths).get("last_error", ""),
        20,
        "the node to record central's refusal",
    )
    rows = {r["nip"]: r for r in view.attendance(wita_day(victim["ts"]))}
    for nip in (forged_nip, staff[1].nip):
        assert rows[nip]["records"] == [] and rows[nip]["first_in"] is None
    # The node's own audit finds it too.
    out = run_cli("local_node", "verify", "--data", str(node_paths.root), check=False)
    assert out.returncode == 1 and f"seq {victim['seq']}" in out.stderr


def _captured(proxy: FaultProxy, start: bytes) -> bytes:
    for stream in proxy.captured:
        for request in split_requests(bytes(stream)):
            if request.startswith(start):
                return request
    raise AssertionError(f"no captured request starting {start!r}")


def _with_body(request: bytes, body: bytes, digest: bool) -> bytes:
    head, _, _ = request.partition(b"\r\n\r\n")
    lines = []
    for line in head.split(b"\r\n"):
        name = line.split(b":", 1)[0].lower()
        if name == b"content-length":
            line = b"Content-Length: " + str(len(body)).encode()
        elif name == b"content-digest" and digest:
            line = b"Content-Digest: " + content_digest(body).encode()
        lines.append(line)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _refused_sync(paths: NodePaths) -> str:
    out = run_cli("local_node", "sync", "--data", str(paths.root), check=False)
    assert out.returncode == 2, out.stdout
    return out.stderr


def test_replayed_tampered_foreign_and_revoked_requests_are_refused(
    tmp_path: Path,
    node_paths: NodePaths,
    proxy: FaultProxy,
    view: CentralView,
    central_setup: CentralSetup,
) -> None:
    held = view.count()
    assert held > 0
    clock = {"wall_ts": format_ts(datetime.now(UTC)), "mono_us": 1}
    # Requests the node really sent (presensi-node sync during enrollment), captured.
    batch = _captured(proxy, b"POST /api/v1/batches ")
    checkpoint = _captured(proxy, b"GET /api/v1/nodes/" + NODE.encode() + b"/checkpoint")

    # Replayed as they were: the nonce was seen.
    for request in (batch, checkpoint):
        status, doc = send_raw(proxy.port, request)
        assert (status, doc["error"]) == (401, "replayed"), doc

    # Tampered body, digest left alone: the digest no longer matches.
    body = batch.partition(b"\r\n\r\n")[2]
    flipped = body[:-5] + bytes([body[-5] ^ 1]) + body[-4:]
    status, doc = send_raw(proxy.port, _with_body(batch, flipped, digest=False))
    assert (status, doc["error"]) == (401, "signature-bad-digest"), doc
    # Tampered body with a fresh digest: the signature covers the digest.
    status, doc = send_raw(proxy.port, _with_body(batch, flipped, digest=True))
    assert (status, doc["error"]) == (401, "signature-bad-signature"), doc

    # A node with a certificate from another CA (its own key, signing as the protocol
    # says): unknown to central under its own name, and not the key central holds for ours.
    other_ca = make_ca(tmp_path / "other")
    for name, code in (("kec-asing", "unknown-node"), (NODE, "signature-bad-signature")):
        foreign = make_node(tmp_path / "foreign", other_ca, name)
        genesis = [records.parse(t) for t in Store(foreign.db).iter_records()]
        client = CentralClient(proxy.url, name, load_private_key(foreign.key))
        try:
            with pytest.raises(SyncError) as refused:
                client.checkpoint()
            assert refused.value.status == 401 and f"401 {code}" in str(refused.value)
            with pytest.raises(SyncError) as refused:
                client.push(
                    encode_batch(
                        name, genesis[0]["epoch"], [records.serialize(r) for r in genesis], clock
                    )
                )
            assert refused.value.status == 401 and f"401 {code}" in str(refused.value)
        finally:
            client.close()

    # The real node, revoked by an official.
    run_cli("central", "node", "revoke", "--data", str(central_setup.data), "--name", NODE)
    stderr = _refused_sync(node_paths)
    assert "HTTP 403 revoked" in stderr, stderr
    info = view.node()
    assert info["status"] == "revoked"
    assert any(a["kind"] == "revoked" for a in info["alerts"])
    assert view.count() == held  # nothing was stored from any of them
    assert (
        json.loads(
            run_cli("local_node", "status", "--data", str(node_paths.root), "--json").stdout
        )["last_sync_error"].count("403")
        == 1
    )
