"""Verification without our code: receipts, records and request signatures checked with the
real ``openssl`` command line, canonical bytes from the independent ``rfc8785`` package and
from ``jq``, and the shell recipe of docs/protocol.md run verbatim on an exported log."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from certs.keys import load_private_key
from local_node.config import load_config
from local_node.datadir import NodePaths
from local_node.identity import load_identity
from local_node.service import NodeService
from sync import records
from testkit.factories import REPO, run_cli
from testkit.faultproxy import FaultProxy, split_requests
from tests.e2e.conftest import NODE

pytestmark = pytest.mark.slow

DEL_TEXT = "ruang\x7frapat"  # U+007F: the one character jq writes differently
LITERAL_TEXT = "teks \\u007f biasa"  # a backslash and "u007f": must stay as it is


def _run(
    *args: str,
    data: bytes | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, input=data, capture_output=True, timeout=60, cwd=cwd)


def _openssl_verify(pub: Path, data: bytes, sig: bytes, work: Path) -> bool:
    (work / "data.bin").write_bytes(data)
    (work / "sig.bin").write_bytes(sig)
    out = _run(
        "openssl",
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        str(pub),
        "-rawin",
        "-in",
        str(work / "data.bin"),
        "-sigfile",
        str(work / "sig.bin"),
    )
    verified = out.returncode == 0 and b"Signature Verified Successfully" in out.stdout
    assert verified or out.returncode != 0  # openssl's answer and its exit status agree
    return verified


def _pubkey(cert: Path, out: Path) -> Path:
    result = _run("openssl", "x509", "-pubkey", "-noout", "-in", str(cert))
    assert result.returncode == 0, result.stderr
    out.write_bytes(result.stdout)
    return out


@pytest.fixture
def exported(node_paths: NodePaths) -> list[str]:
    """The node's whole log after check-ins with awkward text, pushed and anchored twice."""
    svc = NodeService(load_config(node_paths.root), node_paths, load_identity(node_paths, NODE))
    try:
        for presence in (DEL_TEXT, LITERAL_TEXT, "Kantor Camat Alalak — lantai 2"):
            svc.append(
                "checkin",
                {
                    "nip": "198501012010011001",
                    "kind": "in",
                    "method": "app",
                    "device": "independent-01",
                    "client_ts": None,
                    "presence": presence,
                },
                nip="198501012010011001",
            )
    finally:
        svc.close()
    run_cli("local_node", "sync", "--data", str(node_paths.root))
    lines = run_cli("local_node", "export", "--data", str(node_paths.root)).stdout.splitlines()
    assert sum('"type":"anchor"' in line for line in lines) >= 2
    return lines


def test_receipts_records_and_requests_verify_with_openssl(
    tmp_path: Path, node_paths: NodePaths, proxy: FaultProxy, exported: list[str]
) -> None:
    _receipts(tmp_path, node_paths, exported)
    _records(tmp_path, node_paths, exported)
    _request_signature(tmp_path, node_paths, proxy)


def _receipts(tmp_path: Path, node_paths: NodePaths, exported: list[str]) -> None:
    pub = _pubkey(node_paths.central, tmp_path / "central.pub")
    anchors = [json.loads(line) for line in exported if '"type":"anchor"' in line]
    for anchor in anchors:
        receipt: dict[str, Any] = anchor["body"]["receipt"]
        canon = rfc8785.dumps({k: v for k, v in receipt.items() if k != "sig"})
        sig = base64.b64decode(receipt["sig"])
        assert _openssl_verify(pub, canon, sig, tmp_path), receipt
        # ...and openssl really checks: another server_ts, or another key, does not verify.
        moved = rfc8785.dumps(
            {k: v for k, v in receipt.items() if k != "sig"}
            | {"server_ts": "2020-01-01T00:00:00.000Z"}
        )
        assert not _openssl_verify(pub, moved, sig, tmp_path)
        node_pub = _pubkey(node_paths.cert, tmp_path / "node.pub")
        assert not _openssl_verify(node_pub, canon, sig, tmp_path)


def _records(tmp_path: Path, node_paths: NodePaths, exported: list[str]) -> None:
    pub = _pubkey(node_paths.cert, tmp_path / "node.pub")
    for line in exported:
        record = json.loads(line)
        assert rfc8785.dumps(record) == line.encode("utf-8")  # export is canonical JSON
        canon = rfc8785.dumps({k: v for k, v in record.items() if k not in ("hash", "sig")})
        assert hashlib.sha256(canon).hexdigest() == record["hash"]
        assert _openssl_verify(pub, canon, base64.b64decode(record["sig"]), tmp_path)


def test_jq_and_the_documented_shell_recipe(
    tmp_path: Path, node_paths: NodePaths, exported: list[str]
) -> None:
    assert shutil.which("jq"), "jq is missing: scripts/test installs it"
    _jq_is_rfc8785_but_for_del(exported)
    _shell_recipe(tmp_path, node_paths, exported)


def _jq_is_rfc8785_but_for_del(exported: list[str]) -> None:
    """What docs/protocol.md section 3 says about jq, checked on real records."""
    fix = r"s/(?<!\\)((?:\\\\)*)\\u007f/$1\x7f/g"
    seen_del = seen_literal = False
    for line in exported:
        record = json.loads(line)
        canon = rfc8785.dumps({k: v for k, v in record.items() if k not in ("hash", "sig")})
        jq = _run("jq", "-cjS", "del(.hash, .sig)", data=line.encode("utf-8"))
        assert jq.returncode == 0, jq.stderr
        fixed = _run("perl", "-pe", fix, data=jq.stdout).stdout
        assert fixed == canon, line
        if DEL_TEXT in line:
            seen_del = True
            assert jq.stdout != canon  # the documented difference is real
            assert jq.stdout.replace(b"\\u007f", b"\x7f") == canon
        else:
            assert jq.stdout == canon, line
        seen_literal = seen_literal or LITERAL_TEXT in json.loads(line)["body"].get("presence", "")
        if record["type"] == "anchor":
            receipt = record["body"]["receipt"]
            jq = _run("jq", "-cjS", ".body.receipt | del(.sig)", data=line.encode("utf-8"))
            assert jq.stdout == rfc8785.dumps({k: v for k, v in receipt.items() if k != "sig"})
    assert seen_del and seen_literal


def _recipe(tmp_path: Path) -> Path:
    text = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
    match = re.search(
        r"<!-- verify-log\.sh begins[^\n]*-->\n```sh\n(.*?)```\n"
        r"<!-- verify-log\.sh ends -->",
        text,
        re.S,
    )
    assert match, "docs/protocol.md lost its verify-log.sh block"
    script = tmp_path / "verify-log.sh"
    script.write_text(match.group(1), encoding="utf-8")
    return script


def _recipe_run(
    tmp_path: Path,
    paths: NodePaths,
    lines: list[str],
) -> subprocess.CompletedProcess[bytes]:
    log = tmp_path / "check.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return _run(
        "sh", str(_recipe(tmp_path)), str(log), str(paths.cert), str(paths.central), str(paths.ca)
    )


def _edit(line: str, old: str, new: str) -> str:
    assert old in line
    return line.replace(old, new, 1)


def _shell_recipe(tmp_path: Path, node_paths: NodePaths, exported: list[str]) -> None:
    ok = _recipe_run(tmp_path, node_paths, exported)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.decode().startswith(f"OK: {len(exported)} records of {NODE} ")

    checkin = next(i for i, line in enumerate(exported) if DEL_TEXT in line)
    anchor = max(i for i, line in enumerate(exported) if '"type":"anchor"' in line)
    assert anchor == len(exported) - 1  # the last sync's receipt ends the log
    # Someone with the node key (a dishonest admin) backdates a receipt and re-signs the
    # anchor record: the record verifies, central's signature on the receipt does not.
    forged = json.loads(exported[anchor])
    forged["body"]["receipt"]["server_ts"] = "2020-01-01T00:00:00.000Z"
    forged = records.seal(records.unsigned_part(forged), load_private_key(node_paths.key))
    cases = {
        "hash does not match": exported[:checkin]
        + [_edit(exported[checkin], '"kind":"in"', '"kind":"out"')]
        + exported[checkin + 1 :],
        "expected": exported[:checkin] + exported[checkin + 1 :],  # a record removed
        "prev does not link": exported[:1] + [exported[2], exported[1]] + exported[3:],
        "receipt's signature": exported[:anchor] + [records.serialize(forged)],
    }
    for expected, lines in cases.items():
        if expected == "prev does not link":  # reordered: renumbering seq exposes the link
            swapped = [json.loads(line) for line in lines[1:3]]
            swapped[0]["seq"], swapped[1]["seq"] = 1, 2
            lines = lines[:1] + [rfc8785.dumps(r).decode() for r in swapped] + lines[3:]
        out = _recipe_run(tmp_path, node_paths, lines)
        assert out.returncode == 1 and expected in out.stderr.decode(), (expected, out.stderr)


def _request_signature(tmp_path: Path, node_paths: NodePaths, proxy: FaultProxy) -> None:
    """Rebuild the RFC 9421 signature base of a request the node really sent (as documented
    in docs/protocol.md section 8) and verify it with openssl and the node certificate."""
    request = next(
        r
        for stream in proxy.captured
        for r in split_requests(bytes(stream))
        if r.startswith(b"POST /api/v1/batches ")
    )
    head, _, body = request.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)
    }
    method, target, _ = request_line.split(" ")
    digest = base64.b64encode(
        _run("openssl", "dgst", "-sha256", "-binary", data=body).stdout
    ).decode()
    assert headers["content-digest"] == f"sha-256=:{digest}:"
    params = headers["signature-input"].removeprefix("presensi=")
    base = (
        f'"@method": {method}\n"@target-uri": http://{headers["host"]}{target}\n'
        f'"content-digest": {headers["content-digest"]}\n"@signature-params": {params}'
    )
    assert headers["host"] == f"127.0.0.1:{proxy.port}"
    found = re.fullmatch(r"presensi=:([A-Za-z0-9+/=]+):", headers["signature"])
    assert found is not None, headers["signature"]
    sig = base64.b64decode(found.group(1))
    pub = _pubkey(node_paths.cert, tmp_path / "node.pub")
    assert _openssl_verify(pub, base.encode("latin-1"), sig, tmp_path)
    assert not _openssl_verify(pub, base.replace("POST", "GET", 1).encode(), sig, tmp_path)


def test_recipe_and_verify_refuse_lines_not_in_canonical_form(
    tmp_path: Path, node_paths: NodePaths, exported: list[str]
) -> None:
    """A forged ``"body"`` before the real one (jq and json.loads keep the last) and
    ``"seq": 5.0`` (read as 5): the recipe and ``presensi-node verify`` both refuse the line
    as not canonical, before its hash or signature is looked at (issue 13 item 17)."""
    checkin = next(i for i, line in enumerate(exported) if DEL_TEXT in line)
    real = exported[checkin]
    forged_body = '{"body":{"nip":"199001012015011001","kind":"in","method":"app"},' + real[1:]
    seq = json.loads(real)["seq"]
    float_seq = _edit(real, f'"seq":{seq},', f'"seq":{seq}.0,')
    for bad in (forged_body, float_seq):
        lines = exported[:checkin] + [bad] + exported[checkin + 1 :]
        out = _recipe_run(tmp_path, node_paths, lines)
        assert out.returncode == 1, out.stdout
        assert f"line {checkin + 1}: not in canonical form" in out.stderr.decode(), out.stderr
        # The same row in the node's own database: verify refuses it too.
        db = tmp_path / "tampered"
        shutil.copytree(node_paths.root, db)
        conn = sqlite3.connect(db / "node.db")
        conn.execute("DROP TRIGGER log_no_update")
        conn.execute("UPDATE log SET record = ? WHERE seq = ?", (bad, seq))
        conn.commit()
        conn.close()
        result = run_cli("local_node", "verify", "--data", str(db), check=False)
        assert result.returncode == 1, result.stdout
        assert "not-canonical" in result.stderr and f"seq {seq}" in result.stderr, result.stderr
        shutil.rmtree(db)
