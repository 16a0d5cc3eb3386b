"""The node serves HTTPS with a certificate from the district CA, and check-in works over it."""

from __future__ import annotations

import json
import ssl
import subprocess

import requests

from testkit.factories import PY, REPO, NodeProcess, free_port


def test_check_in_over_https(node_paths, roster, district_ca, tmp_path):
    out = subprocess.run(
        [
            PY,
            "-m",
            "certs",
            "tls",
            "--dir",
            str(district_ca.dir),
            "--name",
            "kec-alalak",
            "--host",
            "127.0.0.1",
            "--host",
            "presensi.local",
            "--node-data",
            str(node_paths.root),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "tls.pem" in out
    assert (node_paths.tls_key.stat().st_mode & 0o777) == 0o600
    port = free_port()
    node = NodeProcess(node_paths, port, extra_args=["--tls"])
    node.url = f"https://127.0.0.1:{port}"
    node.verify = str(node_paths.ca)
    node.start()
    try:
        ca = str(node_paths.ca)  # per request: REQUESTS_CA_BUNDLE would override Session.verify
        r = requests.post(
            node.url + "/api/v1/session",
            verify=ca,
            json={"nip": roster[0]["nip"], "pin": roster[0]["pin"]},
            timeout=10,
        )
        assert r.status_code == 201
        assert "Secure" in r.headers["Set-Cookie"]
        c = requests.post(
            node.url + "/api/v1/checkins",
            json={"kind": "in"},
            timeout=10,
            verify=ca,
            headers={"Authorization": f"Bearer {r.json()['token']}"},
        )
        assert c.status_code == 201 and json.loads(c.text)["body"]["kind"] == "in"
        # A client that does not trust the district CA refuses the connection.
        try:
            requests.get(node.url + "/healthz", timeout=5)
            raise AssertionError("an untrusted certificate was accepted")
        except requests.exceptions.SSLError as exc:
            assert isinstance(exc.__context__, ssl.SSLError) or "CERTIFICATE" in str(exc).upper()
    finally:
        node.stop()
