"""Checking the node's own log: what ``presensi-node verify`` runs.

Reads every row, checks that the indexed columns agree with the signed record, and feeds the
records to the one chain verifier in ``sync.chain``. Works on a database someone tampered with
(triggers dropped, rows edited), which is the point.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.chain import ChainVerifier
from sync.errors import RecordError
from sync.records import parse_canonical


def verify_database(db_path: Path, public_key: Ed25519PublicKey) -> ChainVerifier:
    """Verify the whole log in ``db_path``; RecordError names the first failing seq."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        verifier = ChainVerifier(public_key, node=meta.get("node"), epoch=meta.get("epoch"))
        for seq, hash_, text in conn.execute("SELECT seq, hash, record FROM log ORDER BY seq"):
            record = parse_canonical(text, seq)
            if record.get("seq") != seq:
                raise RecordError(
                    "row-mismatch", f"row {seq} holds the record of seq {record.get('seq')}", seq
                )
            verifier.feed(record)
            if record["hash"] != hash_:
                raise RecordError(
                    "row-mismatch", "the row's hash column differs from the record", seq
                )
    finally:
        conn.close()
    if verifier.count == 0:
        raise RecordError("empty", "the log holds no records")
    return verifier
