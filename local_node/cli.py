"""``presensi-node``: the local admin's command line (docs/contract.md section 2, Contract).

The CLI only reads options, calls plain functions and turns known errors into a message on
stderr with exit status 2 (verify failures exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from certs.errors import CertError
from certs.filemodes import PRIVATE_UMASK, check_private
from sync.errors import ProtocolError, RecordError, SyncError
from sync.timefmt import boot_id

from .datadir import NodePaths
from .errors import NodeError

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

    return serve(
        _paths(args),
        host=args.host,
        port=args.port,
        threads=args.threads,
        tls=args.tls,
        scheduler=not args.no_scheduler,
        zeroconf=not args.no_zeroconf,
    )


def _open_service(args: argparse.Namespace) -> Any:
    from .config import load_config
    from .identity import load_identity, node_name
    from .service import NodeService

    paths = _paths(args)
    config = load_config(paths.root)
    return NodeService(config, paths, load_identity(paths, node_name(paths)))


def cmd_status(args: argparse.Namespace) -> int:
    from .status import status_report

    paths = _paths(args)
    report = status_report(paths)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for key, value in report.items():
            print(f"{key:>22}: {value}")
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

    svc = _open_service(args)
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
    svc = _open_service(args)
    try:
        made = None
        if args.rotate or svc.kiosk.display_token() is None:
            made = svc.kiosk.make_key(svc.writer, by="cli")
        token = svc.kiosk.display_token()
    finally:
        svc.close()
    if made:
        print(f"Kiosk key {made} made and recorded in the log"
              + (" (the old screen address and codes stop working now)." if args.rotate else "."))
    base = args.url.rstrip("/")
    print(f"Open this address on the office screen (keep it private; it is the screen's key):\n"
          f"  {base}/kiosk#t={token}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from .store import Store

    paths = _paths(args)
    if args.dir is not None:
        from .backups import nightly_backup

        result = nightly_backup(paths, Path(args.dir), keep_days=args.keep, verify=args.verify)
        print(f"Backup written to {result.path} (head seq {result.head_seq}"
              + (", verified" if result.verified else "") + f"); removed {len(result.removed)}"
              " older than --keep days")
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
    found = [check_node(item, ca, timeout=min(args.timeout, 5.0))
             for item in browse(seconds=args.timeout)]
    if args.json:
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0
    if not found:
        print("No Presensi nodes seen on this network.")
    for item in found:
        name = item["node"] if item["instance"] == item["node"] else \
            f"{item['node']} (announced as {item['instance']})"
        print(f"{name:<24} {item['address']}:{item['port']} ({item['host']})  "
              f"v{item['version']}  cert {item['fingerprint'][:16]}  {item['trust']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="presensi-node", description="Smart Presensi office node")
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
    p.add_argument("--port", type=int, default=int(os.environ.get("PRESENSI_PORT", "8080")))
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
    p.add_argument("--verify", action="store_true",
                   help="with --dir: check the copy (integrity, signatures, chain, head)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("roster", help="roster commands")
    rsub = p.add_subparsers(dest="roster_command", required=True)
    r = rsub.add_parser("import", help="import a CSV with header nip,name,unit,role,pin")
    data_arg(r)
    r.add_argument("file")
    r.set_defaults(func=cmd_roster_import)

    p = sub.add_parser("kiosk", help="the address of the office screen with the rotating code")
    data_arg(p)
    p.add_argument("--url", default="http://localhost:8080",
                   help="the node's address as phones reach it (e.g. http://192.168.1.10:8080)")
    p.add_argument("--rotate", action="store_true",
                   help="make a new key: the old screen address and codes stop working")
    p.set_defaults(func=cmd_kiosk)

    p = sub.add_parser("discover", help="list Presensi nodes announced on the LAN, and "
                       "whether each holds a certificate of our CA")
    p.add_argument("--timeout", "--seconds", dest="timeout", type=float, default=3.0,
                   help="seconds to listen (default 3)")
    p.add_argument("--json", action="store_true", help="a JSON list, for machines")
    p.add_argument("--data", default=env_data,
                   help="this node's data directory: its certs/ca.pem decides which nodes "
                        "are trusted (or PRESENSI_DATA)")
    p.set_defaults(func=cmd_discover)
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
        if getattr(args, "data", None) and args.command != "init":
            check_private(NodePaths(Path(args.data)).secret_files)
        return int(args.func(args))
    except (NodeError, CertError, ProtocolError, SyncError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
