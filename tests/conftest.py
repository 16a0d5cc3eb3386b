"""Shared fixtures: a fresh CA and node data directory per test, the node app and client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certs.authority import CertificateAuthority
from certs.filemodes import PRIVATE_UMASK
from local_node import create_app
from local_node.datadir import NodePaths
from testkit.factories import REPO, make_ca, make_node, roster_file, run_cli

# The CLIs set this umask for themselves (local_node/cli.py, central/cli.py). Tests that call
# a CLI's main() in-process leave it set for every later test, so without setting it here a
# test that creates a node database by hand passed or failed with the order tests ran in
# (under pytest-xdist each worker sees another order).
os.umask(PRIVATE_UMASK)

# The modules that take minutes, longest first (from `scripts/test`'s --durations list).
# pytest-xdist hands out modules in collection order, so starting these first keeps one
# worker from picking up a three-minute module when the others are nearly done.
LONGEST_FIRST = (
    "tests/faults/test_fault_admin.py",
    "tests/test_bench_smoke.py",
    "tests/test_demo.py",
    "tests/test_codebase.py",
    "tests/faults/test_fault_crashes.py",
    "tests/faults/test_fault_network.py",
    "tests/central/test_central_multiserver.py",
    "tests/e2e/test_e2e_network_faults.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = [name for name in LONGEST_FIRST if not (REPO / name).exists()]
    if missing:  # a renamed module would silently fall back to the long tail
        raise pytest.UsageError(f"tests/conftest.py LONGEST_FIRST names missing files: {missing}")
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}

    def key(item: pytest.Item) -> int:
        module = Path(str(item.fspath)).relative_to(REPO).as_posix()
        return rank.get(module, len(LONGEST_FIRST))

    items.sort(key=key)  # stable: every other test keeps its place


@pytest.fixture
def district_ca(tmp_path: Path) -> CertificateAuthority:
    return make_ca(tmp_path)


@pytest.fixture
def node_paths(tmp_path: Path, district_ca: CertificateAuthority) -> NodePaths:
    return make_node(tmp_path, district_ca)


@pytest.fixture
def roster(tmp_path: Path, node_paths: NodePaths) -> list[dict[str, str]]:
    """Twenty employees imported into the node with the real CLI."""
    path, people = roster_file(tmp_path, 20)
    run_cli("local_node", "roster", "import", "--data", str(node_paths.root), str(path))
    return people


@pytest.fixture
def app(node_paths: NodePaths, roster: list[dict[str, str]]) -> Iterator[Flask]:
    app = create_app({"DATA_DIR": str(node_paths.root), "TESTING": True})
    yield app
    app.extensions["presensi_node"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
