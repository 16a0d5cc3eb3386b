"""Central away, central's answers lost, central killed after it committed: the node keeps
answering staff at once, and every record reaches central exactly once afterwards."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certs.keys import load_private_key
from local_node.datadir import NodePaths
from sync import records
from sync.batches import encode_batch
from sync.client import CentralClient
from sync.receipts import verify_receipt
from sync.timefmt import format_ts
from testkit.factories import CentralProcess, CentralSetup, NodeProcess
from testkit.faultproxy import FaultProxy
from tests.e2e.conftest import (
    NODE,
    CentralView,
    assert_converged,
    check_in,
    checkin_refs,
    node_log,
    report,
    sign_in_all,
    wait_for,
    wait_recovered,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]

BATCHES = b"POST /api/v1/batches"


def test_central_down_while_30_staff_check_in(
    node: NodeProcess,
    node_paths: NodePaths,
    central: CentralProcess,
    proxy: FaultProxy,
    view: CentralView,
    central_setup: CentralSetup,
    capsys: pytest.CaptureFixture[str],
) -> None:
    staff = sign_in_all(node.url, central_setup.people[:30])
    assert_converged(view, node_paths)
    central.stop()
    recs, took = [], []
    for person in staff:
        rec, seconds = check_in(node.url, person)
        recs.append(rec)
        took.append(seconds)
    # The node tried to push (woken by the check-ins) and could not reach central.
    wait_for(
        lambda: proxy.stats()["events"].get("upstream_connect_failed", 0) >= 1,
        20,
        "the node to try central while it is down",
    )
    assert view.count() == 0  # central is really down
    report(
        capsys,
        f"30 check-ins with central down: max {max(took) * 1000:.0f} ms, "
        f"mean {sum(took) / len(took) * 1000:.0f} ms",
    )
    assert max(took) < 1.0, took
    restarted = time.monotonic()
    central.start()
    assert_converged(view, node_paths, timeout=60)
    report(capsys, f"all 30 at central {time.monotonic() - restarted:.1f} s after restart")
    checkin_refs(view, recs)
    assert len({r["seq"] for r in recs}) == 30


def test_lost_answers_and_central_killed_after_commit_make_no_duplicate(
    node: NodeProcess,
    node_paths: NodePaths,
    central: CentralProcess,
    proxy: FaultProxy,
    view: CentralView,
    central_setup: CentralSetup,
) -> None:
    staff = sign_in_all(node.url, central_setup.people[:6])
    assert_converged(view, node_paths)

    # 1. Central commits each batch, but its answer (the receipt) is dropped on the way back.
    proxy.set_mode("drop_response", match=BATCHES)
    before = view.count()
    recs = [check_in(node.url, s)[0] for s in staff[:3]]
    wait_for(
        lambda: proxy.stats()["events"].get("drop_response", 0) >= 1,
        20,
        "a batch answer to be dropped",
    )
    committed = view.count()
    assert committed > before  # central has the batch ...
    anchored = [r for r in node_log(node_paths) if r["type"] == "anchor"]
    assert anchored[-1]["body"]["receipt"]["seq"] < committed - 1  # ... the node has no receipt
    recs += [check_in(node.url, s)[0] for s in staff[3:]]
    wait_for(
        lambda: proxy.stats()["events"].get("drop_response", 0) >= 2,
        30,
        "a second batch answer to be dropped",
    )
    proxy.set_mode("pass")
    wait_recovered(node_paths)
    assert_converged(view, node_paths)
    checkin_refs(view, recs)

    # 2. Central SIGKILLed after committing a batch, before the node heard the answer.
    proxy.set_mode("drop_response", match=BATCHES)
    before = view.count()
    recs.append(check_in(node.url, staff[0], kind="out")[0])
    wait_for(lambda: view.count() > before, 20, "central to commit the batch")
    central.kill()
    proxy.set_mode("pass")
    central.start()
    assert view.count() > before  # the committed batch survived SIGKILL
    recs.append(check_in(node.url, staff[1], kind="out")[0])
    held = assert_converged(view, node_paths, timeout=60)
    checkin_refs(view, recs)

    # 3. A retry of records central already holds (a push whose answer was lost, sent again
    # as it was): acknowledged as duplicates, nothing stored twice, the same receipt head.
    log = node_log(node_paths)
    texts = [records.serialize(r) for r in log[len(held) - 5 : len(held)]]
    clock = {"wall_ts": format_ts(datetime.now(UTC)), "mono_us": 1}
    client = CentralClient(proxy.url, NODE, load_private_key(node_paths.key))
    try:
        answer = client.push(encode_batch(NODE, log[0]["epoch"], texts, clock))
    finally:
        client.close()
    assert (answer["accepted"], answer["duplicates"]) == (0, 5)
    receipt = verify_receipt(answer["receipt"], _central_key(node_paths))
    assert (receipt["seq"], receipt["head"]) == (held[-1][0], held[-1][1])
    assert view.held() == held and view.count() == len(held)


def _central_key(paths: NodePaths) -> Ed25519PublicKey:
    from cryptography import x509

    key = x509.load_pem_x509_certificate(paths.central.read_bytes()).public_key()
    assert isinstance(key, Ed25519PublicKey)
    return key
