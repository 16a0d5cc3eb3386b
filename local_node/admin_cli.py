"""``presensi-node admin set-password``, ``poster``, ``cards`` and ``config set``.

Registered on the main parser by ``add_admin_commands`` (local_node/cli.py).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cli_messages import CliError, require_node_dir
from .datadir import NodePaths

# ``config set`` names (what a person types) and the config.json keys they set.
CONFIG_KEYS = {
    "central-url": "CENTRAL_URL",
    "display-name": "DISPLAY_NAME",
    "public-url": "PUBLIC_URL",
}


def _paths(args: argparse.Namespace) -> NodePaths:
    paths = NodePaths(Path(args.data))
    require_node_dir(paths)
    return paths


def read_new_password(stdin: Any = None) -> str:
    """Ask twice on a terminal; otherwise read two lines from standard input."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Kata sandi admin baru (min. 10 karakter): ")
        second = getpass.getpass("Ulangi kata sandi: ")
    else:
        first, second = stdin.readline().rstrip("\r\n"), stdin.readline().rstrip("\r\n")
    if not first:
        raise CliError("no password given: type it twice (or pipe two lines into the command)")
    if first != second:
        raise CliError(
            "the two passwords differ; run the command again and type the same password twice"
        )
    return first


def cmd_admin_set_password(args: argparse.Namespace) -> int:
    from .admin_auth import PasswordRejected, set_password
    from .cli import open_service

    paths = _paths(args)
    password = read_new_password()
    svc = open_service(paths)
    try:
        record = set_password(svc.writer, password, by="cli")
    except PasswordRejected as exc:
        raise CliError(f"{exc.message}; run the command again") from exc
    finally:
        svc.close()
    print(
        f"Admin password set (log seq {record['seq']}); every admin session was ended.\n"
        "Open the admin page at http://ADDRESS:8080/admin and sign in with it."
    )
    return 0


def _base_url(paths: NodePaths, url: str | None) -> tuple[str, str, dict[str, Any]]:
    from .addresses import check_url, office_name, public_url
    from .config import load_config
    from .store import Store

    config = load_config(paths.root)
    store = Store(paths.db)
    try:
        node = store.meta("node") or paths.root.name
    finally:
        store.close()
    try:
        base = check_url(url) if url else public_url(config)
    except ValueError as exc:
        raise CliError(f"--url: {exc}") from exc
    return base, office_name(config, node), config


def _write_new(out: Path, data: bytes) -> None:
    if not out.parent.is_dir():
        raise CliError(f"the folder {out.parent} does not exist: create it or choose another --out")
    tmp = out.with_name(out.name + ".partial")
    tmp.write_bytes(data)
    os.replace(tmp, out)


def cmd_poster(args: argparse.Namespace) -> int:
    from .printables import poster_pdf, poster_svg

    out = Path(args.out)
    if out.suffix.lower() not in (".pdf", ".svg"):
        raise CliError(f"--out {out} must end in .pdf or .svg")
    base, office, _ = _base_url(_paths(args), args.url)
    url = base + "/"
    data = (
        poster_pdf(url, office)
        if out.suffix.lower() == ".pdf"
        else poster_svg(url, office).encode()
    )
    _write_new(out, data)
    print(f"Poster for {url} written to {out} (A4). Print it for the notice board.")
    if "localhost" in url:
        print(
            "Warning: no LAN address found, so the poster shows localhost, which a phone "
            "cannot open. Set the address: presensi-node config set public-url "
            "http://192.168.1.10:8080",
            file=sys.stderr,
        )
    return 0


def cmd_cards(args: argparse.Namespace) -> int:
    from . import roster
    from .printables import cards_pdf
    from .store import Store

    paths = _paths(args)
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise CliError(f"--out {out} must end in .pdf")
    base, office, _ = _base_url(paths, args.url)
    store = Store(paths.db)
    try:
        members = roster.unit_members(store, args.unit)
        units = [
            row[0]
            for row in store.conn().execute("SELECT DISTINCT unit FROM employees ORDER BY unit")
        ]
    finally:
        store.close()
    if not members:
        known = "; ".join(units[:10]) or "none: import a roster first"
        raise CliError(f"no employees in unit {args.unit!r}; units on the roster: {known}")
    _write_new(out, cards_pdf(members, base, office))
    print(f"{len(members)} cards for {args.unit} written to {out}.")
    return 0


def cmd_config_set(args: argparse.Namespace) -> int:
    from .addresses import check_url
    from .enrollment import write_config

    paths = _paths(args)
    key = CONFIG_KEYS[args.key]
    value: str = args.value.strip()
    if key in ("CENTRAL_URL", "PUBLIC_URL"):
        try:
            value = check_url(value)
        except ValueError as exc:
            raise CliError(f"{args.key}: {exc}") from exc
    elif not 1 <= len(value) <= 80 or any(ord(c) < 32 for c in value):
        raise CliError(f"{args.key} must be 1-80 characters on one line")
    write_config(paths.config, {key: value})
    print(
        f"{args.key} = {json.dumps(value, ensure_ascii=False)} saved in {paths.config}. "
        "Restart the node to use it: systemctl restart presensi-node"
    )
    return 0


def add_admin_commands(sub: Any, data_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``admin``, ``poster``, ``cards`` and ``config`` to the ``presensi-node`` parser."""
    p = sub.add_parser("admin", help="the local admin's page (/admin)")
    asub = p.add_subparsers(dest="admin_command", required=True)
    a = asub.add_parser(
        "set-password",
        help="set the /admin password (asks twice, or reads two lines from standard input)",
    )
    data_arg(a)
    a.set_defaults(func=cmd_admin_set_password)

    p = sub.add_parser("poster", help="A4 poster with the node's address as a QR code")
    data_arg(p)
    p.add_argument("--out", required=True, help="FILE.pdf or FILE.svg")
    p.add_argument(
        "--url",
        help="the address phones use (default: public-url from config, "
        "else this machine's LAN address and port 8080)",
    )
    p.set_defaults(func=cmd_poster)

    p = sub.add_parser(
        "cards", help="staff cards of one unit (PDF) with an 'Absen untuk rekan' QR code each"
    )
    data_arg(p)
    p.add_argument("--unit", required=True, help="the unit, as in the roster's unit column")
    p.add_argument("--out", required=True, help="FILE.pdf")
    p.add_argument("--url", help="the address phones use (as for poster)")
    p.set_defaults(func=cmd_cards)

    p = sub.add_parser("config", help="change the node's settings (config.json)")
    csub = p.add_subparsers(dest="config_command", required=True)
    c = csub.add_parser("set", help="set one setting: " + ", ".join(CONFIG_KEYS))
    data_arg(c)
    c.add_argument("key", choices=sorted(CONFIG_KEYS))
    c.add_argument("value")
    c.set_defaults(func=cmd_config_set)
