"""One path for configuration: defaults, then ``DATA/config.json``, then explicit overrides
(the test dict or CLI flags, which may come from ``PRESENSI_*`` environment variables)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "MAX_BODY_BYTES": 8 * 1024 * 1024,      # a batch as sent; inflated, also <= 8 MiB
    "MAX_BATCH_RECORDS": 5000,
    "MAX_SMALL_BODY_BYTES": 64 * 1024,      # enrollment and other small JSON bodies
    "NODE_BEHIND_MINUTES": 15,              # /metrics: a node silent this long counts as behind
    # Address of the reverse proxy (e.g. nginx on "127.0.0.1") whose X-Forwarded-Proto/Host/For
    # central believes; from any other peer those headers are ignored (central/proxy.py).
    "TRUSTED_PROXY": None,
    "SIGNATURE_MAX_AGE_S": 300,             # node-signed requests older than this are refused
    "ENROLL_TOKEN_HOURS": 72,
    "TIME_TOLERANCE_S": 2,                  # slack on the proven [lower, upper] interval
    "WORK_START": "07:30",                  # WITA; lateness is counted from here
    # Check-ins with no anchor before them count (marked unanchored) only while a node's log
    # has had a working link for at most ANCHOR_GRACE_S; REQUIRE_ANCHOR: never (docs/security.md).
    "REQUIRE_ANCHOR": False,
    "ANCHOR_GRACE_S": 3600,
    "FALLBACK_ALERT_PER_DAY": 20,           # witness + manual check-ins per node and day
    # PostgreSQL (docs/postgresql.md): None keeps SQLite in central.db. The password, if
    # any, lives in DATA/database.password, never here.
    "DATABASE_URL": None,
    "DATABASE_POOL_SIZE": 16,               # connections per server process (one per thread)
    "DATABASE_TIMEOUT_S": 10,               # wait this long for a connection, then answer 503
    # A read replica for reports and the dashboard (PostgreSQL); None = DATABASE_URL or SQLite.
    "READ_DATABASE_URL": None,
    # Officials' accounts (central/accounts.py) and the dashboard.
    "DASHBOARD_SESSION_HOURS": 12,          # a dashboard sign-in lasts a working day
    "PASSWORD_LINK_HOURS": 24,              # a one-time password-setting link expires
    "PUBLIC_URL": "http://127.0.0.1:8443",  # printed in password links (user add, reset)
    "API_TOKEN_DAYS": 90,                   # default expiry of a new API token
    "LOGIN_MAX_PER_ACCOUNT": 5,             # sign-in attempts per account per window
    "LOGIN_MAX_PER_ADDRESS": 30,            # sign-in attempts per client address per window
    "LOGIN_WINDOW_MIN": 15,
    "LOGIN_LOCK_MIN": 15,
    "ALERTS_PAGE_SIZE": 50,
    # Employees' own pages (/saya, docs/employees.md): a sign-in with NIP and PIN lasts this
    # long; the per-NIP limit is LOGIN_MAX_PER_ACCOUNT. A whole office may sign in from one
    # address (NAT), so the per-address limit for employees is higher than the officials'.
    "EMPLOYEE_SESSION_HOURS": 2,
    "EMPLOYEE_LOGIN_MAX_PER_ADDRESS": 200,
}


def load_config(data_dir: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, the data directory's config.json and ``overrides``, in that order."""
    config = dict(DEFAULTS)
    path = Path(data_dir) / "config.json"
    if path.exists():
        config.update(json.loads(path.read_text(encoding="utf-8")))
    config.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config["DATA_DIR"] = str(data_dir)
    return config
