"""TRUSTED_PROXY: forwarded headers rebuild the URI a node signed only for requests whose
TCP peer is the configured proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, request

from central import create_app
from central.datadir import CentralPaths
from central.proxy import trusted_addresses
from sync.httpsig import sign_request
from tests.central.conftest import Clock, enroll

PUBLIC = "https://presensi.example"
PATH = "/api/v1/nodes/kec-alalak/checkpoint"


@pytest.fixture
def proxied_app(central_paths: CentralPaths, clock: Clock) -> Iterator[Flask]:
    app = create_app(
        {
            "DATA_DIR": str(central_paths.root),
            "TESTING": True,
            "CLOCK": clock,
            "TRUSTED_PROXY": "10.0.0.5, 10.0.0.6",
        }
    )
    yield app
    app.extensions["presensi_central"].close()


FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "presensi.example",
    "X-Forwarded-For": "192.168.7.9",
}


@pytest.mark.parametrize(
    "peer, status", [("10.0.0.5", 200), ("10.0.0.6", 200), ("10.0.0.7", 401), ("127.0.0.1", 401)]
)
def test_signed_public_uri_verifies_only_from_the_proxy(
    proxied_app: Flask, clock: Clock, peer: str, status: int
) -> None:
    client = proxied_app.test_client()
    node = enroll(client, proxied_app.extensions["presensi_central"].store, clock, "kec-alalak")
    headers = sign_request("GET", PUBLIC + PATH, b"", node.key, node.name, created=int(clock.now))
    r = client.get(PATH, headers={**headers, **FORWARDED}, environ_base={"REMOTE_ADDR": peer})
    assert r.status_code == status, r.get_data(as_text=True)


def test_the_proxys_client_address_is_taken(proxied_app: Flask) -> None:
    seen: list[str | None] = []
    proxied_app.before_request(lambda: seen.append(request.remote_addr))
    client = proxied_app.test_client()
    client.get("/healthz", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    client.get("/healthz", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert seen == ["192.168.7.9", "10.0.0.9"]


@pytest.mark.parametrize(
    "setting, expected",
    [
        (None, set()),
        ("", set()),
        ("127.0.0.1", {"127.0.0.1"}),
        ("127.0.0.1, ::1", {"127.0.0.1", "::1"}),
        (["10.0.0.1", " 10.0.0.2 "], {"10.0.0.1", "10.0.0.2"}),
    ],
)
def test_trusted_addresses(setting: object, expected: set[str]) -> None:
    assert trusted_addresses(setting) == expected
