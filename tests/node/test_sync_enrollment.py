"""Online enrollment against a central on loopback; failures keep the offline path open."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certs.authority import CertificateAuthority, cert_pem, issue_certificate, issue_from_csr
from certs.csr import load_csr
from local_node.datadir import NodePaths
from local_node.enrollment import EnrollmentError, enroll, token_node
from local_node.identity import load_identity
from testkit.factories import make_ca, run_cli
from tests.sync.test_client import FakeCentral


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return make_ca(tmp_path)


@pytest.fixture
def central(ca: CertificateAuthority) -> Iterator[FakeCentral]:
    fake = FakeCentral().start()
    central_pem = cert_pem(
        issue_certificate(ca, fake.key.public_key(), "central-batola", role="central")
    ).decode()
    tokens = {"kec-alalak.s3cret"}

    def handler(doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        token = doc.get("token")
        if token not in tokens:
            return 403, {"error": "bad-token", "message": "unknown, used or expired token"}
        name, _ = load_csr(doc["csr"].encode())
        if name != token.partition(".")[0]:
            return 403, {"error": "name-mismatch", "message": "CSR is for another node"}
        tokens.discard(token)
        return 201, {
            "node": name,
            "cert": issue_from_csr(ca, doc["csr"].encode()).decode(),
            "ca": cert_pem(ca.cert).decode(),
            "central": central_pem,
            "central_id": "central-batola",
        }

    fake.enroll_handler = handler
    yield fake
    fake.stop()


def test_enroll_installs_certificates_and_config(tmp_path: Path, central: FakeCentral) -> None:
    paths = NodePaths(tmp_path / "node")
    assert enroll(paths, central.url + "/", "kec-alalak.s3cret", boot_id="b") == "kec-alalak"
    identity = load_identity(paths, "kec-alalak")
    assert identity.central is not None
    config = json.loads(paths.config.read_text())
    assert config == {"CENTRAL_URL": central.url, "CENTRAL_ID": "central-batola"}


def test_refused_token_keeps_key_and_csr_then_retry(tmp_path: Path, central: FakeCentral) -> None:
    paths = NodePaths(tmp_path / "node")
    with pytest.raises(EnrollmentError, match="bad-token") as info:
        enroll(paths, central.url, "kec-alalak.wrong", boot_id="b")
    assert "kept" in str(info.value) and "presensi-ca issue" in str(info.value)
    assert paths.key.exists() and paths.csr.exists() and not paths.cert.exists()
    key_before = paths.key.read_bytes()
    enroll(paths, central.url, "kec-alalak.s3cret", boot_id="b")
    assert paths.key.read_bytes() == key_before  # the same key, now certified
    with pytest.raises(EnrollmentError, match="already enrolled"):
        enroll(paths, central.url, "kec-alalak.s3cret", boot_id="b")


def test_unreachable_central(tmp_path: Path) -> None:
    paths = NodePaths(tmp_path / "node")
    with pytest.raises(EnrollmentError, match="cannot reach central"):
        enroll(paths, "http://127.0.0.1:9", "kec-alalak.s3cret", boot_id="b")
    assert paths.csr.exists()


def test_token_for_another_node_in_same_dir(tmp_path: Path, central: FakeCentral) -> None:
    paths = NodePaths(tmp_path / "node")
    with pytest.raises(EnrollmentError):
        enroll(paths, central.url, "kec-alalak.wrong", boot_id="b")
    with pytest.raises(EnrollmentError, match="already holds node 'kec-alalak'"):
        enroll(paths, central.url, "kec-tamban.s3cret", boot_id="b")


def test_certificate_for_wrong_key_is_refused(
    tmp_path: Path, central: FakeCentral, ca: CertificateAuthority
) -> None:
    stranger = cert_pem(
        issue_certificate(ca, Ed25519PrivateKey.generate().public_key(), "kec-alalak")
    ).decode()
    good = central.enroll_handler
    assert good is not None

    def with_stranger_cert(doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, answer = good(doc)
        return status, {**answer, "cert": stranger}

    central.enroll_handler = with_stranger_cert
    paths = NodePaths(tmp_path / "node")
    with pytest.raises(EnrollmentError, match="do not check out"):
        enroll(paths, central.url, "kec-alalak.s3cret", boot_id="b")
    assert not paths.cert.exists()


@pytest.mark.parametrize("token", ["nodot", "kec-alalak.", "Bad_Name.secret", ".secret"])
def test_bad_tokens(token: str) -> None:
    with pytest.raises(EnrollmentError):
        token_node(token)


def test_cli_init_with_central(tmp_path: Path, central: FakeCentral) -> None:
    root = tmp_path / "node"
    out = run_cli(
        "local_node",
        "init",
        "--data",
        str(root),
        "--central",
        central.url,
        "--token",
        "kec-alalak.s3cret",
    )
    assert "enrolled" in out.stdout
    status = json.loads(run_cli("local_node", "status", "--data", str(root), "--json").stdout)
    assert status["central_url"] == central.url and status["certificate_installed"]
    again = run_cli(
        "local_node",
        "init",
        "--data",
        str(root / "x"),
        "--central",
        central.url,
        "--token",
        "kec-alalak.s3cret",
        check=False,
    )
    assert again.returncode == 2 and "bad-token" in again.stderr
