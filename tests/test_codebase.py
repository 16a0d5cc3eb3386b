"""The codebase keeps its own rules: lint, types, and which part may import which."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# docs/architecture.md: dependencies point one way.
FORBIDDEN = {
    # sync/ is the wire protocol and its client; the scheduler is the node's (local_node/).
    "sync": {"flask", "local_node", "central", "werkzeug", "apscheduler", "testkit"},
    "certs": {"flask", "local_node", "central", "sync", "werkzeug", "requests", "testkit"},
    "local_node": {"central", "testkit"},
    "central": {"local_node", "testkit"},
    # The harness is imported one way: by tests and scripts, never the reverse.
    "testkit": {"tests", "scripts"},
    "scripts": {"tests"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package):
    bad = []
    for path in sorted((REPO / package).rglob("*.py")):
        wrong = _imports(path) & FORBIDDEN[package]
        if wrong:
            bad.append(f"{path.relative_to(REPO)} imports {sorted(wrong)}")
    assert bad == []


def test_importing_the_apps_starts_nothing():
    # Importing must not open databases, start threads or touch the network.
    code = (
        "import threading, local_node, central, local_node.scheduler, local_node.jobs,"
        " local_node.wsgi, central.wsgi;"
        "print(threading.active_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.strip() == "1"


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_format_is_clean():
    # The whole tree is formatted by `ruff format` (one commit of its own); a diff here means
    # a change was not formatted: run `.venv/bin/ruff format .`.
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--diff", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_is_clean():
    # The whole tree as pyproject.toml lists it (tests and scripts included), strict on sync/,
    # certs/, local_node/ and central/. The cache in the checkout's .mypy_cache (git ignores
    # it) makes a repeated run take seconds; the first run in a fresh checkout takes ~30 s.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(REPO / ".mypy_cache")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "no issues found in" in result.stdout
