"""Messages a person reads from ``presensi-node``: each says what went wrong and what to do.

No traceback and no raw exception text reaches the terminal for the mistakes a local admin
makes (docs/local-admin.md): a wrong ``--data`` path, a bad port, a closed pipe, an
unreachable central, a file owned by the service's user. Every such message is one line that
starts with ``error:``; the command exits 2.
"""

from __future__ import annotations

import argparse
import errno
import os
import pwd
import socket
import sys
from pathlib import Path
from typing import NoReturn

from .datadir import NodePaths
from .errors import NodeError

# The user the systemd unit runs the node as (scripts/systemd/presensi-node.service).
SERVICE_USER = "presensi"


class CliError(NodeError):
    """A mistake on the command line or in its surroundings, with what to do about it."""


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one ``error:`` line naming the help to read."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


def port_number(text: str) -> int:
    """An argparse type: a TCP port 1-65535, with a message that says so."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port number; give one from 1 to 65535, e.g. 8080"
        ) from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{port} is not a port number; give one from 1 to 65535, e.g. 8080"
        )
    return port


def owner_name(path: Path) -> str:
    """The user name owning ``path`` (its uid when the system does not know it)."""
    uid = path.stat().st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _me() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def run_as_hint(user: str) -> str:
    """How to run the same command as ``user``."""
    argv = " ".join(["presensi-node", *sys.argv[1:]])
    return f"runuser -u {user} -- {argv}  (or: sudo -u {user} {argv})"


def refuse_file_as_dir(root: Path) -> None:
    """CliError when ``--data`` names a file: said before any command tries to write in it."""
    if root.exists() and not root.is_dir():
        raise CliError(
            f"{root} is a file where a folder is needed: check the path, or choose another --data"
        )


def require_node_dir(paths: NodePaths) -> None:
    """CliError unless ``paths`` is a node data directory (the same words for every command)."""
    if not paths.db.exists():
        raise CliError(
            f"{paths.root} is not a node data directory (no node.db there): check --data, "
            "or create the node with presensi-node init"
        )


def check_owner(paths: NodePaths) -> None:
    """Refuse to run as root in a data directory the service's user owns.

    Root could write there, but the database files it creates (``node.db-wal``) would then
    belong to root, and the service (running as its own user) could no longer write its log.
    """
    if os.geteuid() != 0 or not paths.root.exists():
        return
    owner = owner_name(paths.root)
    if owner != "root":
        raise CliError(
            f"{paths.root} belongs to user {owner}, the user the service runs as; "
            f"run the command as that user: {run_as_hint(owner)}"
        )


def permission_message(exc: PermissionError) -> str:
    """A PermissionError as one line naming the file's owner and the command to use."""
    name = exc.filename or "a file"
    try:
        owner = owner_name(Path(name)) if exc.filename else SERVICE_USER
    except OSError:
        owner = SERVICE_USER
    if owner == _me():
        return f"cannot open {name}: permission denied (check its mode, e.g. ls -l {name})"
    return (
        f"cannot open {name}: it belongs to user {owner} (the service runs as "
        f"{SERVICE_USER}) and this command runs as {_me()}; run it as that user: "
        f"{run_as_hint(owner)}"
    )


def os_error_message(exc: OSError) -> str:
    """An OSError as one line a person can act on."""
    if isinstance(exc, PermissionError):
        return permission_message(exc)
    if exc.errno == errno.ENOENT and exc.filename:
        return f"{exc.filename} does not exist: check the path"
    if exc.errno in (errno.EEXIST, errno.ENOTDIR) and exc.filename:
        return (
            f"{exc.filename} is a file where a folder is needed: check the path, or "
            "choose another --data"
        )
    if exc.errno == errno.ENOSPC:
        return "the disk is full: free some space (df -h) and run the command again"
    text = exc.strerror or str(exc)
    return f"{exc.filename}: {text}" if exc.filename else text


def check_listen(host: str, port: int) -> None:
    """Bind ``host:port`` once to learn, before the server starts, whether it can listen."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except PermissionError:
        raise CliError(
            f"cannot listen on port {port}: ports below 1024 need root; use the "
            "default --port 8080 (or put nginx in front, docs/serving.md)"
        ) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CliError(
                f"port {port} is in use (on {host}, by another program): stop "
                f"it (ss -ltnp 'sport = :{port}' shows which) or choose another "
                "port with --port"
            ) from None
        if exc.errno in (errno.EADDRNOTAVAIL, socket.EAI_NONAME):
            raise CliError(
                f"{host} is not an address of this machine: use --host 0.0.0.0 "
                "(every address) or one that ip -brief addr lists"
            ) from None
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except socket.gaierror:
        raise CliError(
            f"{host} is not an address of this machine: use --host 0.0.0.0 "
            "(every address) or one that ip -brief addr lists"
        ) from None


def quiet_broken_pipe() -> int:
    """The reader of our output went away (``status --json | head``): stop quietly.

    Python would print a traceback while flushing stdout at exit; point stdout at
    /dev/null instead, as a Unix tool that got SIGPIPE would simply end.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


def likely_cause(exc: BaseException) -> str:
    """Why a request to central found no answer, in words, from the chained exception."""
    text = ""
    seen: BaseException | None = exc
    while seen is not None:
        text += f" {type(seen).__name__} {seen}"
        seen = seen.__cause__ or seen.__context__
    lowered = text.lower()
    if "refused" in lowered:
        return (
            "nothing answers at that address and port: is central running, and are the "
            "address and port right?"
        )
    if (
        "name or service not known" in lowered
        or "nameresolution" in lowered
        or "temporary failure in name resolution" in lowered
    ):
        return "the name does not resolve: check the spelling and the office's DNS"
    if "timeout" in lowered or "timed out" in lowered:
        return "no answer in time: check the WAN link and any firewall between here and central"
    if "ssl" in lowered or "certificate" in lowered:
        return (
            "the HTTPS certificate is not trusted: check the URL, or use the offline "
            "enrollment (docs/local-admin.md)"
        )
    if "unreachable" in lowered:
        return "the network is unreachable: check this machine's network link and gateway"
    return "the network between here and central is down or blocked"


def database_message(paths: NodePaths, exc: Exception) -> str:
    """A SQLite error as one line; a database this user cannot write names its owner."""
    for path in (paths.root, paths.db, Path(str(paths.db) + "-wal")):
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            return permission_message(PermissionError(13, "Permission denied", str(path)))
    if isinstance(exc, NodeError):  # already says what happened (disk full, target exists)
        return " ".join(str(exc).split())
    return f"the database {paths.db} cannot be used ({exc}); check the disk (df -h)"
