"""Name conflicts are seen when another zeroconf stack shares the prober's port 5353.

Two nodes on one machine (or ``discover`` beside ``serve``) share ``<address>:5353`` through
SO_REUSEPORT, and the kernel hands each unicast datagram to just one socket of the group. A
node that owns the name answers a unicast-response (QU) probe by unicast only, so the prober
missed the conflict whenever the kernel picked the other stack, and two devices announced
the same name (test_lan_discovery_netns failed about half the time). Here a bystander socket
steers every unicast datagram to itself (a reuseport BPF program), the worst case the kernel
can pick; the prober must still hear the owner and take ``kec-alalak-2``.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest

from testkit.factories import PY, REPO
from testkit.netns import Namespace, link, namespaces

pytestmark = pytest.mark.slow

A, B = "10.77.0.1", "10.77.0.2"

ANNOUNCE = """
import sys, time
from local_node.discovery import announce
announcement = announce(sys.argv[1], 8080, "0.1.0", "f" * 64)
print(announcement.name, flush=True)
time.sleep(60)
"""

# Binds B:5353 first and attaches a classic BPF program "return 0" to the reuseport group:
# every unicast datagram to B:5353 goes to this socket, which never reads it.
BYSTANDER = """
import ctypes, socket, struct, sys, time
SO_ATTACH_REUSEPORT_CBPF = 51
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind((sys.argv[1], 5353))
ret_0 = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0))  # BPF_RET|BPF_K 0
s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF,
             struct.pack("HxxxxxxQ", 1, ctypes.addressof(ret_0)))
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def lan() -> Iterator[tuple[Namespace, Namespace]]:
    with namespaces(2) as (a, b):
        link(a, f"{A}/24", b, f"{B}/24")
        yield a, b


def _start(ns: Namespace, args: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = ns.popen(
        [PY, "-c", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def test_probe_hears_the_owner_when_another_stack_gets_the_unicast(
    lan: tuple[Namespace, Namespace],
) -> None:
    office_a, office_b = lan
    procs: list[subprocess.Popen[str]] = []
    try:
        owner, name = _start(office_a, [ANNOUNCE, "kec-alalak"])
        procs.append(owner)
        assert name == "kec-alalak"
        bystander, ready = _start(office_b, [BYSTANDER, B])
        procs.append(bystander)
        assert ready == "ready"
        twin, name = _start(office_b, [ANNOUNCE, "kec-alalak"])
        procs.append(twin)
        assert name == "kec-alalak-2"
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            if proc.stdout is not None:
                proc.stdout.close()
