"""``presensi-central node add`` on an active node asks for ``--rotate`` (issue 18, item 6)."""

from __future__ import annotations

from pathlib import Path

from testkit.factories import CentralProcess, enroll_node, make_central, run_cli


def test_node_add_on_an_active_node_needs_rotate(tmp_path: Path) -> None:
    central = make_central(tmp_path, people=3)
    server = CentralProcess(central.data).start()
    try:
        enroll_node(central, server.url, tmp_path, first_sync=False)
    finally:
        server.stop()
    data = str(central.data)
    refused = run_cli("central", "node", "add", "--data", data, "--name", "kec-alalak", check=False)
    assert refused.returncode == 2 and refused.stdout == ""
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: node kec-alalak is active")
    assert "--rotate" in lines[0]
    rotated = run_cli("central", "node", "add", "--data", data, "--name", "kec-alalak", "--rotate")
    assert rotated.stdout.startswith("kec-alalak.")
    # A node that is not enrolled yet needs no --rotate, twice in a row.
    for _ in range(2):
        assert run_cli(
            "central", "node", "add", "--data", data, "--name", "kec-tamban"
        ).stdout.startswith("kec-tamban.")
