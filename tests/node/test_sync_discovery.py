"""Zeroconf: announce a node and find it again (multicast on loopback)."""

from __future__ import annotations

import secrets

import pytest

from local_node.discovery import announce, browse


@pytest.mark.slow
def test_announce_and_browse_on_loopback() -> None:
    # A name of its own: other processes on this machine may announce kec-alalak on loopback
    # (and this node would then, rightly, announce itself as kec-alalak-2).
    name = f"kec-t{secrets.token_hex(4)}"
    handle = announce(
        name, 8443, "0.1.0", "ab" * 32, addresses=["127.0.0.1"], interfaces=["127.0.0.1"]
    )
    try:
        found = browse(2.0, interfaces=["127.0.0.1"])
    finally:
        handle.close()
    assert {
        "node": name,
        "instance": name,
        "host": f"presensi-{name}.local",
        "address": "127.0.0.1",
        "port": 8443,
        "version": "0.1.0",
        "fingerprint": "ab" * 32,
    } in found
    handle.close()  # closing twice is harmless
