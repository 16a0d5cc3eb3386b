"""Schemathesis against central, through its WSGI app, from the description it serves.

Bearer operations get an admin token; node-signed operations get a real RFC 9421 signature
by an enrolled node over exactly the request schemathesis built, so the fuzzed data reaches
the parsers behind the signature check. No 5xx, answers match central/static/openapi.yaml, and
a refused request stores nothing (only the nonce of a correctly signed request is kept).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

from central.store.sqlite import SqliteStore
from sync.errors import SignatureError
from sync.httpsig import sign_request
from tests.central.conftest import Clock, FakeNode

from .conftest import central_counts
from .fuzzing import fuzz, operations

pytestmark = pytest.mark.faults

BASE = "http://localhost"
SIGNED = ("/api/v1/batches", "/api/v1/roster", "/api/v1/nodes/{node}/checkpoint")


@pytest.mark.parametrize(("method", "path"), operations("central"))
def test_central_api_fuzz(
    central_app: Flask,
    central_store: SqliteStore,
    fake_node: FakeNode,
    central_clock: Clock,
    admin_token: str,
    method: str,
    path: str,
) -> None:
    client = central_app.test_client()

    calls = [0]

    def call(case: Any) -> Any:
        calls[0] += 1
        if path.endswith("/checkpoint") and calls[0] % 2:
            # Every other example asks for the signing node's own checkpoint, so the fuzzed
            # query reaches the code behind the wrong-node check.
            case.path_parameters = {**(case.path_parameters or {}), "node": fake_node.name}
        data = case.as_transport_kwargs()
        if "json" in data:  # serialised here as a client would: \ud800 stays escaped
            data["data"] = json.dumps(data.pop("json")).encode()
        headers = dict(data["headers"])
        if path in SIGNED:
            # Build the request once to learn its exact URL and body bytes, then sign those.
            built = EnvironBuilder(base_url=BASE, **data).get_request()
            body = built.get_data()
            try:
                headers.update(
                    sign_request(
                        method,
                        built.url,
                        body,
                        fake_node.key,
                        fake_node.name,
                        created=int(central_clock.now),
                    )
                )
            except SignatureError:
                pass  # a URL the signer cannot sign: send it unsigned, central must say 401
            send: dict[str, Any] = {"data": body}
        else:
            # Bad tokens have their own tests: here the data behind the token check is fuzzed.
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            headers["Authorization"] = f"Bearer {admin_token}"
            send = {k: data[k] for k in ("json", "data") if k in data}
        before = central_counts(central_store)
        response = client.open(
            data["path"], method=method, query_string=data["query_string"], headers=headers, **send
        )
        if response.status_code >= 400:
            after = central_counts(central_store)
            before.pop("nonces"), after.pop("nonces")
            assert after == before, f"a refused request stored something: {before} {after}"
        return response

    fuzz(central_app, method, path, call)


def test_central_serves_its_description(central_client: Any) -> None:
    from .fuzzing import DESCRIPTIONS

    r = central_client.get("/api/v1/openapi.yaml")
    assert r.status_code == 200 and r.mimetype == "application/yaml"
    assert r.data == DESCRIPTIONS["central"].read_bytes()
