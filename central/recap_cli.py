"""``presensi-central`` commands of the monthly recap (docs/recap.md): rules, exceptions,
incidents, recap, discipline, day and month close. Registered by ``central/cli.py`` with
``add_recap_commands(sub)``; known errors become one ``error:`` line and exit status 2 there.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sync.timefmt import WITA

from .errors import CentralError


def _store(args: argparse.Namespace) -> Any:
    from .database import is_created, open_store
    from .datadir import CentralPaths

    paths = CentralPaths(Path(args.data))
    if not is_created(paths):
        raise CentralError(
            f"{paths.db} does not exist; run 'presensi-central init --data {paths.root}' first"
        )
    store = open_store(paths)
    store.migrate()
    return store


def _settings(args: argparse.Namespace) -> Any:
    from .config import load_config
    from .reports import ReportSettings

    config = load_config(Path(args.data))
    return ReportSettings(
        work_start=str(config["WORK_START"]), require_anchor=bool(config.get("REQUIRE_ANCHOR"))
    )


def _today() -> Any:
    return datetime.now(WITA).date()


def cmd_rules_import(args: argparse.Namespace) -> int:
    from .rules import import_rules

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CentralError(f"{args.file} is not UTF-8 text") from exc
    store = _store(args)
    try:
        rules = import_rules(store, text, by=args.by or getpass.getuser(), now=time.time())
    finally:
        store.close()
    scope = ", ".join(sorted(rules.units)) if rules.units else "every unit"
    print(
        f"Rule version {rules.version}: {rules.id}, effective from "
        f"{rules.effective_from.isoformat()}, for {scope}."
    )
    return 0


def cmd_rules_list(args: argparse.Namespace) -> int:
    from .rules import list_rules

    store = _store(args)
    try:
        rows = list_rules(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    for row in rows:
        units = ", ".join(row["units"]) if row["units"] else "all units"
        print(
            f"{row['version']:>3}  {row['id']:<30} from {row['effective_from']}  {units}"
            f"  (imported by {row['imported_by']})"
        )
    if not rows:
        print("No rule set imported yet.")
    return 0


def cmd_exception_add(args: argparse.Namespace) -> int:
    from .recap_audit import propose_exception

    store = _store(args)
    try:
        new_id = propose_exception(
            store,
            nip=args.nip,
            kind=args.kind,
            first=args.date_from,
            last=args.date_to,
            part=args.part,
            reason=args.reason,
            by=args.by,
            now=time.time(),
        )
    finally:
        store.close()
    print(
        f"Exception proposed by {args.by}; it counts once a second official approves it:\n"
        f"  presensi-central exception approve --data {args.data} --id {new_id} --by NAME",
        file=sys.stderr,
    )
    print(new_id)
    return 0


def _decide(target: str, action: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        from .recap_audit import decide_audited

        store = _store(args)
        try:
            state = decide_audited(
                store,
                target,
                args.id,
                action,
                args.by,
                time.time(),
                reason=getattr(args, "reason", None),
            )
        finally:
            store.close()
        print(f"{target} {args.id} {state} by {args.by}.")
        return 0

    return run


def cmd_incident_add(args: argparse.Namespace) -> int:
    from .recap_audit import propose_incident

    store = _store(args)
    try:
        new_id = propose_incident(
            store,
            ts_from=args.ts_from,
            ts_to=args.ts_to,
            unit=args.unit,
            node=args.node,
            reason=args.reason,
            by=args.by,
            now=time.time(),
        )
    finally:
        store.close()
    print(
        f"Incident proposed by {args.by}; a second official approves it with\n"
        f"  presensi-central incident approve --data {args.data} --id {new_id} --by NAME",
        file=sys.stderr,
    )
    print(new_id)
    return 0


def _json(value: dict[str, Any]) -> bytes:
    from .recap_export import recap_json

    return recap_json(value) + b"\n"


def _write(args: argparse.Namespace, data: bytes) -> None:
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def cmd_recap(args: argparse.Namespace) -> int:
    from .recap_close import recap
    from .recap_export import recap_csv, recap_xlsx

    store = _store(args)
    try:
        result = recap(
            store,
            args.month,
            today=_today(),
            settings=_settings(args),
            unit=args.unit,
            nip=args.nip,
        )
    finally:
        store.close()
    if args.format == "csv":
        data = recap_csv(result, days=args.days).encode("utf-8")
    elif args.format == "xlsx":
        data = recap_xlsx(result)
    else:
        data = _json(result)
    _write(args, data)
    return 0


def cmd_discipline(args: argparse.Namespace) -> int:
    from .discipline import parse_year, yearly

    store = _store(args)
    try:
        result = yearly(
            store,
            parse_year(args.year),
            today=_today(),
            settings=_settings(args),
            unit=args.unit,
            nip=args.nip,
        )
    finally:
        store.close()
    _write(args, _json(result))
    return 0


def cmd_month_close(args: argparse.Namespace) -> int:
    from .recap_audit import close_month_audited

    store = _store(args)
    try:
        sealed = close_month_audited(store, args.month, args.by, time.time())
    finally:
        store.close()
    print(f"{args.month} closed by {args.by}; inputs sha256 {sealed['inputs_sha256']}.")
    return 0


def cmd_month_reopen(args: argparse.Namespace) -> int:
    from .recap_audit import reopen_month_audited

    store = _store(args)
    try:
        reopen_month_audited(store, args.month, args.by, args.reason, time.time())
    finally:
        store.close()
    print(f"{args.month} reopened by {args.by}: {args.reason}")
    return 0


def cmd_day_close(args: argparse.Namespace) -> int:
    from .recap_close import close_day

    store = _store(args)
    try:
        close_day(store, args.date, args.unit, args.reason, args.by, time.time())
    finally:
        store.close()
    print(f"{args.date} closed for {args.unit or 'every unit'} by {args.by}.")
    return 0


def add_recap_commands(sub: Any) -> None:
    """The recap's subcommands, added to ``presensi-central``'s parser."""
    env_data = os.environ.get("PRESENSI_DATA")

    def parser(group: Any, name: str, help: str, func: Any) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = group.add_parser(name, help=help)
        p.add_argument(
            "--data",
            required=env_data is None,
            default=env_data,
            help="central data directory (or PRESENSI_DATA)",
        )
        p.set_defaults(func=func)
        return p

    def by(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--by",
            required=True,
            metavar="OFFICIAL",
            help="the official acting (kept in the history)",
        )

    rules = sub.add_parser("rules", help="working-time rules (TOML, versioned)")
    rsub = rules.add_subparsers(dest="rules_command", required=True)
    p = parser(rsub, "import", "import a rule file as a new version", cmd_rules_import)
    p.add_argument("file", help="the rule file (docs/rules-example.toml)")
    p.add_argument("--by", metavar="OFFICIAL", help="who imports it (default: your login)")
    p = parser(rsub, "list", "list every imported rule version", cmd_rules_list)
    p.add_argument("--json", action="store_true")

    exc = sub.add_parser("exception", help="exceptions: cuti, izin, sakit, dinas luar, ...")
    esub = exc.add_subparsers(dest="exception_command", required=True)
    p = parser(esub, "add", "propose an exception; prints its id", cmd_exception_add)
    p.add_argument("--nip", required=True)
    p.add_argument("--kind", required=True, help="a kind of the rule set's [exceptions]")
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--part", default="day", help="day (default), arrival or departure")
    p.add_argument("--reason", required=True)
    by(p)
    inc = sub.add_parser("incident", help="technical-failure windows for many people")
    isub = inc.add_subparsers(dest="incident_command", required=True)
    p = parser(isub, "add", "propose an incident window; prints its id", cmd_incident_add)
    p.add_argument(
        "--from", dest="ts_from", required=True, metavar="TS", help="e.g. 2026-10-05T07:00:00+08:00"
    )
    p.add_argument("--to", dest="ts_to", required=True, metavar="TS")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--unit")
    scope.add_argument("--node")
    p.add_argument("--reason", required=True)
    by(p)
    for target, group in (("exception", esub), ("incident", isub)):
        for action in ("approve", "reject"):
            p = parser(
                group,
                action,
                f"{action} a proposed {target} (a second official)",
                _decide(target, action),
            )
            p.add_argument("--id", required=True)
            by(p)
            if action == "reject":
                p.add_argument("--reason")

    p = parser(sub, "recap", "the monthly recap (JSON, CSV or XLSX)", cmd_recap)
    p.add_argument("--month", required=True, metavar="YYYY-MM")
    p.add_argument("--unit")
    p.add_argument("--nip")
    p.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    p.add_argument("--days", action="store_true", help="CSV: one row per employee and day")
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p = parser(sub, "discipline", "the yearly discipline count (PP 94/2021)", cmd_discipline)
    p.add_argument("--year", required=True, metavar="YYYY")
    p.add_argument("--unit")
    p.add_argument("--nip")
    p.add_argument("--out", metavar="FILE")

    month = sub.add_parser("month", help="close or reopen a month of the recap")
    msub = month.add_subparsers(dest="month_command", required=True)
    p = parser(msub, "close", "freeze a month with its inputs' hash", cmd_month_close)
    p.add_argument("--month", required=True, metavar="YYYY-MM")
    by(p)
    p = parser(msub, "reopen", "reopen a closed month (an admin, with a reason)", cmd_month_reopen)
    p.add_argument("--month", required=True, metavar="YYYY-MM")
    p.add_argument("--reason", required=True)
    by(p)
    day = sub.add_parser("day", help="declare a day final before every node has pushed")
    dsub = day.add_subparsers(dest="day_command", required=True)
    p = parser(dsub, "close", "close a day (for a unit or everyone) with a reason", cmd_day_close)
    p.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--unit")
    p.add_argument("--reason", required=True)
    by(p)
