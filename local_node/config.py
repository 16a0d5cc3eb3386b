"""One path for configuration: every setting, its type and default in ``NodeSettings``; then
``DATA/config.json``; then explicit overrides (the test dict or CLI flags, which may come from
``PRESENSI_*`` environment variables). An unknown key or a wrong type in config.json is an error
that names it: a typo must not silently fall back to a default."""

from __future__ import annotations

import json
import types
import typing
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .errors import NodeError


@dataclass(frozen=True)
class NodeSettings:
    """The node's settings. Set them with ``presensi-node config set`` or in config.json."""

    # Written by `presensi-node enroll`: where central is and which central it was.
    CENTRAL_ID: str | None = None
    CENTRAL_URL: str | None = None
    # CA bundle for central's HTTPS certificate (relative to the data directory, e.g.
    # "certs/ca.pem" when it is from the district CA); None: the system's trusted CAs.
    CENTRAL_TLS_CA: str | None = None
    SESSION_DAYS: float = 180  # staff sign in once per phone, not every morning
    PIN_MAX_FAILURES: int = 5  # per NIP, within PIN_WINDOW_MIN
    ADDR_MAX_FAILURES: int = 30  # per client address, within PIN_WINDOW_MIN
    PIN_WINDOW_MIN: float = 15
    PIN_LOCK_MIN: float = 15
    # Witness check-ins ("Absen untuk rekan") a day, per witnessing NIP and per device: one
    # phone vouching for a whole office is a signal, not a fallback (docs/security.md).
    WITNESS_MAX_PER_NIP: int = 5
    WITNESS_MAX_PER_DEVICE: int = 5
    # Minutes after Datang during which the staff page asks "Catat pulang sekarang?" first.
    PULANG_CONFIRM_MIN: float = 30
    MAX_BODY_BYTES: int = 16 * 1024
    MIN_FREE_BYTES: int = 50 * 1024 * 1024
    PUSH_INTERVAL_S: float = 5
    ROSTER_INTERVAL_S: float = 3600  # fallback: batch answers announce new rosters sooner
    BATCH_SIZE: int = 1000
    LANG: str = "id"
    WRITE_BOOT_RECORD: bool = False  # only the serving process records a boot
    WRITER_PROCESS: bool = False  # the server commits the log in a child process
    START_SCHEDULER: bool = False
    START_ZEROCONF: bool = False
    PUBLIC_PORT: int | None = None
    # The local admin's page (/admin): issue 18. Set with presensi-node config set.
    DISPLAY_NAME: str | None = None  # the office's name in page headers ("Kecamatan Alalak")
    PUBLIC_URL: str | None = None  # the node's address as phones reach it (poster, kiosk)
    ADMIN_SESSION_HOURS: float = 8  # an admin session ends after a working day
    ADMIN_MAX_FAILURES: int = 5  # wrong admin passwords per client address, then locked
    ADMIN_GLOBAL_MAX_FAILURES: int = 20  # from all addresses together, within ADMIN_LOCK_MIN
    ADMIN_LOCK_MIN: float = 15
    # Scrypt PIN checks run in this many threads, off the request threads (issue 13).
    PIN_CHECK_THREADS: int = 2
    # The staff page links to the employee's month at central (CENTRAL_URL + /saya) while
    # the last push reached central at most this many minutes ago (central_page_link.py).
    CENTRAL_LINK_FRESH_MIN: float = 30

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULTS: dict[str, Any] = NodeSettings().as_dict()


class ConfigError(NodeError):
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


def load_settings(data_dir: Path, overrides: dict[str, Any] | None = None) -> NodeSettings:
    """Defaults, then the data directory's config.json, then ``overrides`` (None values skipped)."""
    hints = typing.get_type_hints(NodeSettings)
    values: dict[str, Any] = {}
    path = Path(data_dir) / "config.json"
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:  # JSON or UTF-8: a hand edit went wrong
            raise NodeError(
                f"{path} is not valid JSON ({exc}); fix it, or set values with "
                "presensi-node config set"
            ) from exc
        if not isinstance(stored, dict):
            raise ConfigError(f"{path} must hold a JSON object of settings")
        for key, value in stored.items():
            _check(key, value, hints, str(path))
        values.update(stored)
    for key, value in (overrides or {}).items():
        if value is not None and key in hints:
            _check(key, value, hints, "override")
            values[key] = value
    return NodeSettings(**values)


def load_config(data_dir: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings as the dict Flask's ``app.config`` and the services read, plus ``DATA_DIR``
    and any non-setting override a test passes (``CLOCK``, ``TESTING``)."""
    config = load_settings(data_dir, overrides).as_dict()
    names = {f.name for f in fields(NodeSettings)}
    config.update({k: v for k, v in (overrides or {}).items() if v is not None and k not in names})
    config["DATA_DIR"] = str(data_dir)
    return config
