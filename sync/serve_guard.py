"""Refusing to start a server that would share its port or its data directory.

Granian binds with ``SO_REUSEPORT``, so a second ``serve`` on a port already served starts
anyway and the kernel splits connections between the two (``/healthz`` alternates between two
nodes); two servers on one data directory break "one writer, one scheduler, one zeroconf".
Both apps' ``serve`` call ``lock_data_dir`` and then ``check_port_free`` before the server
starts. Standard library only: the node and central both use it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from pathlib import Path

from .errors import ServeRefused

__all__ = ["LOCK_NAME", "ServeRefused", "check_port_free", "lock_data_dir"]

LOCK_NAME = "serve.lock"


def lock_data_dir(root: Path) -> int:
    """Hold an exclusive ``flock`` on ``ROOT/serve.lock`` for the life of this process (and
    the workers it forks, which inherit it); return the descriptor. The kernel releases the
    lock when the last holder exits, SIGKILL included, so a stale file never blocks a start.
    ServeRefused naming the serving pid when another process holds it."""
    path = Path(root) / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise ServeRefused(
                f"this data directory is already being served (pid {holder}); "
                "stop that server first"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_port_free(host: str, port: int) -> None:
    """ServeRefused when nothing may listen on ``host:port``: another process listens there,
    the port needs privileges, or the address is not on this machine."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: a port left in TIME_WAIT by our own last run is free; one with a
        # listener is not (no SO_REUSEPORT here, so the kernel refuses to share it).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            probe.listen(1)
        except OverflowError:
            raise ServeRefused(f"port {port} is not a port number (1-65535)") from None
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeRefused(
                    f"port {port} is in use; stop what listens there or choose another with --port"
                ) from None
            if exc.errno == errno.EACCES:
                raise ServeRefused(
                    f"port {port} needs root; choose a port above 1023 with --port"
                ) from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise ServeRefused(f"address {host} is not on this machine; check --host") from None
            raise ServeRefused(f"cannot listen on {host}:{port} ({exc.strerror})") from None
