"""Central's data directory (docs/contract.md section 2, Contract): where each file lives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CentralPaths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "central.db"

    @property
    def ca_dir(self) -> Path:
        return self.root / "ca"

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca" / "ca.pem"

    @property
    def crl(self) -> Path:
        return self.root / "ca" / "crl.pem"

    @property
    def key(self) -> Path:
        return self.root / "keys" / "central.key"

    @property
    def cert(self) -> Path:
        return self.root / "certs" / "central.pem"

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def secret_files(self) -> list[Path]:
        """What every command refuses to touch while other users can read it (the keys sign
        receipts, rosters and certificates; the database holds every PIN hash and token)."""
        db = str(self.db)
        return [self.key, self.ca_dir / "ca.key", self.db, Path(db + "-wal"), Path(db + "-shm")]
