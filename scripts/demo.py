"""The demo behind ``scripts/demo``: a district CA, central, one enrolled node, a roster.

Everything lives in ./demo-data (delete it to start over). Ports: central 8700, node 8080
(override with --central-port / --node-port). The node listens on every address and the demo
prints the machine's LAN address for phones (or the one given with --host); the kiosk QR code
and the poster carry that address. Whatever fails, everything the demo started is stopped.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
sys.path.insert(0, str(REPO))

from scripts.demolib.history import demo_history  # noqa: E402
from sync.demo_roster import make_roster, roster_csv  # noqa: E402

ROSTER_SIZE = 300
DEMO_ADMIN = "admin.demo"
# The officials' accounts the demo makes: (name, role, unit it is limited to or None).
DEMO_OFFICIALS = [
    (DEMO_ADMIN, "admin", None),
    ("penyetuju.demo", "approver", None),
    ("pemantau.demo", "viewer", "Seksi Pemerintahan"),
]


def run(*args: str) -> str:
    result = subprocess.run([PY, "-m", *args], cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"demo: {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def wait_up(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"demo: {what} exited; see its log in demo-data/")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    sys.exit(f"demo: {what} did not start")


def setup(root: Path) -> None:
    central = root / "central"
    people = make_roster(ROSTER_SIZE, seed=2026)
    roster = root / "roster-alalak.csv"
    roster.write_bytes(roster_csv(people))
    (root / "demo-logins.csv").write_bytes(roster_csv(people[:10]))
    print("== creating the district CA and central (first run only)")
    run("central", "init", "--data", str(central))
    print(f"== importing a roster of {ROSTER_SIZE} employees of Kecamatan Alalak (hashing PINs)")
    run("central", "roster", "import", "--data", str(central), str(roster))
    token = run("central", "token", "create", "--data", str(central), "--role", "viewer")
    (root / "viewer-token").write_text(token.split()[-1])
    for name, role, unit in DEMO_OFFICIALS:
        run(
            "central",
            "user",
            "add",
            "--data",
            str(central),
            "--name",
            name,
            "--role",
            role,
            *(("--unit", unit) if unit else ()),
        )
    # The monthly recap needs a rule set: the example one, to be replaced by the regency's own.
    run(
        "central",
        "rules",
        "import",
        "--data",
        str(central),
        str(REPO / "docs" / "rules-example.toml"),
    )


def official_sign_in(root: Path, central_url: str) -> str:
    """How each demo official signs in: a fresh one-time link while no password is set."""
    central = str(root / "central")
    accounts = run("central", "user", "list", "--data", central)
    lines = []
    for name, role, unit in DEMO_OFFICIALS:
        scope = f"{role}, {unit} only" if unit else role
        if not any(
            line.startswith(f"{name}\t") and line.endswith("no-password")
            for line in accounts.splitlines()
        ):
            lines.append(
                f"{central_url}/dashboard/masuk  (account {name} [{scope}], your password)"
            )
            continue
        link = run(
            "central",
            "user",
            "reset",
            "--data",
            central,
            "--name",
            name,
            "--reason",
            "demo start: new password link",
            "--url",
            central_url,
        ).strip()
        lines.append(
            f"{link}\n      (one-time link: choose a password, then sign in as {name} [{scope}])"
        )
    return "\n    ".join(lines)


def enroll(root: Path, central_url: str) -> None:
    central, node = root / "central", root / "node"
    added = run("central", "node", "add", "--data", str(central), "--name", "kec-alalak")
    token = added.split()[-1]
    run("local_node", "init", "--data", str(node), "--central", central_url, "--token", token)
    run("local_node", "sync", "--data", str(node))


def port_free(port: int) -> bool:
    """Whether nothing listens on ``port`` (on any address) yet."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def check_ports(ports: dict[str, int]) -> None:
    """Exit with a message naming a taken port and the option that moves it."""
    for option, port in ports.items():
        if not port_free(port):
            sys.exit(
                f"demo: port {port} is taken (another program, or a demo already "
                f"running: ss -ltnp 'sport = :{port}' shows which). Stop it, or choose "
                f"another port: scripts/demo {option} {port + 1}"
            )


class Servers:
    """The processes the demo started; ``stop`` ends every one of them, whatever happened."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, what: str, *cmd: str) -> subprocess.Popen[bytes]:
        with open(self.root / f"{what}.log", "ab") as log:
            proc = subprocess.Popen(
                [PY, "-m", *cmd],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self.procs.clear()


def phone_host(chosen: str | None) -> str | None:
    """The address phones on this network use: --host, else this machine's LAN address."""
    if chosen:
        return chosen
    from local_node.addresses import lan_address

    return lan_address()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", default=str(REPO / "demo-data"))
    parser.add_argument("--central-port", type=int, default=8700)
    parser.add_argument("--node-port", type=int, default=8080)
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="skip the past month of check-ins made on a fresh demo-data",
    )
    parser.add_argument(
        "--host",
        help="the address phones on this network open (default: "
        "this machine's LAN address, when it has one)",
    )
    args = parser.parse_args()
    root = Path(args.dir)
    check_ports({"--central-port": args.central_port, "--node-port": args.node_port})
    central_url = f"http://127.0.0.1:{args.central_port}"
    local_url = f"http://localhost:{args.node_port}"
    host = phone_host(args.host)
    phone_url = f"http://{host}:{args.node_port}" if host else None
    fresh = not (root / "central").exists()
    root.mkdir(parents=True, exist_ok=True)
    servers = Servers(root)

    def on_signal(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if fresh:
            setup(root)
        if not args.no_history and not (root / "node").exists():
            demo_history(root, make_roster(ROSTER_SIZE, seed=2026), central_url)
        central = servers.start(
            "central",
            "central",
            "serve",
            "--data",
            str(root / "central"),
            "--host",
            "127.0.0.1",
            "--port",
            str(args.central_port),
        )
        wait_up(central_url + "/healthz", central, "central")
        if not (root / "node" / "certs" / "node.pem").exists():
            print("== enrolling node kec-alalak with central")
            enroll(root, central_url)
        node_data = str(root / "node")
        # Posters, the kiosk screen and its QR code carry the address a phone can open.
        run(
            "local_node", "config", "set", "public-url", phone_url or local_url, "--data", node_data
        )
        run("local_node", "config", "set", "display-name", "Kecamatan Alalak", "--data", node_data)
        node = servers.start(
            "node",
            "local_node",
            "serve",
            "--data",
            node_data,
            "--host",
            "0.0.0.0",
            "--port",
            str(args.node_port),
        )
        wait_up(local_url + "/healthz", node, "node")
        announce(root, central_url, local_url, phone_url)
        while True:
            for proc in servers.procs:
                if proc.poll() is not None:
                    sys.exit(f"demo: a server exited; see the logs in {root}")
            time.sleep(1)
    except KeyboardInterrupt:
        print("\ndemo stopped.")
        return 0
    finally:
        servers.stop()


def announce(root: Path, central_url: str, local_url: str, phone_url: str | None) -> None:
    with open(root / "demo-logins.csv", encoding="utf-8") as f:
        logins = list(csv.DictReader(f))
    # The first nine are unit heads; the tenth is a staff member of the first head's unit.
    head, staff = logins[0], logins[9]
    kiosk = run("local_node", "kiosk", "--data", str(root / "node"))
    kiosk_url = kiosk.split()[-1]
    token = (root / "viewer-token").read_text().strip()
    now_wita = datetime.now(timezone(timedelta(hours=8)))
    today = now_wita.strftime("%Y-%m-%d")
    last_month = (now_wita.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    if phone_url:
        phones = f"  On a phone on the same network:  {phone_url}/"
    else:
        phones = (
            "  No LAN address found: phones cannot reach this machine. Connect it to a "
            "network,\n  or give the address phones should use: scripts/demo --host "
            "192.168.1.10"
        )
    print(
        f"""
Smart Presensi demo is running (data in {root}).

  Staff check-in page, on this machine:  {local_url}/
{phones}
      NIP {staff["nip"]}  PIN {staff["pin"]}  ({staff["name"]}, staff)
      NIP {head["nip"]}  PIN {head["pin"]}  ({head["name"]}, head of {head["unit"]}:
          sees the manual list of the unit)
  Office kiosk screen (rotating QR code; scan it, then tap Datang):  {kiosk_url}
  Local admin page:  {local_url}/admin  (set its password first:
      .venv/bin/presensi-node admin set-password --data {root / "node"})
  Central dashboard (Diskominfo):  {official_sign_in(root, central_url)}
      The month per unit: {central_url}/dashboard/bulan?month={last_month}
  An employee's own month and objections:  {central_url}/saya/masuk
      (the same NIP and PIN as at the office, e.g. NIP {staff["nip"]}  PIN {staff["pin"]})
  Attendance API:  curl -H 'Authorization: Bearer {token}' \\
                     '{central_url}/api/v1/attendance?date={today}'
  Last month's TPP recap (Excel):  curl -H 'Authorization: Bearer {token}' -o rekap.xlsx \\
                     '{central_url}/api/v1/recap?month={last_month}&format=xlsx'

More demo logins: {root / "demo-logins.csv"}. Logs: {root}/*.log. Press Ctrl-C to stop.
""",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
