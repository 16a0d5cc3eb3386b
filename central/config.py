"""One path for configuration: every setting, its type and default in ``CentralSettings``;
then ``DATA/config.json``; then explicit overrides (the test dict or CLI flags, which may come
from ``PRESENSI_*`` environment variables). An unknown key or a wrong type in config.json is an
error that names it: a typo must not silently fall back to a default."""

from __future__ import annotations

import json
import types
import typing
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .errors import SetupError


@dataclass(frozen=True)
class CentralSettings:
    """Central's settings (docs/configuration.md), set in config.json or by the CLI flags."""

    MAX_BODY_BYTES: int = 8 * 1024 * 1024  # a batch as sent; inflated, also <= 8 MiB
    MAX_BATCH_RECORDS: int = 5000
    MAX_SMALL_BODY_BYTES: int = 64 * 1024  # enrollment and other small JSON bodies
    NODE_BEHIND_MINUTES: float = 15  # /metrics: a node silent this long counts as behind
    # Address of the reverse proxy (e.g. nginx on "127.0.0.1") whose X-Forwarded-Proto/Host/For
    # central believes; from any other peer those headers are ignored (central/proxy.py).
    TRUSTED_PROXY: str | None = None
    SIGNATURE_MAX_AGE_S: float = 300  # node-signed requests older than this are refused
    ENROLL_TOKEN_HOURS: float = 72
    TIME_TOLERANCE_S: float = 2  # slack on the proven [lower, upper] interval
    WORK_START: str = "07:30"  # WITA; lateness is counted from here
    # Check-ins with no anchor before them count (marked unanchored) only while a node's log
    # has had a working link for at most ANCHOR_GRACE_S; REQUIRE_ANCHOR: never (docs/security.md).
    REQUIRE_ANCHOR: bool = False
    ANCHOR_GRACE_S: float = 3600
    FALLBACK_ALERT_PER_DAY: int = 20  # witness + manual check-ins per node and day
    # PostgreSQL (docs/postgresql.md): None keeps SQLite in central.db. The password, if
    # any, lives in DATA/database.password, never here.
    DATABASE_URL: str | None = None
    DATABASE_POOL_SIZE: int = 16  # connections per server process (one per thread)
    DATABASE_TIMEOUT_S: float = 10  # wait this long for a connection, then answer 503
    # A read replica for reports and the dashboard (PostgreSQL); None = DATABASE_URL or SQLite.
    READ_DATABASE_URL: str | None = None
    # Officials' accounts (central/accounts.py) and the dashboard.
    DASHBOARD_SESSION_HOURS: float = 12  # a dashboard sign-in lasts a working day
    PASSWORD_LINK_HOURS: float = 24  # a one-time password-setting link expires
    PUBLIC_URL: str = "http://127.0.0.1:8443"  # printed in password links (user add, reset)
    API_TOKEN_DAYS: float = 90  # default expiry of a new API token
    LOGIN_MAX_PER_ACCOUNT: int = 5  # sign-in attempts per account per window
    LOGIN_MAX_PER_ADDRESS: int = 30  # sign-in attempts per client address per window
    LOGIN_WINDOW_MIN: float = 15
    LOGIN_LOCK_MIN: float = 15
    ALERTS_PAGE_SIZE: int = 50
    # Employees' own pages (/saya, docs/employees.md): a sign-in with NIP and PIN lasts this
    # long; the per-NIP limit is LOGIN_MAX_PER_ACCOUNT. A whole office may sign in from one
    # address (NAT), so the per-address limit for employees is higher than the officials'.
    EMPLOYEE_SESSION_HOURS: float = 2
    EMPLOYEE_LOGIN_MAX_PER_ADDRESS: int = 200

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULTS: dict[str, Any] = CentralSettings().as_dict()


class ConfigError(SetupError):
    """config.json (or an override) names an unknown setting or gives a value of the wrong type."""


def _check(key: str, value: Any, hints: dict[str, Any], where: str) -> None:
    if key not in hints:
        raise ConfigError(
            f"{where}: unknown setting {key!r}; the settings are listed in docs/configuration.md"
        )
    allowed = (
        typing.get_args(hints[key]) if isinstance(hints[key], types.UnionType) else (hints[key],)
    )
    ok = any(
        value is None
        if t is type(None)
        else isinstance(value, (int, float)) and not isinstance(value, bool)
        if t is float
        else isinstance(value, int) and not isinstance(value, bool)
        if t is int
        else isinstance(value, t)
        for t in allowed
    )
    if not ok:
        raise ConfigError(f"{where}: {key} must be {hints[key]!s}, not {value!r}")


def load_settings(data_dir: Path, overrides: dict[str, Any] | None = None) -> CentralSettings:
    """Defaults, then the data directory's config.json, then ``overrides`` (None values skipped)."""
    hints = typing.get_type_hints(CentralSettings)
    values: dict[str, Any] = {}
    path = Path(data_dir) / "config.json"
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:  # JSON or UTF-8: a hand edit went wrong
            raise ConfigError(f"{path} is not valid JSON ({exc})") from exc
        if not isinstance(stored, dict):
            raise ConfigError(f"{path} must hold a JSON object of settings")
        for key, value in stored.items():
            _check(key, value, hints, str(path))
        values.update(stored)
    for key, value in (overrides or {}).items():
        if value is not None and key in hints:
            _check(key, value, hints, "override")
            values[key] = value
    return CentralSettings(**values)


def load_config(data_dir: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings as the dict Flask's ``app.config`` and the service read, plus ``DATA_DIR``
    and any non-setting override a test passes (``CLOCK``, ``TESTING``)."""
    config = load_settings(data_dir, overrides).as_dict()
    names = {f.name for f in fields(CentralSettings)}
    config.update({k: v for k, v in (overrides or {}).items() if v is not None and k not in names})
    config["DATA_DIR"] = str(data_dir)
    return config
