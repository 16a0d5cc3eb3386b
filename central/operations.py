"""What central's operator endpoints report, without Flask: ``/healthz`` and ``/metrics``.

Every figure is read from the database at the time of the request, never kept in a worker's
memory: central runs several server processes, and a counter in one of them would show a
different total depending on which worker answered. Counts that the database did not hold
already (accepted batches and their latency) are kept in it by each batch's own transaction
(``batch_latency``, migration ``002_ops2_batch_latency``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import CentralError
from .store.protocol import CentralStore
from .store.rows import LATENCY_BUCKETS_S


@dataclass(frozen=True)
class Health:
    ok: bool
    body: dict[str, Any]


def health(store: CentralStore, central: str) -> Health:
    """Database reachable and every migration this code knows applied, nothing unknown."""
    try:
        applied = store.applied_migrations()
    except CentralError as exc:
        return Health(False, {"ok": False, "error": "database-unreachable", "message": str(exc)})
    known = store.known_migrations()
    pending = [name for name in known if name not in applied]
    unknown = [name for name in applied if name not in known]
    if unknown:
        return Health(
            False,
            {
                "ok": False,
                "error": "schema-newer-than-code",
                "message": f"the database has migrations this central does not "
                f"know: {', '.join(unknown)} (an older release?)",
            },
        )
    if pending:
        return Health(
            False,
            {
                "ok": False,
                "error": "migrations-pending",
                "message": f"run presensi-central migrate or restart: "
                f"{', '.join(pending)} not applied",
            },
        )
    return Health(True, {"ok": True, "central": central, "schema": known[-1]})


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics_text(store: CentralStore, *, now: float, behind_minutes: float) -> str:
    """The Prometheus text exposition (format 0.0.4) of central's state."""
    latency = store.batch_latency()
    lines = [
        "# HELP presensi_central_records_ingested_total Records stored from all nodes.",
        "# TYPE presensi_central_records_ingested_total counter",
        f"presensi_central_records_ingested_total {store.records_ingested()}",
        "# HELP presensi_central_batches_ingested_total Batches accepted (a receipt issued).",
        "# TYPE presensi_central_batches_ingested_total counter",
        f"presensi_central_batches_ingested_total {sum(n for n, _ in latency.values())}",
        "# HELP presensi_central_batch_seconds Accepted batch: request arrival to commit.",
        "# TYPE presensi_central_batch_seconds histogram",
    ]
    running = 0
    for label in [f"{b:g}" for b in LATENCY_BUCKETS_S] + ["+Inf"]:
        running += latency.get(label, (0, 0.0))[0]
        lines.append(f'presensi_central_batch_seconds_bucket{{le="{label}"}} {running}')
    lines += [
        f"presensi_central_batch_seconds_sum {sum(t for _, t in latency.values()):.6f}",
        f"presensi_central_batch_seconds_count {running}",
    ]

    nodes = [n for n in store.nodes() if n.status in ("active", "quarantined")]
    cutoff = now - behind_minutes * 60
    behind = [n for n in nodes if n.last_sync is None or n.last_sync < cutoff]
    lines += [
        f"# HELP presensi_central_nodes_behind Enrolled nodes with no accepted batch in the "
        f"last {behind_minutes:g} minutes.",
        "# TYPE presensi_central_nodes_behind gauge",
        f'presensi_central_nodes_behind{{minutes="{behind_minutes:g}"}} {len(behind)}',
        "# HELP presensi_central_nodes Nodes by status.",
        "# TYPE presensi_central_nodes gauge",
    ]
    statuses: dict[str, int] = {}
    for row in store.nodes():
        statuses[row.status] = statuses.get(row.status, 0) + 1
    for status in sorted(statuses):
        lines.append(f'presensi_central_nodes{{status="{status}"}} {statuses[status]}')
    lines += [
        "# HELP presensi_central_node_last_sync_age_seconds Seconds since each node's last "
        "accepted batch.",
        "# TYPE presensi_central_node_last_sync_age_seconds gauge",
    ]
    for row in nodes:
        if row.last_sync is not None:
            lines.append(
                f'presensi_central_node_last_sync_age_seconds{{node="{_escape(row.name)}"}}'
                f" {max(0.0, now - row.last_sync):.3f}"
            )
    lines += [
        "# HELP presensi_central_alerts_open Open (unacknowledged) alerts by kind.",
        "# TYPE presensi_central_alerts_open gauge",
    ]
    for kind, count in sorted(store.alert_counts().items()):
        lines.append(f'presensi_central_alerts_open{{kind="{_escape(kind)}"}} {count}')
    return "\n".join(lines) + "\n"
