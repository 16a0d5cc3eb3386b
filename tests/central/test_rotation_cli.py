"""``presensi-central ca ...`` and ``key rotate`` from the command line: help, and known
errors as ``error: ...`` with exit status 2, changing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.factories import run_cli


@pytest.mark.parametrize(
    "command", [["ca", "rotate"], ["ca", "list"], ["ca", "retire"], ["key", "rotate"]]
)
def test_every_trust_command_has_help(command: list[str]) -> None:
    assert "--data" in run_cli("central", *command, "--help").stdout


@pytest.fixture(scope="module")
def central_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("trust-cli") / "central"
    run_cli("central", "init", "--data", str(data))
    return data


@pytest.mark.parametrize(
    "args, message",
    [
        (["ca", "retire", "--ca", "0123456789abcdef"], "0 previous CAs match"),
        (["ca", "retire", "--ca", "ab"], "at least 8 hex digits"),
        (["ca", "rotate", "--data-missing"], None),
    ],
)
def test_refusals(central_dir: Path, args: list[str], message: str | None) -> None:
    before = sorted(p.name for p in (central_dir / "ca").iterdir())
    if message is None:
        result = run_cli("central", *args, check=False)
        assert result.returncode == 2  # argparse: unknown option
    else:
        result = run_cli("central", *args, "--data", str(central_dir), check=False)
        assert result.returncode == 2 and "error: " in result.stderr
        assert message in result.stderr
    assert sorted(p.name for p in (central_dir / "ca").iterdir()) == before


def test_uninitialised_directory(tmp_path: Path) -> None:
    for command in (["ca", "rotate"], ["key", "rotate"]):
        result = run_cli("central", *command, "--data", str(tmp_path / "none"), check=False)
        assert result.returncode == 2 and "presensi-central init" in result.stderr


def test_a_half_done_key_rotation_is_not_repeated(tmp_path: Path) -> None:
    data = tmp_path / "central"
    run_cli("central", "init", "--data", str(data))
    staged = data / "keys" / "central.next.key"
    staged.write_text("left over")
    staged.chmod(0o600)
    key = (data / "keys" / "central.key").read_bytes()
    result = run_cli("central", "key", "rotate", "--data", str(data), check=False)
    assert result.returncode == 2 and "stopped half way" in result.stderr
    assert (data / "keys" / "central.key").read_bytes() == key
    assert not (data / "certs" / "central-keys.json").exists()


def test_key_rotate_then_list(tmp_path: Path) -> None:
    data = tmp_path / "central"
    run_cli("central", "init", "--data", str(data))
    out = run_cli("central", "key", "rotate", "--data", str(data)).stdout
    assert "New receipt key" in out
    assert (data / "keys" / "central.key").stat().st_mode & 0o777 == 0o600
    out = run_cli("central", "ca", "list", "--data", str(data)).stdout
    assert out.startswith("current ")
