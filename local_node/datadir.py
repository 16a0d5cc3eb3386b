"""The node's data directory (docs/contract.md section 2, Contract): where each file lives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class NodePaths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "node.db"

    @property
    def key(self) -> Path:
        return self.root / "keys" / "node.key"

    @property
    def cert(self) -> Path:
        return self.root / "certs" / "node.pem"

    @property
    def ca(self) -> Path:
        return self.root / "certs" / "ca.pem"

    @property
    def central(self) -> Path:
        return self.root / "certs" / "central.pem"

    @property
    def csr(self) -> Path:
        return self.root / "certs" / "node.csr"

    @property
    def crl(self) -> Path:
        return self.root / "certs" / "crl.pem"

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def tls_cert(self) -> Path:
        return self.root / "certs" / "tls.pem"

    @property
    def tls_key(self) -> Path:
        return self.root / "keys" / "tls.key"

    @property
    def secret_files(self) -> list[Path]:
        """What every command refuses to touch while other users can read it (the key signs
        records; the database holds every PIN hash and the kiosk key)."""
        db = str(self.db)
        return [self.key, self.tls_key, self.db, Path(db + "-wal"), Path(db + "-shm")]
