"""Run a command the way a unit in scripts/systemd would, as far as that goes without systemd
as PID 1: the unit's system-call filter and address families through libseccomp (the library
systemd uses for them, expanded with ``systemd-analyze syscall-filter``), no_new_privs, no
capabilities, an unprivileged user and the unit's umask.

    python -m tests.deploy.sandbox UNIT USER -- COMMAND ARGS...

Not reproduced here: the mount namespace settings (ProtectSystem, PrivateTmp, ...) and
PrivateUsers, which need systemd's own setup. The filter is what can break a service at run
time in ways a configuration check cannot see, so that is what this reproduces.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import pwd
import re
import socket
import subprocess
import sys
from functools import cache
from pathlib import Path

_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_CMP_EQ = 4
_SCMP_CMP_MASKED_EQ = 7
_PROT_WRITE_EXEC = 0x2 | 0x4


def _act_errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def unit_settings(unit: Path) -> dict[str, list[str]]:
    """Every ``Key=value`` of the unit's [Service] section, values in order."""
    settings: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        match = re.match(r"^([A-Za-z]+)=(.*)$", line.strip())
        if match:
            settings.setdefault(match.group(1), []).append(match.group(2).strip())
    return settings


@cache
def expand(group: str) -> frozenset[str]:
    """The system calls of ``@group`` (nested groups expanded), or the call itself."""
    if not group.startswith("@"):
        return frozenset({group})
    out = subprocess.run(
        ["systemd-analyze", "syscall-filter", group], capture_output=True, text=True, check=True
    ).stdout
    names: set[str] = set()
    for line in out.splitlines()[1:]:
        item = line.strip()
        if item and not item.startswith("#"):
            names |= expand(item)
    return frozenset(names)


def allowed_syscalls(settings: dict[str, list[str]]) -> set[str]:
    allowed: set[str] = set()
    for value in settings.get("SystemCallFilter", []):
        deny = value.startswith("~")
        names = set().union(*(expand(item) for item in value.lstrip("~").split()))
        allowed = allowed - names if deny else allowed | names
    return allowed


def address_families(settings: dict[str, list[str]]) -> list[int]:
    families = []
    for value in settings.get("RestrictAddressFamilies", []):
        families += [int(getattr(socket, name)) for name in value.split()]
    return families


def apply(settings: dict[str, list[str]]) -> None:
    """Load the unit's filter into this process (inherited by what it executes)."""
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    error = getattr(errno, settings.get("SystemCallErrorNumber", ["EPERM"])[-1])
    ctx = lib.seccomp_init(_act_errno(error))
    assert ctx, "seccomp_init failed"
    families = address_families(settings)
    for name in sorted(allowed_syscalls(settings)):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:
            continue  # not a system call of this architecture
        if name in ("socket", "socketpair") and families:
            for family in families:
                cmp = (_ArgCmp * 1)(_ArgCmp(0, _SCMP_CMP_EQ, family, 0))
                assert lib.seccomp_rule_add_array(ctx, _SCMP_ACT_ALLOW, nr, 1, cmp) == 0
            continue
        assert lib.seccomp_rule_add_array(ctx, _SCMP_ACT_ALLOW, nr, 0, None) == 0, name
    if settings.get("MemoryDenyWriteExecute", ["no"])[-1] == "yes":
        _deny_write_execute(lib)  # first: the allow-list below has no seccomp() call
    assert lib.seccomp_load(ctx) == 0, "seccomp_load failed"


def _deny_write_execute(lib: ctypes.CDLL) -> None:
    """MemoryDenyWriteExecute=yes as systemd does it: a second filter (the kernel applies
    the stricter answer) refusing mappings that are writable and executable at once."""
    ctx = lib.seccomp_init(_SCMP_ACT_ALLOW)
    for name, arg in (("mmap", 2), ("mprotect", 2), ("pkey_mprotect", 2)):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        cmp = (_ArgCmp * 1)(_ArgCmp(arg, _SCMP_CMP_MASKED_EQ, _PROT_WRITE_EXEC, _PROT_WRITE_EXEC))
        assert lib.seccomp_rule_add_array(ctx, _act_errno(errno.EPERM), nr, 1, cmp) == 0
    assert lib.seccomp_load(ctx) == 0, "seccomp_load failed"


def drop_to(user: str, umask: int) -> None:
    """The unit's User= (no supplementary groups, no capabilities) and UMask=."""
    entry = pwd.getpwnam(user)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)  # from root: every capability set is emptied as well
    os.umask(umask)


def main(argv: list[str]) -> None:
    unit, user, sep, *command = argv
    assert sep == "--" and command, __doc__
    settings = unit_settings(Path(unit))
    drop_to(user, int(settings.get("UMask", ["0022"])[-1], 8))
    apply(settings)  # libseccomp sets no_new_privs before loading the filter
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
