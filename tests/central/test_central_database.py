"""Choosing central's database: ``init --database``, the password file, ``migrate``, and
PostgreSQL's monthly partitions of ``records``."""

from __future__ import annotations

import json
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import requests
from flask.testing import FlaskClient

from central.database import open_store, split_password
from central.datadir import CentralPaths
from central.errors import SetupError
from central.store import pg_schema as pgschema
from central.store.postgresql import PostgresStore
from certs.csr import make_csr
from sync.timefmt import WITA
from testkit.factories import CentralProcess, run_cli
from testkit.pgcluster import PgCluster

from .conftest import Clock, FakeNode


@pytest.mark.parametrize(
    ("url", "bare", "password"),
    [
        (
            "postgresql://presensi:s3cret@db.batola:5432/central",
            "postgresql://presensi@db.batola:5432/central",
            "s3cret",
        ),
        (
            "postgresql://presensi:p%40ss%2Fw@db/central",
            "postgresql://presensi@db/central",
            "p@ss/w",
        ),
        (
            "postgresql://presensi@db/central?password=x&sslmode=require",
            "postgresql://presensi@db/central?sslmode=require",
            "x",
        ),
        ("postgres://db/central", "postgres://db/central", None),
        (
            "postgresql:///central?host=/run/postgresql",
            "postgresql:///central?host=/run/postgresql",
            None,
        ),
    ],
)
def test_the_password_is_split_from_the_url(url: str, bare: str, password: str | None) -> None:
    assert split_password(url) == (bare, password)


@pytest.mark.parametrize(
    "url", ["mysql://db/central", "sqlite:///central.db", "central.db", "http://db/central"]
)
def test_a_database_that_is_not_postgresql_is_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(SetupError):
        split_password(url)
    result = run_cli(
        "central", "init", "--data", str(tmp_path / "c"), "--database", url, check=False
    )
    assert result.returncode == 2 and "postgresql://" in result.stderr
    assert not (tmp_path / "c" / "central.db").exists()


def test_init_records_the_url_and_later_commands_need_only_data(
    tmp_path: Path, pg_cluster: PgCluster
) -> None:
    name = pg_cluster.create_database()
    url = pg_cluster.url(name).replace("postgres@", "postgres:Rahasia-123@")
    root = tmp_path / "central"
    out = run_cli("central", "init", "--data", str(root), "--database", url)
    assert pg_cluster.url(name) in out.stdout and "Rahasia" not in out.stdout
    config = json.loads((root / "config.json").read_text())
    assert config["DATABASE_URL"] == pg_cluster.url(name)
    secret = root / "database.password"
    assert secret.read_text() == "Rahasia-123"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert not any(
        "Rahasia" in p.read_text(errors="replace")
        for p in root.rglob("*")
        if p.is_file() and p != secret
    )
    assert not (root / "central.db").exists()

    token = run_cli("central", "node", "add", "--data", str(root), "--name", "kec-cerbon")
    assert token.stdout.startswith("kec-cerbon.")
    run_cli("central", "token", "create", "--data", str(root), "--role", "viewer")
    with psycopg.connect(pg_cluster.url(name)) as conn:
        assert conn.execute("SELECT name, status FROM nodes").fetchall() == [
            ("kec-cerbon", "pending")
        ]
        assert conn.execute("SELECT count(*) FROM api_tokens").fetchone() == (1,)
        assert conn.execute("SELECT value FROM meta WHERE key = 'central_id'").fetchone() == (
            "central-batola",
        )
    assert not (root / "central.db").exists()
    again = run_cli("central", "migrate", "--data", str(root))
    assert "0 migration(s) applied" in again.stdout


def test_init_reads_the_url_from_the_environment(tmp_path: Path, pg_cluster: PgCluster) -> None:
    url = pg_cluster.url(pg_cluster.create_database())
    root = tmp_path / "central"
    run_cli("central", "init", "--data", str(root), env={"PRESENSI_DATABASE_URL": url})
    assert json.loads((root / "config.json").read_text())["DATABASE_URL"] == url
    assert not (root / "database.password").exists()


def test_migrate_applies_what_is_pending_once(tmp_path: Path, pg_cluster: PgCluster) -> None:
    url = pg_cluster.url(pg_cluster.create_database())
    store = PostgresStore(url)
    try:
        assert store.pending_migrations() == [name for name, _ in pgschema.MIGRATIONS]
    finally:
        store.close()
    # A database administrator may prepare the schema before init (--database given).
    root = tmp_path / "central"
    first = run_cli("central", "migrate", "--data", str(root), "--database", url)
    assert "applied 001_initial" in first.stdout
    run_cli("central", "init", "--data", str(root), "--database", url)
    again = run_cli("central", "migrate", "--data", str(root))
    assert "applied" not in again.stdout.split(":")[0] and "0 migration(s)" in again.stdout
    store = PostgresStore(url)
    try:
        assert store.pending_migrations() == []
        assert store.migrate() == []
    finally:
        store.close()


def test_migrate_on_sqlite(tmp_path: Path) -> None:
    root = tmp_path / "central"
    run_cli("central", "init", "--data", str(root))
    out = run_cli("central", "migrate", "--data", str(root))
    assert str(root / "central.db") in out.stdout and "0 migration(s)" in out.stdout
    missing = run_cli("central", "migrate", "--data", str(tmp_path / "none"), check=False)
    assert missing.returncode == 2 and "presensi-central init" in missing.stderr


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    from testkit.factories import free_port

    url = f"postgresql://postgres@127.0.0.1:{free_port()}/central?connect_timeout=1"
    result = run_cli(
        "central", "init", "--data", str(tmp_path / "c"), "--database", url, check=False, timeout=60
    )
    assert result.returncode == 2 and "cannot connect" in result.stderr
    assert "Traceback" not in result.stderr


# --- partitions ----------------------------------------------------------------------------


def _partition_of(url: str, node: str, seq: int) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT tableoid::regclass::text FROM records WHERE node = %s AND seq = %s", (node, seq)
        ).fetchone()
    assert row is not None
    return str(row[0])


def _pg_url(central_paths: CentralPaths) -> str:
    url = json.loads(central_paths.config.read_text())["DATABASE_URL"]
    return str(url)


@pytest.mark.parametrize("central_backend", ["postgresql"], indirect=True)
def test_records_land_in_their_months_partition(
    client: FlaskClient, node: FakeNode, clock: Clock, central_paths: CentralPaths
) -> None:
    far = datetime(2091, 3, 1, tzinfo=UTC).timestamp()
    node.checkin("198501012010011001")
    node.checkin("198501012010011001", ts=far)  # a node whose clock is wrong
    assert node.push(client).status_code == 200
    url = _pg_url(central_paths)
    month = datetime.fromtimestamp(clock.now, UTC)
    assert _partition_of(url, node.name, 1) == pgschema.partition_name(month.year, month.month)
    assert _partition_of(url, node.name, 2) == "records_default"

    # Later the partitions reach that month: it stays in the default partition, still read.
    store = open_store(central_paths)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            made = pgschema.ensure_partitions(conn, far)
        assert "records_2091_03" not in made and "records_2091_02" in made
        assert [r.seq for r in store.records_of(node.name)] == [0, 1, 2]  # type: ignore[attr-defined]
    finally:
        store.close()
    with psycopg.connect(url) as conn:
        changed = conn.execute("SELECT count(*) FROM records WHERE seq = 2").fetchone()
        assert changed == (1,)
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("UPDATE records SET ts = '2026-01-01T00:00:00.000Z' WHERE seq = 2")


# --- a read replica for reports ------------------------------------------------------------


def test_reports_read_the_read_database(
    tmp_path: Path, pg_cluster: PgCluster, pg_template: str
) -> None:
    from central import create_app
    from central.auth import create_api_token

    from .conftest import enroll

    main = pg_cluster.create_database(template=pg_template)
    root = tmp_path / "central"
    run_cli("central", "init", "--data", str(root), "--database", pg_cluster.url(main))
    # The "replica": a copy taken before the node pushes, like a replica lagging behind.
    replica = pg_cluster.url(pg_cluster.create_database(template=main))
    clock = Clock()
    day = datetime.fromtimestamp(clock.now, WITA).strftime("%Y-%m-%d")

    def report(app: object) -> tuple[list[object], list[object]]:
        client = app.test_client()  # type: ignore[attr-defined]
        auth = {"Authorization": f"Bearer {token}"}
        rows = client.get(f"/api/v1/attendance?date={day}", headers=auth).get_json()
        nodes = client.get("/api/v1/nodes", headers=auth).get_json()
        return rows["employees"], nodes["nodes"]

    app = create_app({"DATA_DIR": str(root), "CLOCK": clock, "READ_DATABASE_URL": replica})
    svc = app.extensions["presensi_central"]
    try:
        token = create_api_token(svc.store, "viewer", now=clock.now)
        node = enroll(app.test_client(), svc.store, clock, "kec-alalak")
        node.checkin("198501012010011001")
        assert node.push(app.test_client()).status_code == 200
        assert report(app) == ([], [])  # read from the replica, which has not caught up
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            svc.read_store.add_alert(None, "test", "a write on the replica", clock.now)
    finally:
        svc.close()
    app = create_app({"DATA_DIR": str(root), "CLOCK": clock})
    try:
        rows, nodes = report(app)
        assert len(rows) == 1 and len(nodes) == 1  # the main database has them
    finally:
        app.extensions["presensi_central"].close()


def test_init_records_the_read_database(
    tmp_path: Path, pg_cluster: PgCluster, pg_template: str
) -> None:
    main = pg_cluster.url(pg_cluster.create_database(template=pg_template))
    replica = pg_cluster.url(pg_cluster.create_database(template=pg_template))
    root = tmp_path / "central"
    run_cli(
        "central",
        "init",
        "--data",
        str(root),
        "--database",
        main,
        "--read-database",
        replica.replace("postgres@", "postgres:Baca-456@"),
    )
    config = json.loads((root / "config.json").read_text())
    assert config["DATABASE_URL"] == main and config["READ_DATABASE_URL"] == replica
    secret = root / "read-database.password"
    assert secret.read_text() == "Baca-456" and stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert not (root / "database.password").exists()


@pytest.mark.parametrize("central_backend", ["postgresql"], indirect=True)
def test_connections_the_database_dropped_are_replaced(
    client: FlaskClient, node: FakeNode, central_paths: CentralPaths, pg_cluster: PgCluster
) -> None:
    assert node.push(client).status_code == 200
    name = _pg_url(central_paths).rsplit("/", 1)[1]
    # What a database restart or failover does to every open connection.
    dropped = pg_cluster.psql(
        f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{name}'"
    )
    assert int(dropped) >= 1
    r = node.request(client, "GET", f"/api/v1/nodes/{node.name}/checkpoint")
    assert r.status_code == 200 and r.get_json()["seq"] == 0
    node.checkin("198501012010011001")
    assert node.push(client, 1).status_code == 200


def test_init_never_points_a_central_with_data_at_another_database(
    tmp_path: Path, pg_cluster: PgCluster, pg_template: str
) -> None:
    first = pg_cluster.url(pg_cluster.create_database(template=pg_template))
    other = pg_cluster.url(pg_cluster.create_database(template=pg_template))
    on_sqlite = tmp_path / "sqlite"
    run_cli("central", "init", "--data", str(on_sqlite))
    refused = run_cli("central", "init", "--data", str(on_sqlite), "--database", first, check=False)
    assert refused.returncode == 2 and "SQLite" in refused.stderr
    config = on_sqlite / "config.json"
    assert not config.exists() or "DATABASE_URL" not in config.read_text()

    on_pg = tmp_path / "pg"
    run_cli("central", "init", "--data", str(on_pg), "--database", first)
    run_cli("central", "init", "--data", str(on_pg), "--database", first)  # the same: fine
    refused = run_cli("central", "init", "--data", str(on_pg), "--database", other, check=False)
    assert refused.returncode == 2 and "already uses" in refused.stderr
    assert json.loads((on_pg / "config.json").read_text())["DATABASE_URL"] == first


class ServedElsewhere(CentralProcess):
    """``serve --database URL``: a server told to use another database than the recorded one."""

    def __init__(self, data: Path, database: str) -> None:
        super().__init__(data, workers=2)
        self.database = database

    def command(self) -> list[str]:
        return [*super().command(), "--database", self.database]


def test_serve_database_overrides_the_recorded_url(
    tmp_path: Path, pg_cluster: PgCluster, pg_template: str
) -> None:
    recorded = pg_cluster.create_database(template=pg_template)
    root = tmp_path / "central"
    run_cli("central", "init", "--data", str(root), "--database", pg_cluster.url(recorded))
    moved = pg_cluster.create_database(template=recorded)  # e.g. restored on a new server
    server = ServedElsewhere(root, pg_cluster.url(moved)).start()
    try:
        # node add takes only --data: the token goes to the recorded database ...
        token = run_cli(
            "central", "node", "add", "--data", str(root), "--name", "kec-alalak"
        ).stdout.strip()
        node = FakeNode("kec-alalak", Clock())
        r = requests.post(
            server.url + "/api/v1/enroll",
            timeout=30,
            json={"token": token, "csr": make_csr(node.key, "kec-alalak").decode()},
        )
        # ... and the server reads the one --database names, where it is unknown.
        assert r.status_code == 401 and r.json()["error"] == "token-invalid"
    finally:
        server.stop()
    with psycopg.connect(pg_cluster.url(moved)) as conn:
        assert conn.execute("SELECT count(*) FROM enroll_tokens").fetchone() == (0,)
    with psycopg.connect(pg_cluster.url(recorded)) as conn:
        assert conn.execute("SELECT count(*) FROM enroll_tokens").fetchone() == (1,)


@pytest.mark.parametrize("central_backend", ["postgresql"], indirect=True)
def test_an_unreachable_database_is_503_and_nothing_is_lost(
    central_paths: CentralPaths, central_clock: Clock, pg_cluster: PgCluster
) -> None:
    from central import create_app

    from .conftest import enroll

    app = create_app(
        {
            "DATA_DIR": str(central_paths.root),
            "TESTING": True,
            "CLOCK": central_clock,
            "DATABASE_TIMEOUT_S": 1,
        }
    )
    client = app.test_client()
    svc = app.extensions["presensi_central"]
    name = _pg_url(central_paths).rsplit("/", 1)[1]
    try:
        node = enroll(client, svc.store, central_clock, "kec-alalak")
        node.checkin("198501012010011001")
        pg_cluster.psql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        pg_cluster.psql(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        )
        r = node.push(client)
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert r.get_json()["error"] == "database-unavailable"
        pg_cluster.psql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        # The node retries (backing off) until the pool has reconnected.
        deadline = time.monotonic() + 30
        while (r := node.push(client)).status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert r.status_code == 200 and r.get_json()["accepted"] == 2
    finally:
        pg_cluster.psql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        svc.close()
