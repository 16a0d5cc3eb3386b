"""Schemathesis against the node, through its WSGI app, from the description it serves.

Every operation is fuzzed with valid and invalid data (bounded examples): no answer is a
5xx, answers match local_node/static/openapi.yaml, and a refused request never appends to the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from local_node import create_app
from local_node.datadir import NodePaths

from .fuzzing import DESCRIPTIONS, REPO, fuzz, operations

pytestmark = pytest.mark.faults


@pytest.fixture
def fuzz_app(node_paths: NodePaths, roster: list[dict[str, str]]) -> Iterator[Flask]:
    # A huge per-address limit: fuzzed sign-ins must not lock the address the test runs from
    # (the per-address lockout has its own test in test_attack_pin.py).
    app = create_app(
        {"DATA_DIR": str(node_paths.root), "TESTING": True, "ADDR_MAX_FAILURES": 10**6}
    )
    app.config["STAFF_NIP"] = roster[0]["nip"]
    yield app
    app.extensions["presensi_node"].close()


@pytest.mark.parametrize(("method", "path"), operations("node"))
def test_node_api_fuzz(fuzz_app: Flask, method: str, path: str) -> None:
    svc = fuzz_app.extensions["presensi_node"]

    def call(case: Any) -> Any:
        # A fresh session per example (no scrypt, no lockout counting), so a fuzzed DELETE
        # /api/v1/session does not sign out the requests that follow it.
        token, _ = svc.sessions.create(fuzz_app.config["STAFF_NIP"], "fuzz-device-1")
        # Bad tokens have their own tests: here the data behind the token check is fuzzed.
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        headers["Authorization"] = f"Bearer {token}"
        before = svc.store.head()
        response = case.call(headers=headers)
        if response.status_code >= 400:
            assert svc.store.head() == before, "a refused request appended to the log"
        return response

    fuzz(fuzz_app, method, path, call)


def test_each_description_exists_once() -> None:
    """The packages' copies are the only ones (docs/ links to them), so none can drift."""
    found = sorted(
        p.relative_to(REPO).as_posix()
        for p in REPO.rglob("openapi*.y*ml")
        if ".venv" not in p.parts and ".git" not in p.parts
    )
    assert found == sorted(p.relative_to(REPO).as_posix() for p in DESCRIPTIONS.values())


def test_node_serves_its_description(client: Any) -> None:
    r = client.get("/api/v1/openapi.yaml")
    assert r.status_code == 200 and r.mimetype == "application/yaml"
    assert r.data == DESCRIPTIONS["node"].read_bytes()
