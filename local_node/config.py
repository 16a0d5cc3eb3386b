"""One path for configuration: defaults, then ``DATA/config.json``, then explicit overrides
(the test dict or CLI flags, which may come from ``PRESENSI_*`` environment variables)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "CENTRAL_URL": None,
    # CA bundle for central's HTTPS certificate (relative to the data directory, e.g.
    # "certs/ca.pem" when it is from the district CA); None: the system's trusted CAs.
    "CENTRAL_TLS_CA": None,
    "SESSION_DAYS": 180,            # staff sign in once per phone, not every morning
    "PIN_MAX_FAILURES": 5,          # per NIP, within PIN_WINDOW_MIN
    "ADDR_MAX_FAILURES": 30,        # per client address, within PIN_WINDOW_MIN
    "PIN_WINDOW_MIN": 15,
    "PIN_LOCK_MIN": 15,
    # Witness check-ins ("Absen untuk rekan") a day, per witnessing NIP and per device: one
    # phone vouching for a whole office is a signal, not a fallback (docs/security.md).
    "WITNESS_MAX_PER_NIP": 5,
    "WITNESS_MAX_PER_DEVICE": 5,
    # Minutes after Datang during which the staff page asks "Catat pulang sekarang?" first.
    "PULANG_CONFIRM_MIN": 30,
    # The staff page links to the employee's month at central (CENTRAL_URL + /saya) while
    # the last push reached central at most this many minutes ago (central_page_link.py).
    "CENTRAL_LINK_FRESH_MIN": 30,
    "MAX_BODY_BYTES": 16 * 1024,
    "MIN_FREE_BYTES": 50 * 1024 * 1024,
    "PUSH_INTERVAL_S": 5,
    "ROSTER_INTERVAL_S": 3600,      # fallback: batch answers announce new rosters sooner
    "BATCH_SIZE": 1000,
    "LANG": "id",
    "WRITE_BOOT_RECORD": False,     # only the serving process records a boot
    "WRITER_PROCESS": False,        # the server commits the log in a child process
    "START_SCHEDULER": False,
    "START_ZEROCONF": False,
    "PUBLIC_PORT": None,
    # The local admin's page (/admin): issue 18. Set with presensi-node config set.
    "DISPLAY_NAME": None,           # the office's name in page headers ("Kecamatan Alalak")
    "PUBLIC_URL": None,             # the node's address as phones reach it (poster, kiosk)
    "ADMIN_SESSION_HOURS": 8,       # an admin session ends after a working day
    "ADMIN_MAX_FAILURES": 5,        # wrong admin passwords per client address, then locked
    "ADMIN_GLOBAL_MAX_FAILURES": 20,  # from all addresses together, within ADMIN_LOCK_MIN
    "ADMIN_LOCK_MIN": 15,
}


def load_config(data_dir: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, the data directory's config.json and ``overrides``, in that order."""
    config = dict(DEFAULTS)
    path = Path(data_dir) / "config.json"
    if path.exists():
        try:
            config.update(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:  # JSON or UTF-8: a hand edit went wrong
            from .errors import NodeError

            raise NodeError(f"{path} is not valid JSON ({exc}); fix it, or set values with "
                            "presensi-node config set") from exc
    config.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config["DATA_DIR"] = str(data_dir)
    return config
