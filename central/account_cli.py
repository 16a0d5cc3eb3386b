"""``presensi-central user add|list|reset`` and ``token create|list|revoke``: accounts and
API tokens from the central server's shell. Changes are audited with the actor ``cli``
(whoever has a shell on the central server)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime

from sync.timefmt import WITA

from .errors import CentralError

DataArg = Callable[[argparse.ArgumentParser], None]
CLI_ACTOR = "cli"


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .cli import _open as open_store

    store, _ = open_store(args)
    return store


def _settings(args: argparse.Namespace) -> dict[str, object]:
    from pathlib import Path

    from .config import load_config

    return load_config(Path(args.data))


def _link(args: argparse.Namespace, secret: str) -> str:
    base = (args.url or str(_settings(args)["PUBLIC_URL"])).rstrip("/")
    return f"{base}/dashboard/sandi/{secret}"


def _link_hours(args: argparse.Namespace) -> float:
    hours = float(
        _settings(args)["PASSWORD_LINK_HOURS"]  # type: ignore[arg-type]
        if args.hours is None
        else args.hours
    )
    if not 0 < hours <= 24 * 14:
        raise CentralError("--hours must be more than 0 and at most 336 (14 days)")
    return hours


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, WITA).strftime("%Y-%m-%d %H:%M")


def cmd_user_add(args: argparse.Namespace) -> int:
    from .accounts import create_account

    store = _open(args)
    hours = _link_hours(args)
    try:
        known = {e.unit for e in store.employees()}
        secret = create_account(
            store,
            args.name,
            args.role,
            args.unit or [],
            actor=CLI_ACTOR,
            now=time.time(),
            link_hours=hours,
        )
    finally:
        store.close()
    for unit in args.unit or []:
        if unit.strip() not in known:
            print(f"warning: unit {unit!r} is not in the current roster", file=sys.stderr)
    print(_link(args, secret))
    print(
        f"Account {args.name} ({args.role}) created. Give this one-time link to its owner; "
        f"it sets the password and expires in {hours:g} hours.",
        file=sys.stderr,
    )
    return 0


def cmd_user_reset(args: argparse.Namespace) -> int:
    from .accounts import reset_password

    store = _open(args)
    hours = _link_hours(args)
    try:
        secret = reset_password(
            store, args.name, actor=CLI_ACTOR, reason=args.reason, now=time.time(), link_hours=hours
        )
    finally:
        store.close()
    print(_link(args, secret))
    print(
        f"The password of {args.name} no longer works and its sessions ended. The link "
        f"sets a new one and expires in {hours:g} hours.",
        file=sys.stderr,
    )
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    store = _open(args)
    try:
        for a in store.accounts():
            units = ",".join(a.units) or "*"
            state = (
                "machine" if a.machine else ("password-set" if a.password_hash else "no-password")
            )
            print(f"{a.name}\t{a.role}\t{units}\t{state}")
    finally:
        store.close()
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from .auth import create_api_token

    store = _open(args)
    default_days = _settings(args)["API_TOKEN_DAYS"]
    days = float(default_days if args.days is None else args.days)  # type: ignore[arg-type]
    try:
        try:
            token = create_api_token(
                store, args.role, now=time.time(), account=args.user, days=days
            )
        except ValueError as exc:
            raise CentralError(str(exc)) from exc
        from .audit import record_action
        from .auth import hash_token

        record_action(
            store,
            CLI_ACTOR,
            "token-create",
            f"token {hash_token(token)[:12]}",
            args.reason or "dibuat dari baris perintah",
            time.time(),
            {"account": args.user or "mesin-api", "role": args.role, "days": days},
        )
    finally:
        store.close()
    print(token)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    store = _open(args)
    now = time.time()
    try:
        print("id\taccount\trole\tcreated\texpires\tstate")
        for t in store.api_tokens():
            state = (
                "revoked"
                if t.revoked_at is not None
                else "expired"
                if t.expires_at <= now
                else "active"
            )
            print(
                f"{t.token_hash[:12]}\t{t.account}\t{t.role}\t{_when(t.created_at)}\t"
                f"{_when(t.expires_at)}\t{state}"
            )
    finally:
        store.close()
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from .audit import record_action
    from .auth import hash_token

    prefix = hash_token(args.token)[:12] if args.token else (args.id or "")
    if len(prefix) < 8 or not all(c in "0123456789abcdef" for c in prefix):
        raise CentralError("give --id (at least 8 hex digits from 'token list') or --token")
    store = _open(args)
    try:
        matching = [t for t in store.api_tokens() if t.token_hash.startswith(prefix)]
        if len(matching) > 1:
            raise CentralError(f"{len(matching)} tokens start with {prefix}; give more digits")
        revoked = store.revoke_tokens(prefix, time.time())
        if not revoked:
            raise CentralError(f"no live token has the id {prefix}")
        record_action(
            store,
            CLI_ACTOR,
            "token-revoke",
            f"token {revoked[0][:12]}",
            args.reason or "dicabut dari baris perintah",
            time.time(),
        )
    finally:
        store.close()
    print(f"Revoked token {revoked[0][:12]}; it gets 401 from now on.")
    return 0


def add_account_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    data_arg: DataArg,
) -> None:
    """The ``user`` and ``token`` command groups."""
    p = sub.add_parser("user", help="officials' accounts (dashboard sign-in)")
    usub = p.add_subparsers(dest="user_command", required=True)
    u = usub.add_parser("add", help="add an account; prints a one-time password-setting link")
    data_arg(u)
    u.add_argument("--name", required=True, help="account name, e.g. budi.bkpsdm")
    u.add_argument("--role", required=True, choices=["viewer", "approver", "admin"])
    u.add_argument(
        "--unit",
        action="append",
        help="limit the account to this unit (repeat for more; default all)",
    )
    u.add_argument("--url", help="central's address for the link (default PUBLIC_URL)")
    u.add_argument("--hours", type=float, help="link validity (default PASSWORD_LINK_HOURS)")
    u.set_defaults(func=cmd_user_add)
    u = usub.add_parser(
        "reset", help="end an account's password and sessions; prints a new one-time link"
    )
    data_arg(u)
    u.add_argument("--name", required=True)
    u.add_argument("--reason", required=True, help="why (kept in the audit log)")
    u.add_argument("--url", help="central's address for the link (default PUBLIC_URL)")
    u.add_argument("--hours", type=float, help="link validity (default PASSWORD_LINK_HOURS)")
    u.set_defaults(func=cmd_user_reset)
    u = usub.add_parser("list", help="list accounts")
    data_arg(u)
    u.set_defaults(func=cmd_user_list)

    p = sub.add_parser("token", help="API token commands")
    tsub = p.add_subparsers(dest="token_command", required=True)
    t = tsub.add_parser("create", help="create an API bearer token; prints it")
    data_arg(t)
    t.add_argument("--role", required=True, choices=["viewer", "admin"])
    t.add_argument(
        "--user",
        help="the account the token belongs to (default: the built-in "
        "machine account); it acts with that account's units",
    )
    t.add_argument("--days", type=float, help="expiry in days (default API_TOKEN_DAYS, 90)")
    t.add_argument("--reason", help="why (kept in the audit log)")
    t.set_defaults(func=cmd_token_create)
    t = tsub.add_parser("list", help="list tokens (id, account, role, expiry, state)")
    data_arg(t)
    t.set_defaults(func=cmd_token_list)
    t = tsub.add_parser("revoke", help="revoke a token; it gets 401 from then on")
    data_arg(t)
    group = t.add_mutually_exclusive_group(required=True)
    group.add_argument("--id", help="the id shown by 'token list'")
    group.add_argument("--token", help="the token itself")
    t.add_argument("--reason", help="why (kept in the audit log)")
    t.set_defaults(func=cmd_token_revoke)
