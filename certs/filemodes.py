"""Private files and directories: everything the project writes under a node's or central's
data directory, and under a CA directory, is mode 0600 (files) or 0700 (directories).

The databases hold every PIN hash and the kiosk key, the key files sign records: a copy read
by another local user forges kiosk codes and check-ins. Modes are set explicitly with
``chmod``, never left to the caller's umask (022 gives 0644, 000 gives 0666); the CLIs also
set umask 077 for anything else a command creates. ``check_private`` is what every command
runs first: it refuses a key or database that group or other users can reach.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from certs._atomic import make_dirs
from certs.errors import CertError

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "PRIVATE_UMASK",
    "FileModeError",
    "check_private",
    "make_private_dir",
    "touch_private",
]

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PRIVATE_UMASK = 0o077


class FileModeError(CertError):
    """A secret file can be reached by other users; the message names the file and the fix."""


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; an existing ``path`` itself is
    set to 0700 too (it is ours: a data or CA directory)."""
    make_dirs(path, PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)


def touch_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (a database before SQLite opens
    it: SQLite creates its -wal and -shm files with the database file's mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def check_private(files: Iterable[Path]) -> None:
    """FileModeError for the first of ``files`` that exists and that group or other users
    may access at all; missing files are the caller's business."""
    for path in files:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            continue
        if stat.S_IMODE(mode) & 0o077:
            raise FileModeError(
                f"{path} can be read by other users (mode {stat.S_IMODE(mode):04o}); "
                f"run 'chmod 600 {path}' (or 'chmod -R go= {path.parent}'), and treat its "
                "secrets as possibly leaked"
            )
