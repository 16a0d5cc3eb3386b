"""Path traversal: URL path parameters, static files, and the node CLI's export and backup."""

from __future__ import annotations

import sqlite3

import pytest

from testkit.factories import run_cli

pytestmark = pytest.mark.faults

TRAVERSALS = [
    "/api/v1/nodes/..%2F..%2Fetc/checkpoint",
    "/api/v1/nodes/%2e%2e%2f%2e%2e%2fetc%2fpasswd/checkpoint",
    "/api/v1/nodes/../../etc/passwd",
    "/api/v1/nodes/..%5C..%5Cca%5Cca.key/checkpoint",
    "/api/v1/nodes/kec-alalak%00/checkpoint",
    "/api/v1/nodes/%252e%252e%252fca/checkpoint",
    "/static/../ca/ca.key",
    "/static/..%2f..%2fca%2fca.key",
    "/dashboard/../ca/ca.key",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_central_url_traversal_is_4xx_and_leaks_nothing(central_client, fake_node, path):
    for r in (central_client.get(path), fake_node.request(central_client, "GET", path)):
        assert 400 <= r.status_code < 500, (path, r.status_code)
        assert b"PRIVATE KEY" not in r.data and b"CERTIFICATE" not in r.data


@pytest.mark.parametrize(
    "path",
    [
        "/static/../node.db",
        "/static/..%2fnode.db",
        "/static/..%2f..%2fkeys%2fnode.key",
        "/static/%2e%2e/%2e%2e/keys/node.key",
        "/static/app.js/../../keys/node.key",
        "/api/v1/../../keys/node.key",
    ],
)
def test_node_url_traversal_is_404_and_leaks_nothing(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert b"PRIVATE KEY" not in r.data and b"SQLite" not in r.data


@pytest.mark.parametrize("since", ["abc", "1;rm -rf /", "../../etc/passwd", "1e3", "", "0x10"])
def test_export_refuses_junk_since(node_paths, since):
    r = run_cli(
        "local_node", "export", "--data", str(node_paths.root), "--since", since, check=False
    )
    assert r.returncode == 2
    assert r.stdout == "" and "Traceback" not in r.stderr


def test_export_since_beyond_the_head_prints_nothing(node_paths):
    r = run_cli("local_node", "export", "--data", str(node_paths.root), "--since", "999999")
    assert r.stdout == ""


def test_export_of_a_missing_data_dir_is_a_clean_error(tmp_path):
    r = run_cli(
        "local_node", "export", "--data", str(tmp_path / "nope" / ".." / "nope"), check=False
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_backup_never_overwrites(node_paths, tmp_path):
    db = node_paths.db
    db_bytes = db.read_bytes()
    existing = tmp_path / "precious.txt"
    existing.write_text("keep me")
    targets = [
        existing,
        tmp_path,
        node_paths.root / ".." / node_paths.root.name / "node.db",
        node_paths.key,
        node_paths.root / "certs" / ".." / "keys" / "node.key",
    ]
    key_bytes = node_paths.key.read_bytes()
    for target in targets:
        r = run_cli(
            "local_node",
            "backup",
            "--data",
            str(node_paths.root),
            "--out",
            str(target),
            check=False,
        )
        assert r.returncode == 2, (target, r.stdout, r.stderr)
        assert "already exists" in r.stderr and "Traceback" not in r.stderr
    assert existing.read_text() == "keep me"
    assert node_paths.key.read_bytes() == key_bytes
    assert db.read_bytes() == db_bytes


def test_backup_into_a_missing_directory_is_a_clean_error(node_paths, tmp_path):
    r = run_cli(
        "local_node",
        "backup",
        "--data",
        str(node_paths.root),
        "--out",
        str(tmp_path / "no" / "such" / "dir" / "b.db"),
        check=False,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_backup_to_a_relative_path_outside_the_data_dir_works(node_paths, tmp_path):
    target = node_paths.root / ".." / "backup-1.db"
    run_cli("local_node", "backup", "--data", str(node_paths.root), "--out", str(target))
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM log").fetchone()[0] >= 1
