"""The database parts of ``presensi-central``: ``--database`` and ``migrate``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from .errors import CentralError


def add_database_option(p: argparse.ArgumentParser, *, read: bool = True) -> None:
    p.add_argument(
        "--database",
        default=os.environ.get("PRESENSI_DATABASE_URL") or None,
        help="postgresql://USER[:PASSWORD]@HOST[:PORT]/DB (or PRESENSI_DATABASE_URL);"
        " init records it, the password in DATA/database.password."
        " Default: SQLite in DATA/central.db",
    )
    if read:
        p.add_argument(
            "--read-database",
            default=os.environ.get("PRESENSI_READ_DATABASE_URL") or None,
            help="a read replica (postgresql://...) for reports and the dashboard"
            " (or PRESENSI_READ_DATABASE_URL); init records it",
        )


def cmd_migrate(args: argparse.Namespace) -> int:
    from .config import load_config
    from .database import describe, is_created, open_store
    from .datadir import CentralPaths

    paths = CentralPaths(Path(args.data))
    config = load_config(paths.root, {"DATABASE_URL": args.database})
    if not is_created(paths, config):
        raise CentralError(
            f"{describe(paths, config)} does not exist; run "
            f"'presensi-central init --data {paths.root}' first"
        )
    store = open_store(paths, config)
    try:
        applied = store.migrate()
    finally:
        store.close()
    for name in applied:
        print(f"applied {name}")
    print(f"{describe(paths, config)}: schema up to date ({len(applied)} migration(s) applied).")
    return 0


def add_migrate_command(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    data_arg: Callable[[argparse.ArgumentParser], None],
) -> None:
    p = sub.add_parser("migrate", help="apply pending schema migrations (serve does too)")
    data_arg(p)
    add_database_option(p, read=False)
    p.set_defaults(func=cmd_migrate)
