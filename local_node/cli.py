"""``presensi-node``: the local admin's command line (docs/contract.md section 2, Contract).

The CLI only reads options, calls plain functions and turns known errors into a message on
stderr with exit status 2 (verify failures exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from certs.errors import CertError
from certs.filemodes import PRIVATE_UMASK, check_private
from sync.errors import ProtocolError, RecordError, RosterFileError, SyncError
from sync.timefmt import boot_id

from .admin_cli import add_admin_commands
from .cli_messages import (
    Parser,
    check_listen,
    check_owner,
    database_message,
    os_error_message,
    port_number,
    quiet_broken_pipe,
    refuse_file_as_dir,
    require_node_dir,
)
from .datadir import NodePaths
from .errors import NodeError, StorageError

# Commands that work in an existing node data directory (all but init, serve and discover).
NEEDS_NODE = frozenset(
    {
        "status",
        "sync",
        "verify",
        "export",
        "backup",
        "roster",
        "kiosk",
        "admin",
        "poster",
        "cards",
        "config",
    }
)

ROSTER_HELP = """The file is CSV in UTF-8 with commas, one employee a line, and this header line:

  nip,name,unit,role,pin
  198501012010011001,Siti Rahmawati,Kecamatan Alalak,head,482913
  199003152015032002,Ahmad Fauzi,Kecamatan Alalak,staff,735104

  nip   18 digits          name  the employee's name      unit  the work unit
  role  staff or head (a head keeps the unit's manual list)
  pin   6 digits, the employee's first PIN

An example file: docs/roster-example.csv. Nothing is imported unless every line is right;
the error names each bad line. Excel: save as "CSV UTF-8 (Comma delimited)" (a file with
semicolons, or Latin-1 from plain "CSV", is refused with a message saying so).
"""

USAGE_NEXT_STEPS = """\
Node {name} created in {root}.
Next steps:
  1. Take {csr} to the district (USB stick) and have it signed:
       presensi-ca issue --dir CA_DIR --csr node.csr --out node.pem
  2. Copy the signed node.pem to {cert}
     and the district ca.pem to {ca} (and central.pem to {central}).
  3. Start the node: presensi-node serve --data {root}
"""


def _paths(args: argparse.Namespace) -> NodePaths:
    return NodePaths(Path(args.data))


def cmd_init(args: argparse.Namespace) -> int:
    from .identity import init_node

    paths = _paths(args)
    if args.central:
        from .enrollment import enroll

        name = enroll(paths, args.central, args.token, boot_id=boot_id())
        print(
            f"Node {name} enrolled with {args.central}; certificates installed in "
            f"{paths.root / 'certs'}.\nStart it: presensi-node serve --data {paths.root}"
        )
        return 0
    init_node(paths, args.name, boot_id=boot_id())
    print(
        USAGE_NEXT_STEPS.format(
            name=args.name,
            root=paths.root,
            csr=paths.csr,
            cert=paths.cert,
            ca=paths.ca,
            central=paths.central,
        )
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import serve

    check_listen(args.host, args.port)
    require_node_dir(_paths(args))

    return serve(
        _paths(args),
        host=args.host,
        port=args.port,
        threads=args.threads,
        tls=args.tls,
        scheduler=not args.no_scheduler,
        zeroconf=not args.no_zeroconf,
    )


def open_service(paths: NodePaths) -> Any:
    """A NodeService over ``paths`` for one command (its own in-process log writer)."""
    from .config import load_config
    from .identity import load_identity, node_name
    from .service import NodeService

    config = load_config(paths.root)
    return NodeService(config, paths, load_identity(paths, node_name(paths)))


def cmd_status(args: argparse.Namespace) -> int:
    from .status import status_report

    paths = _paths(args)
    report = status_report(paths)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        from .status_text import status_lines

        print("\n".join(status_lines(report)))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from cryptography import x509

    from certs.keys import load_private_key

    from .audit import verify_database

    paths = _paths(args)
    if paths.cert.exists():
        public = x509.load_pem_x509_certificate(paths.cert.read_bytes()).public_key()
    else:
        public = load_private_key(paths.key).public_key()
    try:
        result = verify_database(paths.db, public)  # type: ignore[arg-type]
    except RecordError as exc:
        print(f"FAILED: {exc} [{exc.reason}]", file=sys.stderr)
        return 1
    print(
        f"OK: {result.count} records of node {result.node} epoch {result.epoch} verify; "
        f"head seq {result.next_seq - 1} {result.head}"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .store import Store

    paths = _paths(args)
    if not paths.db.exists():
        raise NodeError(f"{paths.db} does not exist")
    out = sys.stdout
    for text in Store(paths.db).iter_records(since=args.since):
        out.write(text + "\n")
    return 0


def cmd_roster_import(args: argparse.Namespace) -> int:
    from . import roster

    svc = open_service(_paths(args))
    try:
        record = roster.import_csv(svc.writer, Path(args.file).read_bytes(), source=args.file)
    finally:
        svc.close()
    body = record["body"]
    print(
        f"Imported {body['count']} employees (roster {body['version']}, log seq {record['seq']})."
    )
    return 0


def cmd_kiosk(args: argparse.Namespace) -> int:
    svc = open_service(_paths(args))
    try:
        made = None
        if args.rotate or svc.kiosk.display_token() is None:
            made = svc.kiosk.make_key(svc.writer, by="cli")
        token = svc.kiosk.display_token()
    finally:
        svc.close()
    if made:
        print(
            f"Kiosk key {made} made and recorded in the log"
            + (" (the old screen address and codes stop working now)." if args.rotate else ".")
        )
    base = _kiosk_base(args)
    print(
        f"Open this address on the office screen (keep it private; it is the screen's key):\n"
        f"  {base}/kiosk#t={token}"
    )
    return 0


def _kiosk_base(args: argparse.Namespace) -> str:
    """--url, else the configured public URL, else this machine's LAN address and the port
    the node serves on (PRESENSI_PORT or 8080)."""
    from .addresses import check_url, public_url
    from .cli_messages import CliError
    from .config import load_config

    if args.url:
        try:
            return check_url(args.url)
        except ValueError as exc:
            raise CliError(f"--url: {exc}") from exc
    port = int(os.environ.get("PRESENSI_PORT", "0")) or None
    return public_url(load_config(Path(args.data)), port)


def cmd_backup(args: argparse.Namespace) -> int:
    from .store import Store

    paths = _paths(args)
    if args.dir is not None:
        from .backups import nightly_backup

        result = nightly_backup(paths, Path(args.dir), keep_days=args.keep, verify=args.verify)
        print(
            f"Backup written to {result.path} (head seq {result.head_seq}"
            + (", verified" if result.verified else "")
            + f"); removed {len(result.removed)}"
            " older than --keep days"
        )
        return 0
    if args.keep is not None or args.verify:
        raise NodeError("--keep and --verify go with --dir (dated backups in a directory)")
    Store(paths.db).backup(Path(args.out))
    print(f"Backup written to {args.out}")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from .sync_command import sync_once

    result = sync_once(_paths(args))
    print(json.dumps(result, ensure_ascii=False))
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    from .discovery import browse
    from .lan_trust import check_node, load_ca

    if not args.timeout > 0:
        raise NodeError("--timeout must be a number of seconds above 0")
    ca = load_ca(NodePaths(Path(args.data)).ca) if args.data else None
    found = [
        check_node(item, ca, timeout=min(args.timeout, 5.0))
        for item in browse(seconds=args.timeout)
    ]
    if args.json:
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0
    if not found:
        print("No Presensi nodes seen on this network.")
    for item in found:
        name = (
            item["node"]
            if item["instance"] == item["node"]
            else f"{item['node']} (announced as {item['instance']})"
        )
        print(
            f"{name:<24} {item['address']}:{item['port']} ({item['host']})  "
            f"v{item['version']}  cert {item['fingerprint'][:16]}  {item['trust']}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="presensi-node", description="Smart Presensi office node")
    sub = parser.add_subparsers(dest="command", required=True)
    env_data = os.environ.get("PRESENSI_DATA")

    def data_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data",
            required=env_data is None,
            default=env_data,
            help="node data directory (or PRESENSI_DATA)",
        )

    p = sub.add_parser("init", help="create the node key, CSR and log; enroll with central")
    data_arg(p)
    p.add_argument("--central", help="central URL, for online enrollment")
    p.add_argument("--token", help="one-time enrollment token from central")
    p.add_argument("--name", help="node id, for the offline path")
    p.add_argument("--offline", action="store_true", help="make a CSR to carry to the CA")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="serve staff check-ins (one process)")
    data_arg(p)
    p.add_argument("--host", default=os.environ.get("PRESENSI_HOST", "0.0.0.0"))
    p.add_argument(
        "--port",
        type=port_number,
        default=os.environ.get("PRESENSI_PORT", "8080"),
        help="TCP port, 1-65535 (default 8080; below 1024 needs root)",
    )
    p.add_argument("--threads", type=int, default=64, help="request threads")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with certs/tls.pem")
    p.add_argument("--no-scheduler", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--no-zeroconf", action="store_true", help="do not announce on the LAN")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("status", help="log head, sync state, roster version")
    data_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("sync", help="push to and pull from central once, now")
    data_arg(p)
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("verify", help="verify every record's hash, signature and chain link")
    data_arg(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("export", help="print serialised records as JSON Lines")
    data_arg(p)
    p.add_argument("--since", type=int, default=0, help="first seq to print")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("backup", help="online copy of the database (SQLite backup API)")
    data_arg(p)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="path of the new backup file")
    where.add_argument("--dir", help="directory for dated backups node-NODE-STAMP.db (nightly)")
    p.add_argument("--keep", type=int, help="with --dir: delete backups older than N days")
    p.add_argument(
        "--verify",
        action="store_true",
        help="with --dir: check the copy (integrity, signatures, chain, head)",
    )
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("roster", help="roster commands")
    rsub = p.add_subparsers(dest="roster_command", required=True)
    r = rsub.add_parser(
        "import",
        help="import a CSV with header nip,name,unit,role,pin",
        description="Install a roster from a CSV file (a local roster; a node "
        "enrolled with central gets its roster from central).",
        epilog=ROSTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data_arg(r)
    r.add_argument("file")
    r.set_defaults(func=cmd_roster_import)

    p = sub.add_parser("kiosk", help="the address of the office screen with the rotating code")
    data_arg(p)
    p.add_argument(
        "--url",
        help="the node's address as phones reach it (default: public-url "
        "from config, else this machine's LAN address and the serving port)",
    )
    p.add_argument(
        "--rotate",
        action="store_true",
        help="make a new key: the old screen address and codes stop working",
    )
    p.set_defaults(func=cmd_kiosk)

    p = sub.add_parser(
        "discover",
        help="list Presensi nodes announced on the LAN, and "
        "whether each holds a certificate of our CA",
    )
    p.add_argument(
        "--timeout",
        "--seconds",
        dest="timeout",
        type=float,
        default=3.0,
        help="seconds to listen (default 3)",
    )
    p.add_argument("--json", action="store_true", help="a JSON list, for machines")
    p.add_argument(
        "--data",
        default=env_data,
        help="this node's data directory: its certs/ca.pem decides which nodes "
        "are trusted (or PRESENSI_DATA)",
    )
    p.set_defaults(func=cmd_discover)
    add_admin_commands(sub, data_arg)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "init":
        if bool(args.central) == bool(args.name):
            print(
                "error: give either --central URL --token T, or --name NODE --offline",
                file=sys.stderr,
            )
            return 2
        if args.central and not args.token:
            print("error: --central needs --token", file=sys.stderr)
            return 2
        if args.name and not args.offline:
            print("error: --name needs --offline", file=sys.stderr)
            return 2
    os.umask(PRIVATE_UMASK)  # whatever a command creates is private (certs/filemodes.py)
    try:
        if args.command in NEEDS_NODE:
            require_node_dir(_paths(args))
        if getattr(args, "data", None):
            refuse_file_as_dir(Path(args.data))
            check_owner(_paths(args))
            if args.command != "init":
                check_private(NodePaths(Path(args.data)).secret_files)
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the try
        return code
    except BrokenPipeError:
        return quiet_broken_pipe()
    except PermissionError as exc:
        print(f"error: {os_error_message(exc)}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"error: {database_message(_paths(args), exc)}", file=sys.stderr)
        return 2
    except (NodeError, CertError, ProtocolError, SyncError, RosterFileError) as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {os_error_message(exc)}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:
        print(f"error: {database_message(_paths(args), exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 2


def _one_line(text: str) -> str:
    """A message on one line (roster problems and the like can hold newlines)."""
    return " ".join(text.split())


if __name__ == "__main__":
    raise SystemExit(main())
