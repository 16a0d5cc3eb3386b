"""The nightly backup: an online copy of ``node.db`` that is checked before old ones go.

``presensi-node backup --data DIR --dir BACKUPS --keep N --verify`` (run by
``scripts/systemd/presensi-node-backup.timer``) writes ``BACKUPS/node-NODE-STAMP.db`` with
SQLite's online backup API while the node keeps serving, then verifies the copy: SQLite's
integrity check, every record's hash, signature and chain link (the same verifier as
``presensi-node verify``), and that its head is a record of the live log. Only a backup that
verified lets the backups older than N days be deleted, so a run that failed never thins out
the good ones.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certs.keys import load_private_key
from sync.errors import RecordError

from .audit import verify_database
from .datadir import NodePaths
from .errors import NodeError, StorageError
from .store import Store

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_NAME_RE = re.compile(r"^node-(?P<node>[a-z0-9-]{3,40})-(?P<stamp>\d{8}T\d{6}Z)(-\d+)?\.db$")


class BackupError(NodeError):
    """A backup was written but does not verify; it was renamed ``*.failed`` and kept."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    head_seq: int
    verified: bool
    removed: list[Path]


def node_public_key(paths: NodePaths) -> Ed25519PublicKey:
    """The key records are checked with: the certificate's, or the private key's half."""
    if paths.cert.exists():
        public = x509.load_pem_x509_certificate(paths.cert.read_bytes()).public_key()
    else:
        public = load_private_key(paths.key).public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise NodeError(f"{paths.cert} does not hold an Ed25519 key")
    return public


def backup_path(directory: Path, node: str, at: datetime) -> Path:
    """``node-NODE-STAMP.db``, with ``-2``, ``-3``... for a second run in the same second."""
    stem = f"node-{node}-{at.astimezone(UTC).strftime(STAMP_FORMAT)}"
    path, n = directory / f"{stem}.db", 1
    while path.exists() or path.with_name(path.name + ".failed").exists():
        n += 1
        path = directory / f"{stem}-{n}.db"
    return path


def _single_file(path: Path) -> None:
    """The copy inherits WAL mode; a backup is one self-contained file (no -wal, -shm)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def verify_backup(path: Path, live: Store, public: Ed25519PublicKey, min_seq: int) -> int:
    """Check a backup file; return its head seq. Raises BackupError saying what is wrong."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc
    finally:
        conn.close()
    if check != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {check}")
    try:
        chain = verify_database(path, public)
    except RecordError as exc:
        raise BackupError(f"{path} does not verify: {exc} [{exc.reason}]") from exc
    head_seq = chain.next_seq - 1
    if head_seq < min_seq:
        raise BackupError(
            f"{path} ends at seq {head_seq}, the live log had {min_seq} before the backup started"
        )
    row = live.conn().execute("SELECT hash FROM log WHERE seq = ?", (head_seq,)).fetchone()
    if row is None or row[0] != chain.head:
        raise BackupError(f"{path} head seq {head_seq} is not the live log's record there")
    return head_seq


def prune(directory: Path, node: str, *, keep_days: int, now: datetime, keep: Path) -> list[Path]:
    """Delete this node's backups older than ``keep_days`` (never ``keep``); return them."""
    cutoff = now - timedelta(days=keep_days)
    removed = []
    for path in sorted(directory.iterdir()):
        match = _NAME_RE.match(path.name)
        if not match or match["node"] != node or path == keep:
            continue
        made = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
        if made < cutoff:
            path.unlink()
            removed.append(path)
    return removed


def nightly_backup(
    paths: NodePaths,
    directory: Path,
    *,
    keep_days: int | None,
    verify: bool,
    now: datetime | None = None,
) -> BackupResult:
    """Write a dated backup into ``directory``; verify it; prune old ones (needs ``verify``)."""
    if keep_days is not None and not verify:
        raise NodeError(
            "--keep needs --verify: old backups are deleted only after a new one has verified"
        )
    if keep_days is not None and keep_days < 1:
        raise NodeError("--keep must be at least 1 day")
    if not paths.db.exists():
        raise NodeError(f"{paths.db} does not exist; run presensi-node init")
    at = now or datetime.now(UTC)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    live = Store(paths.db)
    try:
        node = live.meta("node")
        head = live.head()
        if not node or head is None:
            raise NodeError(f"{paths.db} holds no log; run presensi-node init")
        target = backup_path(directory, node, at)
        live.backup(target)
        target.chmod(0o600)  # PIN hashes and the evidence: as private as node.db itself
        _single_file(target)
        if not verify:
            return BackupResult(target, head[0], False, [])
        try:
            head_seq = verify_backup(target, live, node_public_key(paths), head[0])
        except BackupError:
            target.replace(target.with_name(target.name + ".failed"))
            raise
    except sqlite3.Error as exc:
        raise StorageError(f"backup failed: {exc}") from exc
    finally:
        live.close()
    removed = (
        []
        if keep_days is None
        else prune(directory, node, keep_days=keep_days, now=at, keep=target)
    )
    return BackupResult(target, head_seq, True, removed)
