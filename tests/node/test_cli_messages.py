"""Every message a person reads says what to do (issue 18, item 4): each command with each
bad input prints exactly one ``error:`` line, no traceback, and exits 2."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from certs.authority import CertificateAuthority
from local_node.datadir import NodePaths
from testkit.factories import REPO, free_port, make_node, roster_file, run_cli

MISSING = "/nonexistent/presensi-data"
NOT_A_NODE = "is not a node data directory (no node.db there)"

# Run without the capabilities that let root ignore file modes and bind ports below 1024:
# what an ordinary user meets (the Python under /root cannot run as another uid here).
UNPRIVILEGED = [
    "setpriv",
    "--inh-caps=-all",
    "--bounding-set=-net_bind_service,-dac_override,-dac_read_search,-fowner",
    "--",
]


def node_cli(
    *args: str, prefix: list[str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "local_node", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        input=stdin,
        env=os.environ.copy(),
        timeout=120,
    )


def assert_one_error(done: subprocess.CompletedProcess[str], *says: str) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in done.stderr and "Errno" not in done.stderr
    for text in says:
        assert text in lines[0], lines[0]
    return lines[0]


WRONG_PATH = [
    ["status", "--data", MISSING],
    ["status", "--json", "--data", MISSING],
    ["verify", "--data", MISSING],
    ["sync", "--data", MISSING],
    ["export", "--data", MISSING],
    ["backup", "--data", MISSING, "--out", "/tmp/never.db"],
    ["roster", "import", "--data", MISSING, "docs/roster-example.csv"],
    ["kiosk", "--data", MISSING],
    ["poster", "--data", MISSING, "--out", "/tmp/never.pdf"],
    ["cards", "--data", MISSING, "--unit", "X", "--out", "/tmp/never.pdf"],
    ["config", "set", "central-url", "http://10.0.0.1", "--data", MISSING],
    ["admin", "set-password", "--data", MISSING],
    ["serve", "--data", MISSING, "--port", str(free_port())],
]


@pytest.mark.parametrize("args", WRONG_PATH, ids=lambda a: " ".join(a[:2]))
def test_wrong_data_path_names_the_directory_and_the_fix(args: list[str]) -> None:
    line = assert_one_error(node_cli(*args), MISSING, NOT_A_NODE, "presensi-node init")
    # verify says the same as status.
    assert line == assert_one_error(node_cli("status", "--data", MISSING))


@pytest.mark.parametrize(
    "port, says",
    [
        ("99999", "99999 is not a port number; give one from 1 to 65535"),
        ("0", "0 is not a port number"),
        ("-1", "-1 is not a port number"),
        ("http", "'http' is not a port number"),
    ],
)
def test_bad_port(port: str, says: str) -> None:
    assert_one_error(
        node_cli("serve", "--data", MISSING, "--port", port), says, "presensi-node serve --help"
    )


def test_port_80_without_privileges_says_to_use_8080() -> None:
    done = node_cli(
        "serve", "--data", MISSING, "--host", "127.0.0.1", "--port", "80", prefix=UNPRIVILEGED
    )
    assert_one_error(done, "cannot listen on port 80", "below 1024 need root", "--port 8080")


def test_port_in_use_names_it_and_how_to_choose_another() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = node_cli("serve", "--data", MISSING, "--host", "127.0.0.1", "--port", str(port))
    assert_one_error(done, f"port {port} is in use (on 127.0.0.1", "--port")


def test_unreachable_central_is_one_line_with_the_url_and_the_likely_cause(tmp_path: Path) -> None:
    done = node_cli(
        "init",
        "--data",
        str(tmp_path / "n"),
        "--central",
        "http://127.0.0.1:9",
        "--token",
        "kec-alalak.abcdefghijklmnop",
    )
    assert_one_error(
        done,
        "cannot reach central at http://127.0.0.1:9",
        "is central running",
        "run the same command again",
    )
    assert "HTTPConnectionPool" not in done.stderr


@pytest.mark.parametrize(
    "args, says",
    [
        (["init", "--data", "D"], "give either --central URL --token T"),
        (["init", "--data", "D", "--central", "http://x"], "--central needs --token"),
        (["init", "--data", "D", "--central", "http://x", "--token", "nodot"], "NODE.SECRET"),
        (["frobnicate"], "invalid choice"),
        (["config", "set", "colour", "blue", "--data", "D"], "invalid choice"),
    ],
)
def test_usage_mistakes(tmp_path: Path, args: list[str], says: str) -> None:
    args = [str(tmp_path / "n") if a == "D" else a for a in args]
    assert_one_error(node_cli(*args), says)


@pytest.fixture
def node(tmp_path: Path, district_ca: CertificateAuthority) -> NodePaths:
    return make_node(tmp_path, district_ca)


@pytest.mark.parametrize(
    "content, says",
    [
        (
            b"nip;name;unit;role;pin\n198501012010011001;A;U;staff;123456\n",
            "separated by semicolons (;)",
        ),
        (b"nip,name,unit,role\n198501012010011001,A,U,staff\n", "missing column(s) pin"),
        (b"nip,nama,unit,role,pin\n", "missing column(s) name; unknown column(s) nama"),
        (
            "nip,name,unit,role,pin\n198501012010011001,Jos\u00e9,U,staff,123456\n".encode(
                "latin-1"
            ),
            "looks like Latin-1",
        ),
        (b"", "the file is empty"),
    ],
)
def test_roster_file_problems_are_named(
    node: NodePaths, tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    assert_one_error(
        node_cli("roster", "import", "--data", str(node.root), str(path)), "nothing imported", says
    )


def test_roster_import_help_shows_the_format_and_the_example() -> None:
    done = node_cli("roster", "import", "--help")
    assert done.returncode == 0
    assert "nip,name,unit,role,pin" in done.stdout and "docs/roster-example.csv" in done.stdout
    example = (REPO / "docs" / "roster-example.csv").read_text(encoding="utf-8")
    assert example.splitlines()[0] == "nip,name,unit,role,pin"


def test_example_roster_imports(node: NodePaths) -> None:
    done = run_cli(
        "local_node",
        "roster",
        "import",
        "--data",
        str(node.root),
        str(REPO / "docs" / "roster-example.csv"),
    )
    assert done.stdout.startswith("Imported ")


@pytest.mark.parametrize(
    "args, says",
    [
        (["roster", "import", "--data", "D", "T/missing.csv"], "T/missing.csv does not exist"),
        (["backup", "--data", "D", "--out", "T/no-such-folder/b.db"], "does not exist"),
        (["backup", "--data", "D", "--out", "D/node.db"], "already exists; choose a new path"),
        (["export", "--data", "D", "--since", "x"], "invalid int value"),
        (["kiosk", "--data", "D", "--url", "localhost:8080"], "is not an address"),
        (
            ["init", "--data", "T/file", "--name", "kec-x", "--offline"],
            "T/file is a file where a folder is needed",
        ),
        (["init", "--data", "T/n", "--name", "Bad Name!", "--offline"], "node id"),
    ],
)
def test_bad_arguments_of_node_commands(
    node: NodePaths, tmp_path: Path, args: list[str], says: str
) -> None:
    (tmp_path / "file").write_text("not a directory")
    args = [
        a.replace("D", str(node.root), 1)
        if a.startswith("D")
        else a.replace("T", str(tmp_path), 1)
        if a.startswith("T")
        else a
        for a in args
    ]
    says = says.replace("T", str(tmp_path), 1) if says.startswith("T") else says
    assert_one_error(node_cli(*args), says)


def test_root_in_a_directory_of_the_service_user_is_told_to_switch(node: NodePaths) -> None:
    shutil.chown(node.root, "nobody")
    line = assert_one_error(
        node_cli("status", "--data", str(node.root)),
        "belongs to user nobody",
        "runuser -u nobody -- presensi-node status",
    )
    assert "sudo -u nobody" in line


def test_a_database_of_another_user_names_the_owner(node: NodePaths) -> None:
    os.chmod(node.db, 0o600)
    shutil.chown(node.db, "nobody")
    done = node_cli(
        "roster",
        "import",
        "--data",
        str(node.root),
        str(REPO / "docs" / "roster-example.csv"),
        prefix=UNPRIVILEGED,
    )
    assert_one_error(done, str(node.db), "belongs to user nobody", "runuser -u nobody --")


def test_closed_pipe_ends_quietly(node: NodePaths, tmp_path: Path) -> None:
    csv_path, _ = roster_file(tmp_path, 20)
    run_cli("local_node", "roster", "import", "--data", str(node.root), str(csv_path))
    for args in (["status", "--json"], ["export"]):
        with subprocess.Popen(
            [sys.executable, "-m", "local_node", *args, "--data", str(node.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
        ) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.close()  # the reader is gone before the command writes (| head -0)
            err = proc.stderr.read().decode()
            assert proc.wait(60) == 0
        assert err == "", err
