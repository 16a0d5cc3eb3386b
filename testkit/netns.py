"""Linux network namespaces for tests that need a LAN of their own: two nodes announcing the
same name over multicast, a central on port 80, host names that resolve only inside.

Needs root and ``ip`` (iproute2). Each namespace has its own loopback and ports, so a test can
bind port 80 or announce on zeroconf without touching the machine's real network or another
test. ``ip netns exec`` bind-mounts ``/etc/netns/NAME/hosts`` over ``/etc/hosts`` for what runs
inside, which gives each namespace its own host names.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ETC = Path("/etc/netns")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


class Namespace:
    """A network namespace with loopback up; ``close()`` removes it and its hosts file."""

    def __init__(self, hosts: dict[str, str] | None = None) -> None:
        self.name = f"presensi-t{os.getpid() % 10000}-{secrets.token_hex(3)}"
        _ip("netns", "add", self.name)
        _ip("-n", self.name, "link", "set", "lo", "up")
        # Multicast (zeroconf) needs a route for 224.0.0.0/4 on some interface.
        if hosts:
            (ETC / self.name).mkdir(parents=True, exist_ok=True)
            (ETC / self.name / "hosts").write_text(
                "".join(f"{addr} {name}\n" for name, addr in hosts.items()), encoding="ascii"
            )

    def command(self, args: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *args]

    def run(self, args: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("timeout", 120)
        kwargs.setdefault("env", dict(os.environ))
        return subprocess.run(self.command(args), **kwargs)

    def popen(self, args: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        # Popen[bytes] or Popen[str], as ``text`` in ``kwargs`` asks.
        kwargs.setdefault("env", dict(os.environ))
        kwargs.setdefault("start_new_session", True)
        return subprocess.Popen(self.command(args), **kwargs)

    def answers(self, url: str) -> bool:
        """Whether ``url`` answers HTTP at all from inside the namespace (any status)."""
        probe = (
            "import sys, urllib.request, urllib.error\n"
            "try:\n urllib.request.urlopen(sys.argv[1], timeout=2)\n"
            "except urllib.error.HTTPError:\n pass\n"
            "except OSError:\n sys.exit(1)\n"
        )
        return self.run([sys.executable, "-c", probe, url], timeout=30).returncode == 0

    def close(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30)
        shutil.rmtree(ETC / self.name, ignore_errors=True)


def link(a: Namespace, a_addr: str, b: Namespace, b_addr: str) -> None:
    """A veth cable between ``a`` and ``b`` (addresses in CIDR form, e.g. 10.77.0.1/24),
    with a multicast route so zeroconf's 224.0.0.251 goes over it."""
    tag = secrets.token_hex(3)
    left, right = f"vpa{tag}", f"vpb{tag}"
    _ip("link", "add", left, "type", "veth", "peer", "name", right)
    for ns, dev, addr in ((a, left, a_addr), (b, right, b_addr)):
        _ip("link", "set", dev, "netns", ns.name)
        _ip("-n", ns.name, "addr", "add", addr, "dev", dev)
        _ip("-n", ns.name, "link", "set", dev, "up", "multicast", "on")
        _ip("-n", ns.name, "route", "add", "224.0.0.0/4", "dev", dev)
        # The default route makes the node's "which address do I announce" probe pick the veth.
        _ip("-n", ns.name, "route", "add", "default", "dev", dev)


@contextmanager
def namespaces(count: int, hosts: dict[str, str] | None = None) -> Iterator[list[Namespace]]:
    made: list[Namespace] = []
    try:
        for _ in range(count):
            made.append(Namespace(hosts))
        yield made
    finally:
        for ns in made:
            ns.close()
