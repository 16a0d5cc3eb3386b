"""Fixtures for the certs tests: a fresh CA per test, and runners for openssl and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from certs.authority import CertificateAuthority, init_ca

REPO_ROOT = Path(__file__).resolve().parents[2]
OPENSSL = "/usr/bin/openssl"

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    """A new district CA in its own temporary directory."""
    return init_ca(tmp_path / "ca")


@pytest.fixture
def openssl(tmp_path: Path) -> Run:
    """Run the real openssl binary; return the completed process (never raises on failure)."""

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [OPENSSL, *map(str, args)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=30,
            check=False,
        )

    return run


@pytest.fixture
def presensi_ca(tmp_path: Path) -> Run:
    """Run ``python -m certs ARGS`` in a child process with the repository importable."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "certs", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=60,
            check=False,
        )

    return run
