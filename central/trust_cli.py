"""``presensi-central event add|list`` and ``record accept``: the officials' commands for
events (central/events.py) and for accepting set-aside check-ins (central/acceptance.py)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ApiError, CentralError

DataArg = Callable[[argparse.ArgumentParser], None]


def cmd_event_add(args: argparse.Namespace, open_store: Callable[..., Any]) -> int:
    from .events import add_event

    store, _ = open_store(args)
    try:
        event = add_event(
            store,
            node=args.node,
            day=args.date,
            start=args.start,
            end=args.end,
            units=args.unit,
            reason=args.reason,
            by=args.by,
            now=time.time(),
        )
    finally:
        store.close()
    print(
        f"Event {event.id} at {event.node} on {event.day} {args.start}-{args.end} WITA for "
        f"{len(event.units)} unit(s). The node's roster holds their employees from "
        f"{event.roster_from} (UTC, 00:00 WITA the day before) until the window ends."
    )
    return 0


def cmd_event_list(args: argparse.Namespace, open_store: Callable[..., Any]) -> int:
    store, _ = open_store(args)
    try:
        for e in store.events(args.node):
            print(
                f"{e.id}\t{e.node}\t{e.day}\t{e.start_ts}\t{e.end_ts}\t{'; '.join(e.units)}"
                f"\t{e.reason}\t{e.created_by}"
            )
    finally:
        store.close()
    return 0


def cmd_record_accept(args: argparse.Namespace, open_store: Callable[..., Any]) -> int:
    from .acceptance import accept_record
    from .audit import record_action
    from .config import load_config
    from .reports import ReportSettings

    store, _ = open_store(args)
    config = load_config(Path(args.data))
    settings = ReportSettings(
        require_anchor=bool(config["REQUIRE_ANCHOR"]),
        anchor_grace_s=float(config["ANCHOR_GRACE_S"]),
    )
    try:
        now = time.time()
        accepted = accept_record(
            store, settings, ref=args.ref, by=args.by, reason=args.reason, via="cli", now=now
        )
        record_action(
            store,
            accepted.accepted_by,
            "record-accept",
            args.ref,
            accepted.reason,
            now,
            {"status": accepted.status, "via": "cli"},
        )
    except ApiError as exc:
        raise CentralError(exc.message) from exc
    finally:
        store.close()
    print(f"Accepted {args.ref} ({accepted.status}) by {accepted.accepted_by}: it counts now.")
    return 0


def add_trust_commands(sub: Any, data_arg: DataArg, open_store: Callable[..., Any]) -> None:
    """Register ``event`` and ``record`` under the ``presensi-central`` parser."""

    def bind(func: Callable[..., int]) -> Callable[[argparse.Namespace], int]:
        return lambda args: func(args, open_store)

    p = sub.add_parser("event", help="events: another office's staff check in at a node")
    esub = p.add_subparsers(dest="event_command", required=True)
    e = esub.add_parser("add", help="declare an event (times WITA)")
    data_arg(e)
    e.add_argument("--node", required=True, help="the node where they gather")
    e.add_argument("--date", required=True, help="YYYY-MM-DD")
    e.add_argument("--from", dest="start", required=True, help="HH:MM WITA")
    e.add_argument("--to", dest="end", required=True, help="HH:MM WITA")
    e.add_argument(
        "--unit",
        action="append",
        required=True,
        help="an attending unit, as in the roster (repeat for each)",
    )
    e.add_argument("--reason", required=True, help="what the event is")
    e.add_argument("--by", default="presensi-central", help="who declares it")
    e.set_defaults(func=bind(cmd_event_add))
    e = esub.add_parser("list", help="list events")
    data_arg(e)
    e.add_argument("--node")
    e.set_defaults(func=bind(cmd_event_list))

    p = sub.add_parser("record", help="check-ins central set aside")
    rsub = p.add_subparsers(dest="record_command", required=True)
    r = rsub.add_parser("accept", help="count a foreign-node or anchor-missing check-in")
    data_arg(r)
    r.add_argument("--ref", required=True, help="NODE/EPOCH/SEQ from the attendance report")
    r.add_argument("--by", required=True, help="the official accepting it (name or NIP)")
    r.add_argument("--reason", required=True, help="why, e.g. the travel order number")
    r.set_defaults(func=bind(cmd_record_accept))
