"""A node SIGKILLed in the middle of pushing a big backlog loses and duplicates nothing."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from local_node.datadir import NodePaths
from sync import records
from sync.chain import verify_log
from testkit.factories import CentralSetup, NodeProcess, run_cli
from testkit.faultproxy import FaultProxy
from tests.e2e.conftest import (
    CentralView,
    assert_converged,
    backlog,
    node_log,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]


def test_node_killed_mid_push_loses_and_duplicates_nothing(
    node_paths: NodePaths, view: CentralView, proxy: FaultProxy, central_setup: CentralSetup
) -> None:
    backlog(node_paths, 3000, [p["nip"] for p in central_setup.people])
    initial = view.count()
    node = NodeProcess(node_paths, scheduler=True).start()
    try:
        # The first batch of 1,000 lands; then hold central's answers 1 s per chunk in the
        # proxy, wait for central to commit the next batch, and kill the node while that
        # batch's receipt is still on its way.
        wait_for(lambda: view.count() >= initial + 1000, 30, "the first batch at central")
        proxy.set_mode("latency", delay=1.0)
        committed = view.count()
        wait_for(
            lambda: view.count() > committed, 30, "central to commit another batch", interval=0.01
        )
        node.kill()
    finally:
        node.kill()
    at_kill = view.count()
    log = node_log(node_paths)
    anchored = max(r["body"]["receipt"]["seq"] for r in log if r["type"] == "anchor")
    assert anchored < at_kill - 1, "the kill was meant to land before the node got its receipt"
    assert at_kill < len(log), "the kill was meant to land in the middle of the backlog"

    proxy.set_mode("pass")
    node = NodeProcess(node_paths, scheduler=True).start()
    try:
        held = assert_converged(view, node_paths, timeout=60)
    finally:
        node.kill()
    # Every backlog record is at central once, and both copies of the log verify as a chain.
    log = node_log(node_paths)
    assert sum(r["type"] == "checkin" for r in log[: len(held)]) == 3000
    public = x509.load_pem_x509_certificate(node_paths.cert.read_bytes()).public_key()
    assert isinstance(public, Ed25519PublicKey)
    verify_log([records.parse(text) for _, _, text in held], public)
    out = run_cli("local_node", "verify", "--data", str(node_paths.root))
    assert out.stdout.startswith(f"OK: {len(log)} records")
