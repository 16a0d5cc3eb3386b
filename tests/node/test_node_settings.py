"""``config set`` (central-url, display-name, public-url) and what uses them: the kiosk
address and the page headers (issue 18, items 5 and 6)."""

from __future__ import annotations

import json
import re

import pytest

from local_node import create_app
from local_node.addresses import lan_address
from local_node.datadir import NodePaths
from testkit.factories import run_cli


def test_config_set_writes_config_json(node_paths: NodePaths) -> None:
    root = str(node_paths.root)
    run_cli(
        "local_node",
        "config",
        "set",
        "central-url",
        "https://presensi.example.go.id/",
        "--data",
        root,
    )
    run_cli("local_node", "config", "set", "display-name", "Kecamatan Alalak", "--data", root)
    saved = json.loads(node_paths.config.read_text())
    assert saved == {
        "CENTRAL_URL": "https://presensi.example.go.id",
        "DISPLAY_NAME": "Kecamatan Alalak",
    }


@pytest.mark.parametrize(
    "key, value, says",
    [
        ("central-url", "presensi.example", "is not an address"),
        ("public-url", "ftp://10.0.0.1", "is not an address"),
        ("display-name", "", "1-80 characters"),
        ("display-name", "x" * 81, "1-80 characters"),
    ],
)
def test_config_set_refuses_bad_values(
    node_paths: NodePaths, key: str, value: str, says: str
) -> None:
    done = run_cli(
        "local_node", "config", "set", key, value, "--data", str(node_paths.root), check=False
    )
    assert done.returncode == 2 and done.stderr.startswith("error: ") and says in done.stderr
    assert not node_paths.config.exists()


def test_kiosk_uses_the_public_url(node_paths: NodePaths) -> None:
    root = str(node_paths.root)
    run_cli("local_node", "config", "set", "public-url", "http://10.1.2.3:8080", "--data", root)
    out = run_cli("local_node", "kiosk", "--data", root).stdout
    assert re.search(r"^  http://10\.1\.2\.3:8080/kiosk#t=\S+$", out, re.M), out


def test_kiosk_uses_the_serving_port_and_a_lan_address(node_paths: NodePaths) -> None:
    out = run_cli(
        "local_node", "kiosk", "--data", str(node_paths.root), env={"PRESENSI_PORT": "9191"}
    ).stdout
    host = lan_address() or "localhost"
    assert f"  http://{host}:9191/kiosk#t=" in out
    assert "127.0.0.1" not in out


def test_pages_show_the_office_name(node_paths: NodePaths, roster: list[dict[str, str]]) -> None:
    run_cli(
        "local_node",
        "config",
        "set",
        "display-name",
        "Kecamatan Alalak",
        "--data",
        str(node_paths.root),
    )
    app = create_app({"DATA_DIR": str(node_paths.root), "TESTING": True})
    try:
        client = app.test_client()
        for path in ("/", "/kiosk", "/admin"):
            html = client.get(path).get_data(as_text=True)
            title = html.split("<title>")[1].split("</title>")[0]
            assert title.endswith("Kecamatan Alalak"), (path, title)
            assert "Kecamatan Alalak" in html.split("<body")[1], path
    finally:
        app.extensions["presensi_node"].close()
