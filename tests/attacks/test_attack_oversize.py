"""Oversized and slow requests: 413 before anything is parsed or stored, and a slowloris
crowd against a real node process does not starve staff checking in."""

from __future__ import annotations

import gzip
import socket
import time

import pytest
import requests

from testkit.factories import NodeProcess, sign_in

from .conftest import central_counts

pytestmark = pytest.mark.faults


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/session", b'{"nip": "' + b"1" * 40_000 + b'", "pin": "123456"}'),
        ("/api/v1/checkins", b'{"kind": "in", "presence": "' + b"x" * 40_000 + b'"}'),
        ("/api/v1/checkins", b"[" * 100_000),
    ],
)
def test_node_oversized_bodies_are_413(client, auth, path, body):
    store = client.application.extensions["presensi_node"].store
    head = store.head()
    r = client.post(path, data=body, content_type="application/json", headers=auth)
    assert r.status_code == 413 and r.json["error"] == "too-large"
    assert store.head() == head


def test_central_oversized_batch_is_413(central_client, central_store, fake_node):
    before = central_counts(central_store)
    body = b'{"v": 1, "pad": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    r = fake_node.request(
        central_client, "POST", "/api/v1/batches", body, {"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert central_counts(central_store) == before


def test_central_gzip_bomb_is_413(central_client, central_store, fake_node):
    before = central_counts(central_store)
    bomb = gzip.compress(b'{"v": 1, "pad": "' + b"x" * (64 * 1024 * 1024) + b'"}')
    r = fake_node.request(
        central_client,
        "POST",
        "/api/v1/batches",
        bomb,
        {"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert r.status_code == 413 and r.get_json()["error"] == "too-large"
    after = central_counts(central_store)
    assert {k: v for k, v in after.items() if k != "nonces"} == {
        k: v for k, v in before.items() if k != "nonces"
    }


def test_central_oversized_small_bodies_are_413(central_client, admin_token, central_store):
    before = central_counts(central_store)
    for path, headers in (
        ("/api/v1/enroll", {}),
        ("/api/v1/nodes", {"Authorization": f"Bearer {admin_token}"}),
    ):
        r = central_client.post(
            path,
            data=b'{"name": "' + b"a" * 100_000 + b'"}',
            content_type="application/json",
            headers=headers,
        )
        assert r.status_code == 413
    assert central_counts(central_store) == before


@pytest.fixture
def node_process(node_paths, roster):
    proc = NodeProcess(node_paths).start()
    yield proc
    proc.stop()


def test_node_chunked_oversized_body_is_413(node_process, roster):
    """A chunked body (no Content-Length) is cut off at the limit by the real server."""
    token = sign_in(node_process.url, roster[0]["nip"], roster[0]["pin"])
    head = requests.get(node_process.url + "/healthz", timeout=5).json()["head_seq"]

    def chunks():
        yield b'{"kind": "in", "presence": "'
        for _ in range(1000):
            yield b"x" * 1000
        yield b'"}'

    r = requests.post(
        node_process.url + "/api/v1/checkins",
        data=chunks(),
        timeout=10,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert requests.get(node_process.url + "/healthz", timeout=5).json()["head_seq"] == head


def _slow_socket(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"POST /api/v1/checkins HTTP/1.1\r\nHost: x\r\n")
    return s


@pytest.mark.slow
def test_slowloris_does_not_starve_staff(node_process, roster):
    url = node_process.url
    # A huge Content-Length is refused from the headers alone, without waiting for a body.
    with socket.create_connection(("127.0.0.1", node_process.port), timeout=5) as s:
        s.sendall(
            b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            b"\r\nContent-Length: 1000000000\r\n\r\n{"
        )
        s.settimeout(5)
        assert b" 413 " in s.recv(4096).split(b"\r\n", 1)[0] + b" "

    crowd = [_slow_socket(node_process.port) for _ in range(200)]
    try:
        timings = []
        deadline = time.monotonic() + 12
        i = 0
        while time.monotonic() < deadline:
            # The crowd trickles one header byte per socket per second, never finishing.
            for s in crowd:
                try:
                    s.send(b"X")
                except OSError:
                    pass  # the server dropped a slow client: that is allowed
            person = roster[i % len(roster)]
            started = time.monotonic()
            token = sign_in(url, person["nip"], person["pin"])
            r = requests.post(
                url + "/api/v1/checkins",
                json={"kind": "in"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            timings.append(time.monotonic() - started)
            assert r.status_code == 201, r.text
            i += 1
            time.sleep(max(0.0, 1 - timings[-1]))
        assert len(timings) >= 5
        assert max(timings) < 2.0, timings
    finally:
        for s in crowd:
            s.close()
