"""Running schemathesis without its pytest plugin (its lazy-fixture loader does not work
with pytest 9): each test loads the description the app serves, picks one operation and
drives it with hypothesis over schemathesis' case strategy, valid and invalid data alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

REPO = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 50
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The one copy of each API description: package data, served at /api/v1/openapi.yaml.
DESCRIPTIONS = {
    "node": REPO / "local_node/static/openapi.yaml",
    "central": REPO / "central/static/openapi.yaml",
}


def operations(app: str) -> list[tuple[str, str]]:
    """(method, path) of every operation in the API description of ``app``, for parametrize."""
    schema = schemathesis.openapi.from_path(DESCRIPTIONS[app])
    ops = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the description itself is wrong: say where
        ops.append(result.ok())
    return [(op.method.upper(), op.path) for op in ops]


def fuzz(
    app: Flask,
    method: str,
    path: str,
    call: Callable[[Any], Any],
    *,
    max_examples: int = MAX_EXAMPLES,
) -> None:
    """Fuzz one operation of the description ``app`` serves at /api/v1/openapi.yaml.

    ``call(case)`` sends the case (adding credentials) and returns the response; this
    function validates each response with CHECKS.
    """
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.yaml", app)
    operation = schema[path][method]
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=strategy)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = call(case)
        case.validate_response(response, checks=CHECKS)

    run()
    hostile_json(operation, call)


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


# What the generated cases never contain (issue 13 item 11): nesting far past any real body
# (200 levels: 1,000 cannot even be serialised by the test client; the table test in
# test_attack_json_shapes.py sends 1,000 as raw bytes) and lone surrogates in every kind of
# field a body has (presence, a manual reason, a token, a key).
HOSTILE_JSON: dict[str, Any] = {
    "nested-200-deep": _nested(200),
    "nested-in-object": {"kind": "in", "geo": _nested(200)},
    "lone-surrogates": {
        "kind": "in",
        "presence": "x\ud800y",
        "reason": "lupa \udfff",
        "nip": "19850101201001100\ud800",
        "token": "\udc00",
        "csr": "\ud800",
        "name": "kec-\ud800",
    },
    "lone-surrogate-key": {"\ud800": "x", "kind": "in"},
}


# A real value for each path parameter, so the hostile body reaches the route behind it.
PATH_VALUES = {
    "node": "kec-alalak",
    "id": "1",
    "action": "approve",
    "month": "2026-10",
    "ext": "pdf",
}


def hostile_json(operation: Any, call: Callable[[Any], Any]) -> None:
    """Send HOSTILE_JSON to an operation that takes a JSON body: 400 with a message."""
    if "application/json" not in operation.get_request_payload_content_types():
        return
    names = [p.name for p in operation.path_parameters]
    assert all(n in PATH_VALUES for n in names), f"give {operation.path} a value in PATH_VALUES"
    path_parameters = {n: PATH_VALUES[n] for n in names}
    for name, body in HOSTILE_JSON.items():
        response = call(
            operation.Case(
                body=body, media_type="application/json", path_parameters=path_parameters or None
            )
        )
        where = f"{operation.method.upper()} {operation.path} {name}"
        assert response.status_code == 400, (where, response.status_code)
        # A schemathesis response (json() is a method) or a werkzeug one (a property).
        payload = response.json() if callable(response.json) else response.json
        assert payload["error"] and payload["message"], (where, payload)
