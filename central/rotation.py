"""Trust that can change: several district CAs at once, and a new receipt key for central.

CA rotation with an overlap. ``ca/`` always holds the current CA, which issues every new
certificate. ``presensi-central ca rotate`` moves it, whole (key, CRL, ``issued/``), into
``ca/previous/STAMP/`` and makes a new one there; central's own certificate is issued again
by the new CA for the same key, so receipts do not change. Central accepts node certificates
from the current CA and from every CA in ``ca/previous/``: nodes enrolled before keep
pushing while new ones are enrolled under the new CA. ``ca retire`` ends the overlap
(``ca/retired/``): from then on the old CA's nodes are refused until enrolled again.
Revoking a node revokes it under every CA that issued it a certificate.

Receipt key rotation: ``presensi-central key rotate`` makes a new key and certificate and
appends to ``certs/central-keys.json`` an announcement signed by the old key
(``sync.keyannounce``); ``GET /api/v1/central-keys`` serves that list. A node that gets a
receipt or roster its key does not verify follows the announcements from the key it trusts.

Both commands change files the server loaded at start: run them with central stopped, then
start it (``systemctl stop presensi-central``, the command, ``systemctl start``).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certs._atomic import replace_file
from certs.authority import (
    cert_pem,
    init_ca,
    issue_certificate,
    load_ca,
    load_cert,
    load_crl,
    revoke,
)
from certs.errors import CertError, NotSignedByCA
from certs.keys import generate_key, load_private_key, save_private_key, write_pem
from certs.verify import fingerprint_sha256, verify_certificate
from sync.canonical import canonical_bytes
from sync.keyannounce import make_announcement
from sync.rosterdoc import make_roster_doc
from sync.timefmt import format_ts, wall_ts

from .datadir import CentralPaths
from .errors import SetupError
from .identity import CentralIdentity
from .store.protocol import CentralStore

_CA_FILES = ("ca.pem", "ca.key", "crl.pem", "revoked.json", "issued")


def previous_dir(paths: CentralPaths) -> Path:
    return paths.ca_dir / "previous"


def announcements_path(paths: CentralPaths) -> Path:
    return paths.root / "certs" / "central-keys.json"


# --- which CAs central trusts --------------------------------------------------------------


class TrustList:
    """The CAs whose node certificates central accepts: the current CA first, then those in
    ``ca/previous/``, re-read when that directory or a CRL changes (another process)."""

    def __init__(self, identity: CentralIdentity) -> None:
        self.identity = identity
        self._lock = threading.Lock()
        self._previous: tuple[int, list[Path]] | None = None
        self._loaded: dict[
            Path, tuple[int, x509.Certificate, x509.CertificateRevocationList | None]
        ] = {}

    def _previous_dirs(self) -> list[Path]:
        root = previous_dir(self.identity.paths)
        try:
            mtime = os.stat(root).st_mtime_ns
        except FileNotFoundError:
            return []
        with self._lock:
            if self._previous is None or self._previous[0] != mtime:
                dirs = sorted(p for p in root.iterdir() if (p / "ca.pem").exists())
                self._previous = (mtime, dirs)
            return self._previous[1]

    def _load(
        self, directory: Path
    ) -> tuple[x509.Certificate, x509.CertificateRevocationList | None]:
        try:
            mtime = os.stat(directory / "crl.pem").st_mtime_ns
        except FileNotFoundError:
            mtime = 0
        with self._lock:
            held = self._loaded.get(directory)
            if held is None or held[0] != mtime:
                held = (mtime, load_cert(directory / "ca.pem"), load_crl(directory))
                self._loaded[directory] = held
            return held[1], held[2]

    def issued(self, name: str) -> list[Path]:
        """Certificate files the trusted CAs issued under ``name`` (the offline path: a CSR
        signed with ``presensi-ca issue``, perhaps before the CA was rotated)."""
        dirs = [self.identity.paths.ca_dir, *self._previous_dirs()]
        return [p for d in dirs for p in sorted((d / "issued").glob(f"{name}-*.pem"))]

    def cas(self) -> list[tuple[x509.Certificate, x509.CertificateRevocationList | None]]:
        current = (self.identity.ca_cert, self.identity.crl())
        return [current] + [self._load(d) for d in self._previous_dirs()]

    def verify(self, cert: x509.Certificate, name: str) -> None:
        """Check ``cert`` against the CA that issued it; raise the CertError that applies."""
        refusal: CertError | None = None
        for ca_cert, crl in self.cas():
            try:
                verify_certificate(cert, ca_cert, crl=crl, name=name)
                return
            except NotSignedByCA as exc:  # another CA's: try the next one
                refusal = refusal or exc
        assert refusal is not None
        raise refusal


def revoke_everywhere(paths: CentralPaths, name: str) -> list[Path]:
    """Revoke ``name`` under every CA (current and previous) that issued it a certificate;
    return the CA directories whose CRL changed. CertError when none ever did."""
    changed = []
    for directory in [paths.ca_dir, *sorted(previous_dir(paths).glob("*"))]:
        if not any((directory / "issued").glob(f"{name}-*.pem")):
            continue
        try:
            revoke(load_ca(directory), name)
        except CertError:
            continue  # only certificates of similar names ("kec-a-b" for "kec-a")
        changed.append(directory)
    if not changed:
        raise CertError(f"No CA of this central has issued a certificate to {name!r}.")
    return changed


# --- CA rotation -----------------------------------------------------------------------------


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _reissue_central_cert(paths: CentralPaths, identity: CentralIdentity) -> x509.Certificate:
    cert = issue_certificate(
        load_ca(paths.ca_dir), identity.public_key, identity.name, role="central"
    )
    write_pem(paths.cert, cert_pem(cert))
    return cert


def rotate_ca(paths: CentralPaths, identity: CentralIdentity) -> tuple[str, str, Path]:
    """Keep the current CA as a previous one, make a new current CA, re-certify central.
    Returns (old CA fingerprint, new CA fingerprint, where the old CA went)."""
    old = load_ca(paths.ca_dir)
    target = previous_dir(paths) / f"{_stamp()}-{fingerprint_sha256(old.cert)[:12]}"
    staging = target.with_name(target.name + ".partial")
    staging.mkdir(parents=True, mode=0o700)
    for item in _CA_FILES:
        if (paths.ca_dir / item).exists():
            os.replace(paths.ca_dir / item, staging / item)
    os.replace(staging, target)  # the old CA is trusted from here on
    new = init_ca(paths.ca_dir)
    _reissue_central_cert(paths, identity)
    return fingerprint_sha256(old.cert), fingerprint_sha256(new.cert), target


def list_cas(paths: CentralPaths) -> list[dict[str, Any]]:
    rows = [
        {
            "state": "current",
            "dir": str(paths.ca_dir),
            "sha256": fingerprint_sha256(load_cert(paths.ca_cert)),
        }
    ]
    for state, root in (("previous", previous_dir(paths)), ("retired", paths.ca_dir / "retired")):
        for directory in sorted(root.glob("*")):
            if (directory / "ca.pem").exists():
                rows.append(
                    {
                        "state": state,
                        "dir": str(directory),
                        "sha256": fingerprint_sha256(load_cert(directory / "ca.pem")),
                    }
                )
    return rows


def retire_ca(paths: CentralPaths, fingerprint: str) -> Path:
    """Stop trusting the previous CA whose SHA-256 fingerprint starts with ``fingerprint``."""
    if len(fingerprint) < 8:
        raise SetupError("give at least 8 hex digits of the CA's fingerprint (ca list)")
    matches = [
        d
        for d in sorted(previous_dir(paths).glob("*"))
        if (d / "ca.pem").exists()
        and fingerprint_sha256(load_cert(d / "ca.pem")).startswith(fingerprint.lower())
    ]
    if len(matches) != 1:
        raise SetupError(f"{len(matches)} previous CAs match {fingerprint!r}; see ca list")
    retired = paths.ca_dir / "retired"
    retired.mkdir(mode=0o700, exist_ok=True)
    target = retired / matches[0].name
    os.replace(matches[0], target)
    return target


# --- receipt key rotation --------------------------------------------------------------------


def announcements(paths: CentralPaths) -> list[dict[str, Any]]:
    path = announcements_path(paths)
    if not path.exists():
        return []
    docs = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(docs, list):
        raise SetupError(f"{path} must hold a JSON list")
    return docs


def earlier_receipt_keys(paths: CentralPaths) -> tuple[Ed25519PublicKey, ...]:
    """The keys central signed receipts with before its rotations (newest first)."""
    keys = []
    for doc in reversed(announcements(paths)):
        raw = base64.b64decode(doc["old_key"]) if isinstance(doc, dict) else b""
        if len(raw) == 32:
            keys.append(Ed25519PublicKey.from_public_bytes(raw))
    return tuple(keys)


def rotate_key(paths: CentralPaths, identity: CentralIdentity) -> dict[str, Any]:
    """A new receipt key and certificate; the announcement, signed by the old key, appended
    to ``certs/central-keys.json`` before the old key is replaced. Returns the announcement."""
    staged = paths.key.with_name("central.next.key")
    if staged.exists():
        raise SetupError(
            f"{staged} exists: an earlier rotation stopped half way; check "
            "which key certs/central.pem holds, then remove the other file"
        )
    new_key = generate_key()
    save_private_key(new_key, staged)
    cert = issue_certificate(
        load_ca(paths.ca_dir), new_key.public_key(), identity.name, role="central"
    )
    doc = make_announcement(
        central=identity.name,
        old_key=load_private_key(paths.key),
        new_cert=cert,
        issued_ts=format_ts(datetime.now(UTC)),
    )
    docs = [*announcements(paths), doc]
    replace_file(
        announcements_path(paths),
        (json.dumps(docs, indent=1, ensure_ascii=False) + "\n").encode(),
        0o644,
    )
    old_cert = paths.cert.with_name(f"central-{fingerprint_sha256(identity.cert)[:12]}.pem")
    shutil.copyfile(paths.cert, old_cert)  # receipts in nodes' anchors were made with it
    os.replace(staged, paths.key)
    write_pem(paths.cert, cert_pem(cert))
    return doc


def resign_roster(
    store: CentralStore, central: str, key: Ed25519PrivateKey, now: float
) -> int | None:
    """The newest roster again as the next version, signed with ``key`` (the new receipt
    key): a node enrolled after the rotation knows only the new key and could not verify
    the old signature. Returns the new version, or None when there is no roster."""
    latest = store.latest_roster()
    if latest is None:
        return None
    employees = store.employees()
    version, issued = latest.version + 1, wall_ts(now)
    doc = make_roster_doc(
        central=central,
        version=version,
        issued_ts=issued,
        key=key,
        employees=[
            {"nip": e.nip, "name": e.name, "unit": e.unit, "role": e.role, "pin_hash": e.pin_hash}
            for e in employees
        ],
    )
    store.install_roster(version, issued, canonical_bytes(doc).decode("utf-8"), employees, now)
    return version
