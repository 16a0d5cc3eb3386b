"""Central's ``/healthz`` and ``/metrics``: figures read from the database, so they are the
same whichever server worker answers, and a database that is gone or behind the code is a
503 with the reason."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from central.datadir import CentralPaths
from central.store.sqlite import SqliteStore
from sync.httpsig import sign_request
from testkit.factories import CentralProcess, run_cli
from tests.central.conftest import Clock, FakeNode, body_json, enroll


def metric(text: str, name: str, labels: str = "") -> float:
    pattern = "^" + re.escape(name + (f"{{{labels}}}" if labels else "")) + r" (\S+)$"
    match = re.search(pattern, text, re.M)
    assert match, f"{name}{{{labels}}} missing from:\n{text}"
    return float(match.group(1))


def test_metrics_count_accepted_batches_and_records(
    client: FlaskClient, node: FakeNode, clock: Clock, store: SqliteStore
) -> None:
    for i in range(5):
        node.checkin(f"19850101201001100{i}")
    assert node.push(client, 0, 3).status_code == 200
    assert node.push(client, 0, 6).status_code == 200  # 3 duplicates + 3 new
    assert node.push(client, 0, 6).status_code == 200  # all duplicates: still a receipt
    node.checkin("198501012010011009")
    node.checkin("198501012010011009", "out")
    assert node.push(client, 7, 8).status_code == 409  # a gap: refused, not counted
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, "presensi_central_records_ingested_total") == 6
    batches = metric(text, "presensi_central_batches_ingested_total")
    assert batches == 3
    assert metric(text, "presensi_central_batch_seconds_count") == batches
    buckets = [
        float(v)
        for v in re.findall(
            r'^presensi_central_batch_seconds_bucket\{le="[^"]+"\}'
            r" (\S+)$",
            text,
            re.M,
        )
    ]
    assert buckets == sorted(buckets) and buckets[-1] == batches
    assert metric(text, "presensi_central_batch_seconds_sum") > 0
    assert metric(text, "presensi_central_nodes_behind", 'minutes="15"') == 0
    assert metric(text, "presensi_central_alerts_open", 'kind="enrolled"') == 1


def test_a_refused_batch_is_not_counted(client: FlaskClient, node: FakeNode) -> None:
    node.checkin("198501012010011001")
    node.records[1]["sig"] = node.records[0]["sig"]  # a bad signature: refused, alert
    assert node.push(client).status_code == 422
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, "presensi_central_batches_ingested_total") == 0
    assert metric(text, "presensi_central_records_ingested_total") == 0
    assert metric(text, "presensi_central_alerts_open", 'kind="invalid-signature"') == 1


def test_nodes_behind(client: FlaskClient, store: SqliteStore, clock: Clock) -> None:
    a = enroll(client, store, clock, "kec-alalak")
    b = enroll(client, store, clock, "kec-tamban")
    assert a.push(client).status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, "presensi_central_nodes_behind", 'minutes="15"') == 1  # b: never
    clock.advance(16 * 60)
    assert b.push(client).status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, "presensi_central_nodes_behind", 'minutes="15"') == 1  # a: silent
    age = metric(text, "presensi_central_node_last_sync_age_seconds", 'node="kec-alalak"')
    assert 16 * 60 <= age < 16 * 60 + 5


def test_healthz_ok(client: FlaskClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert body_json(r)["ok"] is True and body_json(r)["schema"].startswith("00")


@pytest.mark.parametrize(
    "change, code",
    [
        (
            "DELETE FROM _migrations WHERE name = (SELECT max(name) FROM _migrations)",
            "migrations-pending",
        ),
        (
            "INSERT INTO _migrations VALUES ('999_from_a_newer_release', 0)",
            "schema-newer-than-code",
        ),
        ("DROP TABLE _migrations", "database-unreachable"),
    ],
)
def test_healthz_refuses(
    client: FlaskClient, central_sql: Callable[[str], None], change: str, code: str
) -> None:
    central_sql(change)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert body_json(r)["error"] == code and body_json(r)["message"]


def test_healthz_when_the_database_is_gone(
    client: FlaskClient,
    central_paths: CentralPaths,
    central_database: str | None,
    request: pytest.FixtureRequest,
) -> None:
    """Open connections would keep reading a moved file (or a database closed to new
    connections); healthz opens a new one."""
    client.get("/metrics")
    if central_database is None:
        shutil.move(central_paths.db, central_paths.root / "moved.db")
    else:
        name = central_database.rsplit("/", 1)[1]
        cluster = request.getfixturevalue("pg_cluster")
        cluster.psql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    r = client.get("/healthz")
    assert r.status_code == 503 and body_json(r)["error"] == "database-unreachable"


def test_metrics_agree_across_worker_processes(tmp_path: Path) -> None:
    """Two server workers, eight nodes pushing at once over HTTP: every /metrics answer,
    whichever worker gives it, has the database's totals."""
    data = tmp_path / "central"
    run_cli("central", "init", "--data", str(data))
    paths = CentralPaths(data)
    server = CentralProcess(data, workers=2).start()
    try:
        nodes = []
        clock = Clock()
        for i in range(8):
            name = f"kec-node-{i}"
            token = run_cli(
                "central", "node", "add", "--data", str(data), "--name", name
            ).stdout.split()[0]
            node = FakeNode(name, clock)
            from certs.csr import make_csr

            r = requests.post(
                server.url + "/api/v1/enroll",
                timeout=10,
                json={"token": token, "csr": make_csr(node.key, name).decode()},
            )
            assert r.status_code == 201, r.text
            for j in range(30):
                node.checkin(f"1985010120100110{j:02d}")
            nodes.append(node)

        def push_all(node: FakeNode) -> int:
            accepted = 0
            for start in range(0, len(node.records), 7):
                body = node.batch(0, start + 7)  # overlapping: duplicates too
                url = server.url + "/api/v1/batches"
                headers = sign_request("POST", url, body, node.key, node.name)
                headers["Content-Type"] = "application/json"
                r = requests.post(url, data=body, headers=headers, timeout=30)
                assert r.status_code == 200, r.text
                accepted += 1
            return accepted

        with ThreadPoolExecutor(8) as pool:
            batches = sum(pool.map(push_all, nodes))
        answers = set()
        for _ in range(20):
            text = requests.get(server.url + "/metrics", timeout=10).text
            answers.add(
                (
                    metric(text, "presensi_central_batches_ingested_total"),
                    metric(text, "presensi_central_records_ingested_total"),
                    metric(text, "presensi_central_batch_seconds_count"),
                )
            )
        conn = sqlite3.connect(paths.db)
        held = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        conn.close()
        assert answers == {(batches, held, batches)}
        assert held == 8 * 31
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
    finally:
        server.kill()


def test_an_acknowledged_alert_is_no_longer_open(
    client: FlaskClient, node: FakeNode, admin_token: str
) -> None:
    node.checkin("198501012010011001")
    node.records[1]["sig"] = node.records[0]["sig"]
    assert node.push(client).status_code == 422
    assert node.push(client).status_code == 422  # the same alert again: repeats
    auth = {"Authorization": f"Bearer {admin_token}"}
    (alert,) = client.get("/api/v1/alerts?kind=invalid-signature", headers=auth).get_json()[
        "alerts"
    ]
    r = client.post(
        f"/api/v1/alerts/{alert['id']}/acknowledge",
        headers=auth,
        json={"reason": "kunci node diganti, sudah dicek"},
    )
    assert r.status_code == 200, r.get_json()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'presensi_central_alerts_open{kind="invalid-signature"}' not in text
    assert metric(text, "presensi_central_alerts_open", 'kind="enrolled"') == 1
