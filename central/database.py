"""Which database central uses, and opening it: SQLite by default, PostgreSQL when configured.

``presensi-central init --database postgresql://...`` records the URL in the data directory's
``config.json`` (``DATABASE_URL``) with any password moved to ``database.password`` (mode
0600) beside it, so every later command needs only ``--data``. ``serve`` and ``migrate`` may
override the URL with ``--database`` or ``PRESENSI_DATABASE_URL``.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from .config import load_config
from .datadir import CentralPaths
from .errors import SetupError
from .store.protocol import CentralStore
from .store.sqlite import SqliteStore

PASSWORD_FILE = "database.password"
READ_PASSWORD_FILE = "read-database.password"
SCHEMES = ("postgresql", "postgres")


def split_password(url: str) -> tuple[str, str | None]:
    """The URL without its password (in the user part or the query), and the password."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise SetupError(f"--database must be a postgresql:// URL, not {url.split(':')[0]!r}")
    password = unquote(parts.password) if parts.password is not None else None
    netloc = parts.netloc.rpartition("@")[2]
    if parts.username is not None:
        netloc = f"{quote(unquote(parts.username), safe='')}@{netloc}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(key == "password" for key, _ in pairs):
        password = next(value for key, value in pairs if key == "password")
        query = urlencode([(key, value) for key, value in pairs if key != "password"])
    # Written out by hand: urlunsplit drops the "//" of an empty host (a Unix socket URL).
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else ""), password


def record_database(paths: CentralPaths, url: str, *, read: bool = False) -> str:
    """Write ``DATABASE_URL`` (``read``: ``READ_DATABASE_URL``, the replica reports read) to
    ``config.json`` and the password (if any) to a 0600 file beside it.

    Returns the URL as recorded (without the password). Refuses to point a central that
    already keeps its data somewhere (``central.db`` or another URL) at a new database: its
    nodes, receipts and records would silently be left behind.
    """
    bare, password = split_password(url)
    paths.root.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {}
    if paths.config.exists():
        config = json.loads(paths.config.read_text(encoding="utf-8"))
    key = "READ_DATABASE_URL" if read else "DATABASE_URL"
    if not read and config.get(key) is None and paths.db.exists():
        raise SetupError(
            f"{paths.db} exists: this central keeps its data in SQLite; use "
            "another data directory for PostgreSQL"
        )
    if config.get(key) not in (None, bare):
        raise SetupError(
            f"this central already uses {config[key]}; to move it, change "
            f"{key} in {paths.config} after moving the data"
        )
    config[key] = bare
    secret = paths.root / (READ_PASSWORD_FILE if read else PASSWORD_FILE)
    if password is not None:
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(password)
        os.chmod(secret, 0o600)
    elif secret.exists():
        secret.unlink()
    tmp = paths.config.with_suffix(".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    tmp.replace(paths.config)
    return bare


def database_url(config: dict[str, Any]) -> str | None:
    url = config.get("DATABASE_URL")
    return str(url) if url else None


def describe(paths: CentralPaths, config: dict[str, Any] | None = None) -> str:
    """Where central's data lives, for messages (never with a password)."""
    url = database_url(config if config is not None else load_config(paths.root))
    return split_password(url)[0] if url else str(paths.db)


def is_created(paths: CentralPaths, config: dict[str, Any] | None = None) -> bool:
    """SQLite: ``central.db`` exists. PostgreSQL: a URL is configured (the server checks the
    rest: connection, schema and central id)."""
    url = database_url(config if config is not None else load_config(paths.root))
    return bool(url) or paths.db.exists()


def open_store(paths: CentralPaths, config: dict[str, Any] | None = None) -> CentralStore:
    """The store ``config`` (default: the data directory's configuration) names."""
    if config is None:
        config = load_config(paths.root)
    url = database_url(config)
    if url is None:
        return SqliteStore(paths.db)
    return _postgres(paths, config, url, PASSWORD_FILE, read_only=False)


def open_read_store(paths: CentralPaths, config: dict[str, Any]) -> CentralStore | None:
    """The read replica ``READ_DATABASE_URL`` names (read-only sessions), or None."""
    url = config.get("READ_DATABASE_URL")
    if not url:
        return None
    return _postgres(paths, config, str(url), READ_PASSWORD_FILE, read_only=True)


def _postgres(
    paths: CentralPaths, config: dict[str, Any], url: str, password_file: str, *, read_only: bool
) -> CentralStore:
    from .store.postgresql import PostgresStore  # psycopg only where PostgreSQL is used

    bare, password = split_password(url)
    secret = paths.root / password_file
    if password is None and secret.exists():
        password = secret.read_text(encoding="utf-8")
    return PostgresStore(
        bare,
        password=password,
        read_only=read_only,
        pool_size=int(config.get("DATABASE_POOL_SIZE") or 16),
        timeout=float(config.get("DATABASE_TIMEOUT_S") or 10),
    )
