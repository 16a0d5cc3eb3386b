"""``presensi-central ca rotate|list|retire`` and ``key rotate``: central/rotation.py from the
command line. Run them with central stopped; start it again afterwards."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .datadir import CentralPaths


def _identity(args: argparse.Namespace) -> Any:
    from .database import is_created, open_store
    from .identity import load_identity

    paths = CentralPaths(Path(args.data))
    store = open_store(paths) if is_created(paths) else None
    try:
        return load_identity(paths, store)
    finally:
        if store is not None:
            store.close()


def _resign_roster(args: argparse.Namespace) -> int | None:
    from certs.keys import load_private_key

    from .database import is_created, open_store
    from .errors import CentralError
    from .identity import load_identity
    from .rotation import resign_roster

    paths = CentralPaths(Path(args.data))
    if not is_created(paths):
        load_identity(paths, None)  # raises: says to run init
        raise CentralError(f"{paths.root} is not a central data directory")
    store = open_store(paths)
    try:
        identity = load_identity(paths, store)  # checks the new key and certificate agree
        return resign_roster(store, identity.name, load_private_key(paths.key), time.time())
    finally:
        store.close()


def cmd_ca_rotate(args: argparse.Namespace) -> int:
    from .rotation import rotate_ca

    identity = _identity(args)
    old, new, kept = rotate_ca(identity.paths, identity)
    print(
        f"New district CA {new[:16]} issues every certificate from now on; the old CA "
        f"{old[:16]} is kept in {kept} and still trusted.\n"
        f"Start central again. When every node has enrolled again under the new CA:\n"
        f"  presensi-central ca retire --data {args.data} --ca {old[:16]}"
    )
    return 0


def cmd_ca_list(args: argparse.Namespace) -> int:
    from .rotation import list_cas

    for row in list_cas(CentralPaths(Path(args.data))):
        print(f"{row['state']:<9} {row['sha256']}  {row['dir']}")
    return 0


def cmd_ca_retire(args: argparse.Namespace) -> int:
    from .rotation import retire_ca

    target = retire_ca(CentralPaths(Path(args.data)), args.ca)
    print(
        f"Retired: nodes with certificates of that CA are refused from the next start ({target})."
    )
    return 0


def cmd_key_rotate(args: argparse.Namespace) -> int:
    from sync.keyannounce import raw_key

    from .rotation import rotate_key

    identity = _identity(args)
    doc = rotate_key(identity.paths, identity)
    version = _resign_roster(args)
    print(
        f"New receipt key {doc['new_key']} (was {raw_key(identity.public_key)}), announced "
        "in certs/central-keys.json under the old key's signature"
        + (f"; roster signed again as version {version}" if version else "")
        + ". Start central again; nodes switch at their next push."
    )
    return 0


def add_rotation_commands(sub: Any, data_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``ca`` and ``key`` on ``presensi-central``'s subparsers."""
    p = sub.add_parser("ca", help="district CA rotation: rotate, list, retire")
    csub = p.add_subparsers(dest="ca_command", required=True)
    c = csub.add_parser("rotate", help="make a new CA; keep trusting the old one")
    data_arg(c)
    c.set_defaults(func=cmd_ca_rotate)
    c = csub.add_parser("list", help="the current, previous and retired CAs")
    data_arg(c)
    c.set_defaults(func=cmd_ca_list)
    c = csub.add_parser("retire", help="stop trusting a previous CA")
    data_arg(c)
    c.add_argument("--ca", required=True, help="the start of its SHA-256 fingerprint")
    c.set_defaults(func=cmd_ca_retire)

    p = sub.add_parser("key", help="central's receipt key")
    ksub = p.add_subparsers(dest="key_command", required=True)
    k = ksub.add_parser("rotate", help="new receipt key, announced under the old key")
    data_arg(k)
    k.set_defaults(func=cmd_key_rotate)
