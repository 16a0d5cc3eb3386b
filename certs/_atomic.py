"""Atomic file writes: a reader sees the old file or the complete new one, never a partial one.

Each write goes to a temporary file in the target's directory (created with its final mode, so
secret bytes are never readable by others, not even for a moment), is flushed to disk, and is
then moved into place. ``create_file`` refuses to replace an existing file, even one created by
a concurrent process; ``replace_file`` replaces it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def make_dirs(directory: Path, mode: int) -> None:
    """Create ``directory`` and any missing parents with ``mode``; existing ones are untouched."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            continue  # created concurrently by someone else: leave its mode alone
        os.chmod(path, mode)  # mkdir's mode is filtered by the umask; be exact


def _write_temp(path: Path, data: bytes, mode: int) -> Path:
    """Write ``data`` to a new temporary file next to ``path`` and return its path."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # os.open's mode is filtered by the umask; be exact
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return temp


def _sync_dir(directory: Path) -> None:
    """Flush a directory entry change (rename, link) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(path: Path, data: bytes, mode: int) -> None:
    """Atomically write ``data`` to ``path`` with ``mode``, replacing any existing file."""
    make_dirs(path.parent, 0o700)
    temp = _write_temp(path, data, mode)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _sync_dir(path.parent)


def create_file(path: Path, data: bytes, mode: int, dir_mode: int = 0o700) -> None:
    """Atomically create ``path`` holding ``data``; raise ``FileExistsError`` if it exists.

    ``os.link`` fails when the target exists, which makes "never overwrite" hold even against
    a concurrent writer, unlike a check followed by ``os.replace``.
    """
    make_dirs(path.parent, dir_mode)
    temp = _write_temp(path, data, mode)
    try:
        os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    _sync_dir(path.parent)
