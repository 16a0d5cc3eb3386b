"""A throwaway PostgreSQL cluster for tests: initdb in a temporary directory, a free loopback
port, run as an unprivileged user (initdb refuses root), stopped and removed afterwards.

No system service is used or left running: ``stop()`` shuts the postmaster down and deletes
the directory. Each test gets its own database, copied from a migrated template
(``CREATE DATABASE ... TEMPLATE``), which is fast.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testkit.factories import free_port

TEST_USER = "presensi-test"


def pg_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` (Debian's layout), or where pg_ctl is."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    if which is None:
        raise RuntimeError(
            "PostgreSQL is not installed (scripts/lib/bootstrap.sh "
            "ensure_postgresql installs Debian's postgresql package)"
        )
    return Path(which).parent


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The user the cluster runs as: ourselves, or (as root) ``presensi-test``, made if
    missing, since PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(TEST_USER)


@dataclass
class PgCluster:
    root: Path
    port: int
    bindir: Path
    user: pwd.struct_passwd | None
    # Tests trade durability for speed; the scale benchmark (scripts/benchlib/scale.py) runs
    # with PostgreSQL's production defaults, as SQLite runs with synchronous=FULL there.
    durable: bool = False
    _counter: int = field(default=0)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        extra: dict[str, Any] = {}
        if self.user is not None:
            extra = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        return subprocess.run(
            list(args), check=True, capture_output=True, text=True, cwd=self.root, **extra, **kw
        )

    def start(self) -> PgCluster:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--locale=C.UTF-8",
            "--encoding=UTF8",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port}"
            f" -c unix_socket_directories={self.root} -c max_connections=300"
        )
        if self.durable:
            options += " -c fsync=on -c synchronous_commit=on -c shared_buffers=128MB"
        else:
            options += (
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                " -c shared_buffers=64MB"
            )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-l",
            str(self.root / "postgres.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        return self._run(
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            dbname,
            "-At",
            "-c",
            sql,
        ).stdout

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``); returns its name."""
        self._counter += 1
        name = f"t{os.getpid()}_{self._counter}_{int(time.time() * 1000) % 100000}"
        suffix = f" TEMPLATE {template}" if template else ""
        self.psql(f"CREATE DATABASE {name}{suffix}")
        return name

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def dump(self, dbname: str) -> str:
        """``pg_dump`` of one database as SQL text (what an attacker with a backup reads)."""
        return self._run(
            str(self.bindir / "pg_dump"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            dbname,
        ).stdout

    def stop(self) -> None:
        try:
            if (self.datadir / "postmaster.pid").exists():
                self._run(
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "60",
                    "stop",
                )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(*, durable: bool = False) -> PgCluster:
    """Start a fresh cluster in a new temporary directory (``durable``: fsync and
    synchronous commit on, as in production)."""
    root = Path(tempfile.mkdtemp(prefix="presensi-pg-"))
    cluster = PgCluster(
        root=root, port=free_port(), bindir=pg_bindir(), user=_unprivileged_user(), durable=durable
    )
    try:
        return cluster.start()
    except BaseException:
        cluster.stop()
        raise
