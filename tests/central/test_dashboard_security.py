"""Dashboard hardening (issue 13 item 16): the node's page headers, no inline script or
style, no-store on pages, and a Secure cookie over TLS, also behind a trusted proxy whose
X-Forwarded-* headers are honoured from that address only."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from central import create_app
from central.datadir import CentralPaths
from central.store.sqlite import SqliteStore

from .conftest import Clock
from .officials import make_official, sign_in

PROXY = "10.20.30.1"


@pytest.fixture
def proxied(central_paths: CentralPaths, clock: Clock) -> Iterator[Flask]:
    app = create_app(
        {
            "DATA_DIR": str(central_paths.root),
            "TESTING": True,
            "CLOCK": clock,
            "TRUSTED_PROXY": PROXY,
        }
    )
    yield app
    app.extensions["presensi_central"].close()


def _check_page_headers(response: TestResponse) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "script-src" not in csp  # no script at all
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "<script" not in body and "<style" not in body and " style=" not in body
    assert "http://" not in body and "https://" not in body


def test_every_page_sends_the_headers(
    client: FlaskClient, store: SqliteStore, clock: Clock
) -> None:
    for path in ("/dashboard", "/dashboard/masuk", "/dashboard/sandi/nope"):
        _check_page_headers(client.get(path))
    make_official(store, "budi", "admin", clock.now)
    r = sign_in(client, "budi")
    assert r.headers["Cache-Control"] == "no-store"
    for path in (
        "/dashboard",
        "/dashboard/peringatan",
        "/dashboard/audit",
        "/dashboard/akun",
        "/dashboard/akun/sandi",
        "/dashboard?date=2026-02-30",
    ):
        _check_page_headers(client.get(path))
    css = client.get("/static/dashboard.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert css.headers["X-Content-Type-Options"] == "nosniff"
    css.close()


def _cookie_flags(client: FlaskClient, base_url: str = "http://localhost", **environ: str) -> str:
    page = client.get(
        "/dashboard/masuk",
        environ_base=environ,
        base_url=base_url,
        headers={"X-Forwarded-Proto": "https"},
    )
    found = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    assert found is not None
    csrf = found.group(1)
    r = client.post(
        "/dashboard/masuk",
        data={"name": "budi", "password": "sandi-rahasia-panjang", "csrf": csrf},
        environ_base=environ,
        base_url=base_url,
        headers={"X-Forwarded-Proto": "https"},
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    return str(r.headers["Set-Cookie"])


def test_secure_cookie_behind_the_trusted_proxy_only(proxied: Flask, clock: Clock) -> None:
    store = proxied.extensions["presensi_central"].store
    make_official(store, "budi", "viewer", clock.now)
    assert "; Secure" in _cookie_flags(proxied.test_client(), REMOTE_ADDR=PROXY)
    # Anyone else claiming TLS through the header is not believed.
    assert "Secure" not in _cookie_flags(proxied.test_client(), REMOTE_ADDR="10.20.30.99")


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(
    client: FlaskClient, store: SqliteStore, clock: Clock
) -> None:
    make_official(store, "budi", "viewer", clock.now)
    assert "Secure" not in _cookie_flags(client, REMOTE_ADDR=PROXY)


def test_tls_cookie_is_secure(client: FlaskClient, store: SqliteStore, clock: Clock) -> None:
    make_official(store, "budi", "viewer", clock.now)
    assert "; Secure" in _cookie_flags(client, "https://localhost")


def _guess(client: FlaskClient, name: str, peer: str, forwarded: str) -> int:
    env = {"REMOTE_ADDR": peer}
    page = client.get("/dashboard/masuk", environ_base=env)
    found = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    assert found is not None
    csrf = found.group(1)
    return client.post(
        "/dashboard/masuk",
        data={"name": name, "password": "salah-salah-1", "csrf": csrf},
        environ_base=env,
        headers={"X-Forwarded-For": forwarded},
    ).status_code


def test_lockout_counts_the_forwarded_address_only_from_the_proxy(proxied: Flask) -> None:
    client = proxied.test_client()
    for i in range(30):
        assert _guess(client, f"akun{i}", PROXY, "203.0.113.7") == 401
    assert _guess(client, "akun-lain", PROXY, "203.0.113.7") == 429
    assert _guess(client, "akun-lain", PROXY, "203.0.113.8") == 401  # another office
    # A client that is not the proxy cannot pick a fresh address per guess.
    for i in range(30):
        assert _guess(client, f"x{i}", "198.51.100.9", f"192.0.2.{i}") == 401
    assert _guess(client, "x-last", "198.51.100.9", "192.0.2.200") == 429
