"""``presensi-ca`` (``python -m certs``): help, the three commands end to end, and errors."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from certs.authority import load_cert, load_crl
from certs.cli import main
from certs.csr import make_csr
from certs.keys import generate_key
from certs.verify import cert_common_name

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        ([], ["init", "issue", "revoke"]),
        (["init"], ["--dir"]),
        (["issue"], ["--dir", "--csr", "--out", "--days"]),
        (["revoke"], ["--dir", "--name"]),
    ],
)
def test_every_command_has_help(presensi_ca: Run, args: list[str], mentions: list[str]) -> None:
    result = presensi_ca(*args, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: presensi-ca")
    for word in mentions:
        assert word in result.stdout


def test_init_issue_revoke_end_to_end(presensi_ca: Run, openssl: Run, tmp_path: Path) -> None:
    result = presensi_ca("init", "--dir", "ca")
    assert result.returncode == 0, result.stderr
    assert "ca.key" in result.stdout and "ca.pem" in result.stdout
    assert stat.S_IMODE((tmp_path / "ca" / "ca.key").stat().st_mode) == 0o600

    (tmp_path / "node.csr").write_bytes(make_csr(generate_key(), "kec-alalak"))
    result = presensi_ca(
        "issue", "--dir", "ca", "--csr", "node.csr", "--out", "out/node.pem", "--days", "30"
    )
    assert result.returncode == 0, result.stderr
    assert "kec-alalak" in result.stdout and "out/node.pem" in result.stdout
    cert = load_cert(tmp_path / "out" / "node.pem")
    assert cert_common_name(cert) == "kec-alalak"
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 30
    verified = openssl("verify", "-CAfile", "ca/ca.pem", "out/node.pem")
    assert verified.returncode == 0, verified.stderr

    result = presensi_ca("revoke", "--dir", "ca", "--name", "kec-alalak")
    assert result.returncode == 0, result.stderr
    assert "crl.pem" in result.stdout
    crl = load_crl(tmp_path / "ca")
    assert crl is not None
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None


def _prepare_ca(presensi_ca: Run, tmp_path: Path) -> None:
    assert presensi_ca("init", "--dir", "ca").returncode == 0
    (tmp_path / "bad.csr").write_text("not a csr")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["init", "--dir", "ca"], "CA already exists"),
        (["issue", "--dir", "ca", "--csr", "bad.csr", "--out", "x.pem"], "certificate signing"),
        (["issue", "--dir", "ca", "--csr", "absent.csr", "--out", "x.pem"], "Could not read"),
        (["issue", "--dir", "nowhere", "--csr", "bad.csr", "--out", "x.pem"], "presensi-ca init"),
        (["revoke", "--dir", "ca", "--name", "kec-tamban"], "No certificate has been issued"),
        (["revoke", "--dir", "ca", "--name", "Bad Name"], "not a valid node id"),
    ],
)
def test_known_errors_exit_2_with_message(
    presensi_ca: Run, tmp_path: Path, args: list[str], message: str
) -> None:
    _prepare_ca(presensi_ca, tmp_path)
    before = (tmp_path / "ca" / "ca.key").read_bytes()
    result = presensi_ca(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "x.pem").exists()
    assert (tmp_path / "ca" / "ca.key").read_bytes() == before


@pytest.mark.parametrize("days", ["0", "-5", "many"])
def test_bad_days_is_a_usage_error(days: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["issue", "--dir", "ca", "--csr", "a.csr", "--out", "a.pem", "--days", days])
    assert exited.value.code == 2
    assert "--days" in capsys.readouterr().err


def test_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "usage: presensi-ca" in capsys.readouterr().err


def test_main_returns_zero_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--dir", str(tmp_path / "ca")]) == 0
    assert "Created the district CA" in capsys.readouterr().out
    assert main(["init", "--dir", str(tmp_path / "ca")]) == 2
    assert capsys.readouterr().err.startswith("error: A CA already exists")
