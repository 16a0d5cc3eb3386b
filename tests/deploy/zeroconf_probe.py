"""Announce a node with zeroconf and find it again, the way ``presensi-node serve`` does
(every interface: ifaddr lists them over netlink, multicast on each). Prints FOUND or
NOTFOUND; run by tests/deploy/test_service_sandbox.py inside the node unit's filter."""

from __future__ import annotations

from local_node.discovery import announce, browse

if __name__ == "__main__":
    handle = announce("kec-probe", 8443, "0.1.0", "cd" * 32)
    try:
        found = browse(2.0)
    finally:
        handle.close()
    print("FOUND" if any(f["node"] == "kec-probe" for f in found) else f"NOTFOUND {found}")
