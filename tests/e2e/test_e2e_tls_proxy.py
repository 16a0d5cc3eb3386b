"""Nodes push to central through nginx over HTTPS (a certificate from the district CA), and
every signature still verifies: central rebuilds the https:// URI the node signed from the
forwarded headers, but only for requests from its TRUSTED_PROXY. Real nginx (Debian's
nginx-light, the shipped scripts/systemd/nginx-presensi-central.conf), real processes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from certs.authority import load_ca
from certs.keys import load_private_key
from certs.tls import issue_tls_certificate
from local_node.datadir import NodePaths
from sync.httpsig import sign_request
from testkit.factories import CentralProcess, CentralSetup, NodeProcess, run_cli
from tests.e2e.conftest import CentralView, assert_converged, check_in, checkin_refs, sign_in_all
from tests.e2e.nginx import Nginx

pytestmark = pytest.mark.slow


def _config(path: Path, **values: object) -> None:
    config = json.loads(path.read_text()) if path.exists() else {}
    config.update(values)
    path.write_text(json.dumps(config))


def _nginx(root: Path, central: CentralProcess, setup: CentralSetup) -> Nginx:
    """nginx with an HTTPS certificate for 127.0.0.1 from the district CA."""
    root.mkdir(parents=True)
    cert_pem, key_pem = issue_tls_certificate(
        load_ca(setup.data / "ca"), "central-tls", ["127.0.0.1"]
    )
    (root / "tls.pem").write_bytes(cert_pem)
    (root / "tls.key").write_bytes(key_pem)
    (root / "tls.key").chmod(0o600)
    nginx = Nginx(root, central.port, root / "tls.pem", root / "tls.key")
    shutil.copy(setup.data / "ca" / "ca.pem", nginx.ca_bundle)
    return nginx.start()


def _enroll(setup: CentralSetup, nginx: Nginx, root: Path, name: str) -> NodePaths:
    """``presensi-node init`` through nginx. Before enrollment the node has no ca.pem, so the
    admin points requests at the district CA (or compares the printed fingerprint); after it,
    ``CENTRAL_TLS_CA`` names the ca.pem central sent."""
    paths = NodePaths(root / name)
    run_cli(
        "local_node",
        "init",
        "--data",
        str(paths.root),
        "--central",
        nginx.url,
        "--token",
        setup.node_token(name),
        env={"REQUESTS_CA_BUNDLE": str(nginx.ca_bundle)},
    )
    _config(paths.config, CENTRAL_TLS_CA="certs/ca.pem")
    return paths


@pytest.fixture
def proxied(tmp_path: Path, central_setup: CentralSetup) -> Iterator[tuple[CentralProcess, Nginx]]:
    _config(central_setup.data / "config.json", TRUSTED_PROXY="127.0.0.2")
    central = CentralProcess(central_setup.data).start()
    try:
        nginx = _nginx(tmp_path / "nginx", central, central_setup)
        try:
            yield central, nginx
        finally:
            nginx.stop()
    finally:
        central.kill()


def test_nodes_push_through_nginx_over_https(
    tmp_path: Path, central_setup: CentralSetup, proxied: tuple[CentralProcess, Nginx]
) -> None:
    central, nginx = proxied
    paths = _enroll(central_setup, nginx, tmp_path, "kec-alalak")
    run_cli("local_node", "sync", "--data", str(paths.root))
    node = NodeProcess(paths, scheduler=True).start()
    try:
        staff = sign_in_all(node.url, central_setup.people[:4])
        recs = [check_in(node.url, person)[0] for person in staff]
        view = CentralView(
            central.url, central_setup.viewer_token, central_setup.data / "central.db"
        )
        assert_converged(view, paths)
        checkin_refs(view, recs)
    finally:
        node.kill()
    access = (nginx.root / "access.log").read_text()
    assert access.count("POST /api/v1/batches") >= 2  # the pushes did cross nginx
    assert "GET /api/v1/roster" in access


def _signed(paths: NodePaths, url: str) -> dict[str, str]:
    return sign_request("GET", url, b"", load_private_key(paths.key), paths.root.name)


def test_forwarded_headers_only_from_the_trusted_proxy(
    tmp_path: Path, central_setup: CentralSetup, proxied: tuple[CentralProcess, Nginx]
) -> None:
    """A request signed for the proxy's https:// URI verifies through nginx; sent straight
    to central (from 127.0.0.1, not the trusted 127.0.0.2) with forged X-Forwarded-*
    headers, the same kind of request does not."""
    central, nginx = proxied
    paths = _enroll(central_setup, nginx, tmp_path, "kec-tamban")
    path = "/api/v1/nodes/kec-tamban/checkpoint"
    through = requests.get(
        nginx.url + path,
        headers=_signed(paths, nginx.url + path),
        timeout=10,
        verify=str(nginx.ca_bundle),
    )
    assert through.status_code == 200, through.text
    forged = _signed(paths, nginx.url + path)
    forged.update(
        {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": nginx.url.removeprefix("https://"),
            "X-Forwarded-For": "10.20.30.40",
        }
    )
    direct = requests.get(central.url + path, headers=forged, timeout=10)
    assert direct.status_code == 401, direct.text
    assert direct.json()["error"].startswith("signature-")
    # A client cannot push its own X-Forwarded-Host through nginx either: nginx sets it.
    spoofed = _signed(paths, "https://presensi.example" + path)
    spoofed["X-Forwarded-Host"] = "presensi.example"
    r = requests.get(nginx.url + path, headers=spoofed, timeout=10, verify=str(nginx.ca_bundle))
    assert r.status_code == 401, r.text


def test_without_trusting_the_proxy_every_node_is_refused(
    tmp_path: Path, central_setup: CentralSetup
) -> None:
    """Why TRUSTED_PROXY exists: behind nginx, a central that ignores forwarded headers
    checks signatures against http://127.0.0.1:PORT/... and refuses every node."""
    central = CentralProcess(central_setup.data).start()
    try:
        nginx = _nginx(tmp_path / "nginx", central, central_setup)
        try:
            paths = _enroll(central_setup, nginx, tmp_path, "kec-alalak")
            result = run_cli("local_node", "sync", "--data", str(paths.root), check=False)
        finally:
            nginx.stop()
    finally:
        central.kill()
    assert result.returncode == 2
    assert "401" in result.stderr and "signature" in result.stderr
