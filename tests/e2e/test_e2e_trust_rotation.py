"""Trust that can change, with real central and node processes and the real commands:
the district CA rotated with an overlap (old nodes keep pushing while new ones enroll under
the new CA, until the old CA is retired), and central's receipt key rotated (nodes adopt the
new key from an announcement signed by the old one, and refuse a forged one)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

import pytest

from central.identity import central_public_key
from certs.authority import load_cert, load_crl
from certs.keys import generate_key
from certs.verify import fingerprint_sha256
from local_node.datadir import NodePaths
from sync.keyannounce import make_announcement, raw_key
from sync.receipts import verify_receipt
from testkit.factories import REPO, CentralProcess, CentralSetup, enroll_node, run_cli
from tests.e2e.conftest import node_log

pytestmark = pytest.mark.slow


def _new_record_and_sync(paths: NodePaths, check: bool = True):
    """Something to push (the kiosk command appends an admin record), then one sync."""
    run_cli("local_node", "kiosk", "--data", str(paths.root), "--rotate")
    return run_cli("local_node", "sync", "--data", str(paths.root), check=check)


def _restart(central: CentralProcess, setup: CentralSetup, *command: str) -> CentralProcess:
    """Stop central, run a ``presensi-central`` command, start it on the same port."""
    central.stop()
    run_cli("central", *command, "--data", str(setup.data))
    return CentralProcess(setup.data, port=central.port).start()


def _held(setup: CentralSetup, name: str) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{setup.data / 'central.db'}?mode=ro", uri=True)
    try:
        return int(
            conn.execute("SELECT count(*) FROM records WHERE node = ?", (name,)).fetchone()[0]
        )
    finally:
        conn.close()


def test_ca_rotation_with_overlap_then_retirement(
    tmp_path: Path, central_setup: CentralSetup
) -> None:
    central = CentralProcess(central_setup.data).start()
    try:
        old_node = enroll_node(central_setup, central.url, tmp_path, "kec-alalak")
        old_ca = fingerprint_sha256(load_cert(old_node.ca))
        central = _restart(central, central_setup, "ca", "rotate")
        new_node = enroll_node(central_setup, central.url, tmp_path, "kec-tamban")
        new_ca = fingerprint_sha256(load_cert(new_node.ca))
        assert new_ca != old_ca
        assert fingerprint_sha256(load_cert(central_setup.data / "ca" / "ca.pem")) == new_ca
        # The overlap: both push, each verified against the CA that issued its certificate.
        for paths in (old_node, new_node):
            before = _held(central_setup, paths.root.name)
            _new_record_and_sync(paths)
            assert _held(central_setup, paths.root.name) > before
        listed = run_cli("central", "ca", "list", "--data", str(central_setup.data)).stdout
        assert f"current   {new_ca}" in listed and f"previous  {old_ca}" in listed
        # The end of the overlap: the old CA's nodes are refused, the new CA's are not.
        central = _restart(central, central_setup, "ca", "retire", "--ca", old_ca[:16])
        refused = _new_record_and_sync(old_node, check=False)
        assert refused.returncode == 2 and "403" in refused.stderr, refused.stderr
        assert "certificate-invalid" in refused.stderr
        _new_record_and_sync(new_node)
    finally:
        central.kill()


def test_revoking_a_node_of_the_previous_ca(tmp_path: Path, central_setup: CentralSetup) -> None:
    central = CentralProcess(central_setup.data).start()
    try:
        old_node = enroll_node(central_setup, central.url, tmp_path, "kec-alalak")
        central = _restart(central, central_setup, "ca", "rotate")
        run_cli(
            "central", "node", "revoke", "--data", str(central_setup.data), "--name", "kec-alalak"
        )
        [previous] = list((central_setup.data / "ca" / "previous").iterdir())
        crl = load_crl(previous)
        assert crl is not None
        serial = load_cert(old_node.cert).serial_number
        assert crl.get_revoked_certificate_by_serial_number(serial) is not None
        refused = _new_record_and_sync(old_node, check=False)
        assert refused.returncode == 2 and "revoked" in refused.stderr
    finally:
        central.kill()


def _lower_after(setup: CentralSetup, paths: NodePaths, seq: int) -> str | None:
    """The lower time bound central stored for the record right after ``seq``."""
    import sqlite3

    conn = sqlite3.connect(f"file:{setup.data / 'central.db'}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT lower_ts FROM records WHERE node = ? AND seq = ?", (paths.root.name, seq + 1)
        ).fetchone()
    finally:
        conn.close()
    return None if row is None else row[0]


def _recipe(
    tmp_path: Path, paths: NodePaths, central_pem: Path, lines: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """docs/protocol.md's verify-log.sh over the node's exported log (or ``lines``)."""
    text = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- verify-log\.sh begins[^\n]*-->\n```sh\n(.*?)```\n", text, re.S)
    assert match
    script = tmp_path / "verify-log.sh"
    script.write_text(match.group(1))
    log = tmp_path / "check.jsonl"
    if lines is None:
        lines = run_cli("local_node", "export", "--data", str(paths.root)).stdout.splitlines()
    log.write_text("\n".join(lines) + "\n")
    return subprocess.run(
        ["sh", str(script), str(log), str(paths.cert), str(central_pem), str(paths.ca)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _anchors(paths: NodePaths) -> list[dict]:
    return [r["body"]["receipt"] for r in node_log(paths) if r["type"] == "anchor"]


def _key_records(paths: NodePaths) -> list[dict]:
    return [
        r
        for r in node_log(paths)
        if r["type"] == "admin" and r["body"].get("action") == "central-key"
    ]


def test_receipt_key_rotation(tmp_path: Path, central_setup: CentralSetup) -> None:
    central = CentralProcess(central_setup.data).start()
    try:
        node = enroll_node(central_setup, central.url, tmp_path, "kec-alalak")
        late = enroll_node(central_setup, central.url, tmp_path, "kec-tamban")
        old_key = central_public_key(node.central)
        assert len(_anchors(node)) == 1
        central = _restart(central, central_setup, "key", "rotate")
        new_key = central_public_key(central_setup.data / "certs" / "central.pem")
        assert raw_key(new_key) != raw_key(old_key)

        _new_record_and_sync(node)
        assert raw_key(central_public_key(node.central)) == raw_key(new_key)
        [adopted] = _key_records(node)
        assert adopted["body"]["announcement"]["old_key"] == raw_key(old_key)
        first, last = _anchors(node)[0], _anchors(node)[-1]
        verify_receipt(first, old_key)
        verify_receipt(last, new_key)
        run_cli("local_node", "verify", "--data", str(node.root))
        _new_record_and_sync(node)  # the new key is simply trusted now
        assert len(_key_records(node)) == 1
        # The anchor signed before the rotation, pushed after it, still proves its time.
        old_anchor = next(r for r in node_log(node) if r["type"] == "anchor")
        assert _lower_after(central_setup, node, old_anchor["seq"]) == first["server_ts"]
        # An independent verifier follows the key change with openssl alone, starting from
        # the central.pem the node was enrolled with (kept as certs/central-FP.pem).
        [enrolled_pem] = [p for p in node.central.parent.glob("central-*.pem")]
        assert raw_key(central_public_key(enrolled_pem)) == raw_key(old_key)
        ok = _recipe(tmp_path, node, enrolled_pem)
        assert ok.returncode == 0, ok.stderr
        lines = (tmp_path / "check.jsonl").read_text().splitlines()
        key_line = next(i for i, line in enumerate(lines) if '"central-key"' in line)
        bad = _recipe(tmp_path, node, enrolled_pem, lines[:key_line] + lines[key_line + 1 :])
        assert bad.returncode == 1  # without the announcement the new receipts do not verify

        # A forged announcement (someone else's key claiming to succeed the old one) next to
        # nothing genuine: the node refuses the receipt and keeps trusting the old key.
        keys_file = central_setup.data / "certs" / "central-keys.json"
        genuine = keys_file.read_text()
        forger = generate_key()
        doc = json.loads(genuine)[0]
        forged = dict(doc, sig=base64.b64encode(forger.sign(b"x")).decode())
        keys_file.write_text(json.dumps([forged]))
        refused = _new_record_and_sync(late, check=False)
        assert refused.returncode == 2 and "receipt" in refused.stderr, refused.stderr
        assert raw_key(central_public_key(late.central)) == raw_key(old_key)
        assert _key_records(late) == []
        keys_file.write_text(genuine)
        _new_record_and_sync(late)
        assert raw_key(central_public_key(late.central)) == raw_key(new_key)
        assert len(_key_records(late)) == 1
        # A node enrolled after the rotation knows only the new key: the roster it pulls
        # was signed again with that key by the rotation (enroll_node syncs once).
        fresh = enroll_node(central_setup, central.url, tmp_path, "kec-wanaraya")
        rosters = [r for r in node_log(fresh) if r["type"] == "roster"]
        assert rosters and rosters[-1]["body"]["source"] == "central"
        assert _key_records(fresh) == []
    finally:
        central.kill()


def test_an_announcement_under_another_key_is_ignored(tmp_path: Path) -> None:
    """Signed by a key the node never trusted: not a step of its chain."""
    from certs.authority import init_ca, issue_certificate
    from sync.keyannounce import KeyAnnouncementError, follow_announcements

    ca = init_ca(tmp_path / "ca")
    trusted, other, new = generate_key(), generate_key(), generate_key()
    cert = issue_certificate(ca, new.public_key(), "central-batola", role="central")
    doc = make_announcement(
        central="central-batola", old_key=other, new_cert=cert, issued_ts="2026-12-01T00:00:00.000Z"
    )
    assert follow_announcements(trusted.public_key(), [doc]) == []
    claimed = dict(doc, old_key=raw_key(trusted.public_key()))
    with pytest.raises(KeyAnnouncementError, match="not signed by it"):
        follow_announcements(trusted.public_key(), [claimed])
