"""Length-prefixed frames over a pipe: how the server and its log writer process talk.

Each frame is a 4-byte little-endian length and a pickle (both ends are this code, started by
the server: the child reads only what its parent wrote). The sender writes with libc's write
while keeping the GIL (see ``send``); the reader takes every frame that has arrived at once, so
the log writer process can group-commit them.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import pickle
import select
import struct

_LEN = struct.Struct("<I")
PIPE_BYTES = 1 << 20


class Frames:
    """Length-prefixed frames from a pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buf = bytearray()

    def read(self) -> list[bytes] | None:
        """Every complete frame that has arrived, waiting for at least one; None at the end."""
        while True:
            frames, pos, buf = [], 0, self._buf
            while len(buf) - pos >= _LEN.size:
                (size,) = _LEN.unpack_from(buf, pos)
                if len(buf) - pos - _LEN.size < size:
                    break
                frames.append(bytes(buf[pos + _LEN.size : pos + _LEN.size + size]))
                pos += _LEN.size + size
            del buf[:pos]
            if frames:
                return frames
            chunk = os.read(self.fd, PIPE_BYTES)
            if not chunk:
                return None
            buf += chunk


def frame(obj: object) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _LEN.pack(len(data)) + data


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write everything to a pipe, waiting (GIL released) whenever it is full."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            select.select([], [fd], [])


# libc's write through PyDLL, which keeps the GIL during the call. os.write releases it, and
# under load taking it back queues behind the request threads: one more wait per check-in.
# A frame of a few hundred bytes into a pipe with room returns at once (eighth round: 1.19x).
_libc = ctypes.PyDLL(None, use_errno=True)
_libc_write = _libc.write
_libc_write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
_libc_write.restype = ctypes.c_ssize_t


def send(fd: int, data: bytes) -> None:
    """Write a frame to the child's non-blocking input pipe."""
    done = _libc_write(fd, data, len(data))
    if done == len(data):
        return
    if done < 0:
        code = ctypes.get_errno()
        if code not in (errno.EAGAIN, errno.EINTR):
            raise OSError(code, os.strerror(code))
        done = 0
    write_all(fd, memoryview(data)[done:])  # the pipe is full: the child is behind


def grow_pipe(fd: int) -> None:
    # Room for a burst of frames and answers; the default 64 KiB would make senders wait.
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:
        pass  # above /proc/sys/fs/pipe-max-size: the default size still works
