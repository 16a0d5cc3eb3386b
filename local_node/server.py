"""Running the node under its production server.

Granian (a Rust HTTP server with a WSGI interface) runs one worker process with a pool of
request threads; measured on the 2-core reference machine it answers a no-op JSON POST about
2.5x faster than waitress and 3x faster than cheroot (docs/serving.md). One worker keeps the
"one writer, one scheduler, one zeroconf" rule: everything lives in that worker process.
"""

from __future__ import annotations

import os

from granian import Granian
from granian.constants import Interfaces

from sync.serve_guard import ServeRefused, check_port_free, lock_data_dir

from .datadir import NodePaths
from .errors import IdentityError


def _check_and_migrate_in_child(paths: NodePaths) -> None:
    """Check the key and certificates and migrate the database, in a forked child.

    This process supervises granian for as long as the service runs and needs neither again:
    loading cryptography's certificate code and sqlite_utils here would keep about 25 MB
    resident for nothing (docs/performance.md, eighth round). Forked before any thread starts.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report on the pipe, exit without the parent's cleanups
        os.close(read_fd)
        message = b""
        try:
            from .identity import load_identity, node_name
            from .store import Store

            load_identity(paths, node_name(paths))
            Store(paths.db).migrate()
        except IdentityError as exc:
            message = str(exc).encode()
        except BaseException as exc:
            message = f"cannot check the node's identity: {exc!r}".encode()
        os.write(write_fd, message or b"ok")
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        message = pipe.read()
    os.waitpid(pid, 0)
    if message != b"ok":
        raise IdentityError(message.decode(errors="replace") or "the identity check died")


def serve(
    paths: NodePaths,
    *,
    host: str,
    port: int,
    threads: int = 64,
    tls: bool = False,
    scheduler: bool = True,
    zeroconf: bool = True,
) -> int:
    """Check the identity here (clear message, exit 2), then hand over to granian."""
    if not paths.root.is_dir():
        raise IdentityError(f"{paths.root} is not a node data directory; run presensi-node init")
    try:
        # Held until this process and the workers it forks exit (sync/serve_guard.py).
        lock_data_dir(paths.root)
        check_port_free(host, port)
    except ServeRefused as exc:
        raise IdentityError(str(exc)) from exc
    _check_and_migrate_in_child(paths)
    if tls and not (paths.tls_cert.exists() and paths.tls_key.exists()):
        raise IdentityError(f"--tls needs {paths.tls_cert} and {paths.tls_key}")
    os.environ["PRESENSI_NODE_DATA"] = str(paths.root.resolve())
    os.environ["PRESENSI_NODE_PORT"] = str(port)
    os.environ["PRESENSI_NODE_SCHEDULER"] = "1" if scheduler else "0"
    os.environ["PRESENSI_NODE_ZEROCONF"] = "1" if zeroconf else "0"
    print(
        f"event=serve node_data={paths.root} url=http{'s' if tls else ''}://{host}:{port}/",
        flush=True,
    )
    Granian(
        "local_node.wsgi:serving_app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=threads,
        backlog=2048,
        factory=True,
        log_access=False,
        ssl_cert=paths.tls_cert if tls else None,
        ssl_key=paths.tls_key if tls else None,
    ).serve()
    return 0
