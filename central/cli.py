"""``presensi-central``: the district official's command line (docs/contract.md section 2).

The CLI only reads options, calls plain functions and turns known errors into a message on
stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from certs.errors import CertError
from certs.filemodes import PRIVATE_UMASK, check_private
from sync.errors import ProtocolError, RosterFileError

from .account_cli import add_account_commands
from .datadir import CentralPaths
from .dbcli import add_database_option, add_migrate_command
from .errors import CentralError
from .recap_cli import add_recap_commands
from .rotation_cli import add_rotation_commands
from .trust_cli import add_trust_commands


def _paths(args: argparse.Namespace) -> CentralPaths:
    return CentralPaths(Path(args.data))


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The store and identity of an initialised data directory."""
    from .database import describe, is_created, open_store
    from .identity import load_identity

    paths = _paths(args)
    if not is_created(paths):
        raise CentralError(
            f"{describe(paths)} does not exist; run "
            f"'presensi-central init --data {paths.root}' first"
        )
    store = open_store(paths)
    try:
        store.migrate()
        return store, load_identity(paths, store)
    except BaseException:
        store.close()
        raise


def cmd_init(args: argparse.Namespace) -> int:
    from .identity import init_central

    paths = _paths(args)
    if args.database:
        from .database import record_database

        print(f"database {record_database(paths, args.database)}")
    if args.read_database:
        from .database import record_database

        print(f"read database {record_database(paths, args.read_database, read=True)}")
    created = init_central(paths, args.name)
    for item in created:
        print(f"created {item}")
    if not created:
        print(f"{paths.root} was already initialised; nothing changed.")
    print(
        f"Central {args.name} ready in {paths.root}.\n"
        f"Next: presensi-central node add --data {paths.root} --name kec-alalak\n"
        f"      presensi-central serve --data {paths.root}"
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import serve

    return serve(
        _paths(args),
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        database=args.database,
        read_database=args.read_database,
        trusted_proxy=args.trusted_proxy,
    )


def cmd_node_add(args: argparse.Namespace) -> int:
    from .config import load_config
    from .enrollment import create_enroll_token

    store, _ = _open(args)
    hours = float(load_config(_paths(args).root)["ENROLL_TOKEN_HOURS"])
    try:
        existing = store.node(args.name)
        if existing is not None and existing.status == "active" and not args.rotate:
            # A new token lets whoever holds it enroll a new key under this name and start a
            # new log: never by accident for a node that is working.
            print(
                f"error: node {args.name} is active (enrolled, syncing); a new token would "
                "let a new key replace it. If that is what you want (a new mini-PC, a lost "
                f"key), run: presensi-central node add --data {args.data} --name {args.name} "
                "--rotate",
                file=sys.stderr,
            )
            return 2
        token = create_enroll_token(store, args.name, now=time.time(), hours=hours)
    finally:
        store.close()
    print(token)
    print(
        f"One-time enrollment token for {args.name}, valid for {hours:g} hours. On the node:\n"
        f"  presensi-node init --data DIR --central URL --token {token}",
        file=sys.stderr,
    )
    return 0


def cmd_node_revoke(args: argparse.Namespace) -> int:
    from .rotation import revoke_everywhere

    store, identity = _open(args)
    try:
        revoke_everywhere(identity.paths, args.name)
        if store.node(args.name) is not None:
            store.set_status(args.name, "revoked")
        store.add_alert(
            args.name, "revoked", "node certificate revoked by an official", time.time()
        )
    finally:
        store.close()
    print(
        f"Revoked every certificate of {args.name}; {identity.paths.crl} updated. Central "
        "refuses its requests from now on."
    )
    return 0


def cmd_roster_import(args: argparse.Namespace) -> int:
    from .roster import default_slips_path, import_roster

    source = Path(args.file)
    data = source.read_bytes()
    slips = Path(args.slips) if args.slips else default_slips_path(source)
    store, identity = _open(args)
    try:
        result = import_roster(store, identity, data, slips=slips, now=time.time())
    finally:
        store.close()
    print(
        f"Roster version {result.version}: {result.count} employees "
        f"({result.generated} new PINs generated, {result.kept} kept their PIN)."
    )
    if result.slips:
        print(f"PIN slips for the units: {result.slips} (mode 0600; hand out, then delete).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="presensi-central", description="Smart Presensi central server"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    env_data = os.environ.get("PRESENSI_DATA")

    def data_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data",
            required=env_data is None,
            default=env_data,
            help="central data directory (or PRESENSI_DATA)",
        )

    p = sub.add_parser("init", help="create the database, CA (unless present), key and cert")
    data_arg(p)
    p.add_argument("--name", default="central-batola", help="central id (default central-batola)")
    add_database_option(p)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="serve the API and dashboard")
    data_arg(p)
    p.add_argument("--host", default=os.environ.get("PRESENSI_HOST", "0.0.0.0"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PRESENSI_PORT", "8443")))
    p.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("PRESENSI_WORKERS", "2")),
        help="worker processes (all safe together)",
    )
    p.add_argument("--threads", type=int, default=16, help="request threads per worker")
    add_database_option(p)
    p.add_argument(
        "--trusted-proxy",
        default=os.environ.get("PRESENSI_TRUSTED_PROXY"),
        metavar="ADDR",
        help="honour X-Forwarded-For/-Proto only from this "
        "reverse proxy address (TLS in front of central)",
    )
    p.set_defaults(func=cmd_serve)
    add_migrate_command(sub, data_arg)

    p = sub.add_parser("node", help="node commands")
    nsub = p.add_subparsers(dest="node_command", required=True)
    n = nsub.add_parser("add", help="register a node; prints a one-time enrollment token")
    data_arg(n)
    n.add_argument("--name", required=True, help="node id, e.g. kec-alalak")
    n.add_argument(
        "--rotate",
        action="store_true",
        help="issue a new token for a node that is already active (re-enrollment)",
    )
    n.set_defaults(func=cmd_node_add)
    n = nsub.add_parser("revoke", help="revoke a node's certificates")
    data_arg(n)
    n.add_argument("--name", required=True)
    n.set_defaults(func=cmd_node_revoke)

    p = sub.add_parser("roster", help="roster commands")
    rsub = p.add_subparsers(dest="roster_command", required=True)
    r = rsub.add_parser("import", help="import a CSV with header nip,name,unit,role,pin[,node]")
    data_arg(r)
    r.add_argument("file")
    r.add_argument("--slips", help="where to write generated PINs (default FILE.slips.csv)")
    r.set_defaults(func=cmd_roster_import)

    add_account_commands(sub, data_arg)
    add_trust_commands(sub, data_arg, _open)
    add_rotation_commands(sub, data_arg)
    add_recap_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.umask(PRIVATE_UMASK)  # whatever a command creates is private (certs/filemodes.py)
    try:
        if getattr(args, "data", None) and args.command != "init":
            check_private(CentralPaths(Path(args.data)).secret_files)
        return int(args.func(args))
    except RosterFileError as exc:
        print(
            f"error: roster file refused, {len(exc.problems)} problem(s), nothing imported:",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except (CentralError, CertError, ProtocolError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
