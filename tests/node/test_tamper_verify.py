"""Tampering behind the node's back makes ``presensi-node verify`` fail, naming the seq;
an exported log verifies with openssl alone."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess

import pytest
import rfc8785

from local_node import create_app
from sync.canonical import canonical_bytes
from testkit.factories import run_cli


@pytest.fixture
def busy_node(node_paths, roster):
    app = create_app({"DATA_DIR": str(node_paths.root)})
    c = app.test_client()
    for person in roster[:5]:
        token = c.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]}).json
        assert token is not None
        for kind in ("in", "out"):
            r = c.post(
                "/api/v1/checkins",
                json={"kind": kind},
                headers={"Authorization": f"Bearer {token['token']}"},
            )
            assert r.status_code == 201
    app.extensions["presensi_node"].close()
    return node_paths


def _raw(paths) -> sqlite3.Connection:
    conn = sqlite3.connect(paths.db, isolation_level=None)
    return conn


def test_untouched_log_verifies(busy_node):
    out = run_cli("local_node", "verify", "--data", str(busy_node.root)).stdout
    assert out.startswith("OK: 12 records")


def test_triggers_refuse_update_and_delete(busy_node):
    conn = _raw(busy_node)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE log SET ts = ts WHERE seq = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM log WHERE seq = 3")


def _canonical(rec) -> str:
    # Tampering as a careful forger would: canonical text, so the check under test is the
    # one that fires, not the canonical-form check that comes before it.
    return canonical_bytes(rec).decode("utf-8")


def _drop_triggers(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TRIGGER log_no_update")
    conn.execute("DROP TRIGGER log_no_delete")


def _edit_kind(conn):
    text = conn.execute("SELECT record FROM log WHERE seq = 4").fetchone()[0]
    rec = json.loads(text)
    rec["body"]["kind"] = "in" if rec["body"]["kind"] == "out" else "out"
    conn.execute("UPDATE log SET record = ? WHERE seq = 4", (_canonical(rec),))


def _edit_ts_and_rehash(conn):
    # A smarter admin recomputes the hash too; the signature still gives it away.
    import hashlib

    text = conn.execute("SELECT record FROM log WHERE seq = 4").fetchone()[0]
    rec = json.loads(text)
    rec["ts"] = "2026-01-01T00:00:00.000Z"
    unsigned = {k: v for k, v in rec.items() if k not in ("hash", "sig")}
    rec["hash"] = hashlib.sha256(rfc8785.dumps(unsigned)).hexdigest()
    conn.execute(
        "UPDATE log SET record = ?, hash = ? WHERE seq = 4", (_canonical(rec), rec["hash"])
    )


def _delete(conn):
    conn.execute("DELETE FROM log WHERE seq = 4")


def _insert(conn):
    text = conn.execute("SELECT record FROM log WHERE seq = 4").fetchone()[0]
    rec = json.loads(text)
    rows = conn.execute(
        "SELECT seq, type, ts, hash, nip, day, record FROM log WHERE seq >= 4 ORDER BY seq DESC"
    ).fetchall()
    for row in rows:
        conn.execute("DELETE FROM log WHERE seq = ?", (row[0],))
    rec["body"]["reason"] = "backdated arrival"
    conn.execute(
        "INSERT INTO log VALUES (4, 'checkin', ?, ?, NULL, NULL, ?)",
        (rec["ts"], "f" * 64, _canonical(rec)),
    )
    for row in reversed(rows):
        conn.execute("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?)", (row[0] + 1, *row[1:]))


def _reorder(conn):
    a = conn.execute("SELECT record, hash FROM log WHERE seq = 4").fetchone()
    b = conn.execute("SELECT record, hash FROM log WHERE seq = 5").fetchone()
    conn.execute("DELETE FROM log WHERE seq IN (4, 5)")
    conn.execute(
        "INSERT INTO log (seq, type, ts, hash, record) VALUES (4, 'checkin', '', ?, ?)",
        (b[1], b[0]),
    )
    conn.execute(
        "INSERT INTO log (seq, type, ts, hash, record) VALUES (5, 'checkin', '', ?, ?)",
        (a[1], a[0]),
    )


@pytest.mark.parametrize(
    "tamper,reason",
    [
        (_edit_kind, "bad-hash"),
        (_edit_ts_and_rehash, "bad-signature"),
        (_delete, "gap"),
        (_insert, "bad-hash"),
        (_reorder, "row-mismatch"),
    ],
    ids=["edit", "edit-and-rehash", "delete", "insert", "reorder"],
)
def test_tampering_fails_verify_with_the_seq(busy_node, tamper, reason):
    conn = _raw(busy_node)
    _drop_triggers(conn)
    tamper(conn)
    conn.close()
    result = run_cli("local_node", "verify", "--data", str(busy_node.root), check=False)
    assert result.returncode == 1, result.stdout
    assert "seq " in result.stderr and f"[{reason}]" in result.stderr, result.stderr


def test_export_verifies_with_openssl_alone(busy_node, tmp_path):
    exported = run_cli("local_node", "export", "--data", str(busy_node.root)).stdout
    lines = exported.splitlines()
    assert len(lines) == 12
    ca, cert = busy_node.ca, busy_node.cert
    ok = subprocess.run(
        ["openssl", "verify", "-CAfile", str(ca), str(cert)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and ": OK" in ok.stdout
    pub = tmp_path / "node-pub.pem"
    subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-pubkey", "-noout", "-out", str(pub)], check=True
    )
    prev = "0" * 64
    for i, line in enumerate(lines):
        rec = json.loads(line)
        assert rec["seq"] == i and rec["prev"] == prev
        # An independent RFC 8785 implementation, not ours, makes the signed bytes.
        canon = rfc8785.dumps({k: v for k, v in rec.items() if k not in ("hash", "sig")})
        (tmp_path / "canon.bin").write_bytes(canon)
        digest = subprocess.run(
            ["openssl", "dgst", "-sha256", "-r", str(tmp_path / "canon.bin")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[0]
        assert digest == rec["hash"]
        assert _openssl_verifies(pub, canon, base64.b64decode(rec["sig"]), tmp_path)
        prev = rec["hash"]
    # A flipped byte in one signature is caught by openssl as well.
    rec = json.loads(lines[3])
    canon = rfc8785.dumps({k: v for k, v in rec.items() if k not in ("hash", "sig")})
    sig = bytearray(base64.b64decode(rec["sig"]))
    assert _openssl_verifies(pub, canon, bytes(sig), tmp_path)
    sig[0] ^= 1
    assert not _openssl_verifies(pub, canon, bytes(sig), tmp_path)


def _openssl_verifies(pub, canon: bytes, sig: bytes, tmp_path) -> bool:
    """``openssl pkeyutl -verify -rawin``: Ed25519 over the canonical bytes, no Python crypto."""
    (tmp_path / "canon.bin").write_bytes(canon)
    (tmp_path / "sig.bin").write_bytes(sig)
    res = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(pub),
            "-rawin",
            "-in",
            str(tmp_path / "canon.bin"),
            "-sigfile",
            str(tmp_path / "sig.bin"),
        ],
        capture_output=True,
        text=True,
    )
    return res.returncode == 0


def test_export_since(busy_node):
    out = run_cli("local_node", "export", "--data", str(busy_node.root), "--since", "10").stdout
    assert [json.loads(x)["seq"] for x in out.splitlines()] == [10, 11]


def test_backup_restores_to_a_log_that_verifies(busy_node, tmp_path):
    backup = tmp_path / "backup.db"
    run_cli("local_node", "backup", "--data", str(busy_node.root), "--out", str(backup))
    restored = tmp_path / "restored"
    restored.mkdir()
    (restored / "node.db").write_bytes(backup.read_bytes())
    # As a restore must (docs/deployment.md): the log stays private. Set explicitly, because
    # the process umask depends on which in-process CLI test ran before this one.
    (restored / "node.db").chmod(0o600)
    for sub in ("keys", "certs"):
        (restored / sub).symlink_to(busy_node.root / sub)
    out = run_cli("local_node", "verify", "--data", str(restored)).stdout
    assert out.startswith("OK: 12 records")
    again = run_cli(
        "local_node", "backup", "--data", str(busy_node.root), "--out", str(backup), check=False
    )
    assert again.returncode == 2 and "already exists" in again.stderr
