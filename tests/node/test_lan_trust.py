"""``discover``'s trust check against what a cheater on the Wi-Fi can do: announce a real
node's name and fingerprint, serve a copy of its (public) certificate, replay an old signed
challenge. Only the holder of the certificate's key, from our CA, is trusted."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from cryptography import x509

from certs.verify import fingerprint_sha256
from local_node.datadir import NodePaths
from local_node.lan_trust import check_node, load_ca
from testkit.factories import NodeProcess, make_ca, make_node


@pytest.fixture
def genuine(node_paths: NodePaths) -> Iterator[NodeProcess]:
    node = NodeProcess(node_paths).start()
    yield node
    node.kill()


def _item(
    node: NodeProcess, port: int | None = None, fingerprint: str | None = None
) -> dict[str, Any]:
    cert = x509.load_pem_x509_certificate(node.paths.cert.read_bytes())
    return {
        "node": "kec-alalak",
        "instance": "kec-alalak",
        "address": "127.0.0.1",
        "port": port or node.port,
        "version": "0.1.0",
        "fingerprint": fingerprint or fingerprint_sha256(cert),
    }


def _impostor(answer: dict[str, Any]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_real_node_is_trusted(genuine: NodeProcess) -> None:
    result = check_node(_item(genuine), load_ca(genuine.paths.ca))
    assert result["trusted"] is True, result


def test_a_copy_of_the_certificate_without_the_key_is_not(genuine: NodeProcess) -> None:
    # Everything the real node answers, including a signature over another challenge.
    real = requests.get(
        genuine.url + "/api/v1/node", params={"challenge": "x" * 32}, timeout=5
    ).json()
    server = _impostor(real)
    try:
        result = check_node(
            _item(genuine, port=server.server_address[1]), load_ca(genuine.paths.ca)
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result["trusted"] is False and "does not hold the certificate's key" in result["trust"]


def test_a_wrong_fingerprint_or_another_ca_is_not(genuine: NodeProcess, tmp_path: Any) -> None:
    lying = check_node(_item(genuine, fingerprint="ab" * 32), load_ca(genuine.paths.ca))
    assert lying["trusted"] is False and "fingerprint" in lying["trust"]
    other_ca = make_ca(tmp_path / "other")
    stranger = check_node(_item(genuine), other_ca.cert)
    assert stranger["trusted"] is False and "not issued by our CA" in stranger["trust"]
    assert check_node(_item(genuine), None)["trusted"] is None


def test_nobody_listening_is_not_trusted(tmp_path: Any) -> None:
    paths = make_node(tmp_path / "x", make_ca(tmp_path / "x"))
    item = {
        "node": "kec-alalak",
        "instance": "kec-alalak",
        "address": "127.0.0.1",
        "port": 9,
        "version": "0.1.0",
        "fingerprint": "ab" * 32,
    }
    result = check_node(item, load_ca(paths.ca), timeout=1)
    assert result["trusted"] is False and "cannot reach" in result["trust"]


@pytest.mark.parametrize("challenge", ["short", "x" * 129, "bad chars!" * 3, "é" * 20])
def test_a_malformed_challenge_is_a_400(client: Any, challenge: str) -> None:
    r = client.get("/api/v1/node", query_string={"challenge": challenge})
    assert r.status_code == 400 and r.get_json()["error"] == "bad-challenge"
