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
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

REPO = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 50
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


# The one copy of each API description: package data, served at /api/v1/openapi.yaml.
DESCRIPTIONS = {"node": REPO / "local_node/static/openapi.yaml",
                "central": REPO / "central/static/openapi.yaml"}


def operations(app: str) -> list[tuple[str, str]]:
    """(method, path) of every operation in the API description of ``app``, for parametrize."""
    schema = schemathesis.openapi.from_path(DESCRIPTIONS[app])
    ops = [result.ok() for result in schema.get_all_operations()]
    return [(op.method.upper(), op.path) for op in ops]


def fuzz(app: Flask, method: str, path: str,
         call: Callable[[Any], Any], *, max_examples: int = MAX_EXAMPLES) -> None:
    """Fuzz one operation of the description ``app`` serves at /api/v1/openapi.yaml.

    ``call(case)`` sends the case (adding credentials) and returns the response; this
    function validates each response with CHECKS.
    """
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.yaml", app)
    operation = schema[path][method]
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                         operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        response = call(case)
        case.validate_response(response, checks=CHECKS)

    run()
