"""The demo behind ``scripts/demo``: a district CA, central, one enrolled node, a roster.

Everything lives in ./demo-data (delete it to start over). Ports: central 8700, node 8080
(override with --central-port / --node-port).
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
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
    run("central", "user", "add", "--data", str(central), "--name", DEMO_ADMIN, "--role",
        "admin")


def official_sign_in(root: Path, central_url: str) -> str:
    """How the demo admin signs in: a fresh one-time link while no password is set."""
    central = str(root / "central")
    accounts = run("central", "user", "list", "--data", central)
    if f"{DEMO_ADMIN}\tadmin\t*\tno-password" not in accounts:
        return f"{central_url}/dashboard/masuk  (account {DEMO_ADMIN}, your password)"
    link = run("central", "user", "reset", "--data", central, "--name", DEMO_ADMIN,
               "--reason", "demo start: new password link", "--url", central_url).strip()
    return f"{link}\n      (one-time link: choose a password, then sign in as {DEMO_ADMIN})"


def enroll(root: Path, central_url: str) -> None:
    central, node = root / "central", root / "node"
    added = run("central", "node", "add", "--data", str(central), "--name", "kec-alalak")
    token = added.split()[-1]
    run("local_node", "init", "--data", str(node), "--central", central_url, "--token", token)
    run("local_node", "sync", "--data", str(node))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", default=str(REPO / "demo-data"))
    parser.add_argument("--central-port", type=int, default=8700)
    parser.add_argument("--node-port", type=int, default=8080)
    parser.add_argument("--no-history", action="store_true",
                        help="skip the past month of check-ins made on a fresh demo-data")
    args = parser.parse_args()
    root = Path(args.dir)
    central_url = f"http://127.0.0.1:{args.central_port}"
    node_url = f"http://127.0.0.1:{args.node_port}"
    fresh = not (root / "central").exists()
    root.mkdir(parents=True, exist_ok=True)
    if fresh:
        setup(root)
    if not args.no_history and not (root / "node").exists():
        demo_history(root, make_roster(ROSTER_SIZE, seed=2026), central_url)
    procs: list[subprocess.Popen[bytes]] = []

    def start(what: str, *cmd: str) -> subprocess.Popen[bytes]:
        log = open(root / f"{what}.log", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen([PY, "-m", *cmd], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        procs.append(proc)
        return proc

    def stop(*_: object) -> None:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        print("\ndemo stopped.")
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    central = start("central", "central", "serve", "--data", str(root / "central"),
                    "--host", "127.0.0.1", "--port", str(args.central_port))
    wait_up(central_url + "/healthz", central, "central")
    if not (root / "node" / "certs" / "node.pem").exists():
        print("== enrolling node kec-alalak with central")
        enroll(root, central_url)
    node = start("node", "local_node", "serve", "--data", str(root / "node"),
                 "--host", "0.0.0.0", "--port", str(args.node_port))
    wait_up(node_url + "/healthz", node, "node")
    with open(root / "demo-logins.csv", encoding="utf-8") as f:
        logins = list(csv.DictReader(f))
    # The first nine are unit heads; the tenth is a staff member of the first head's unit.
    head, staff = logins[0], logins[9]
    kiosk = run("local_node", "kiosk", "--data", str(root / "node"), "--url", node_url)
    kiosk_url = kiosk.split()[-1]
    token = (root / "viewer-token").read_text().strip()
    today = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m-%d")
    print(f"""
Smart Presensi demo is running (data in {root}).

  Staff check-in page (open on a phone on this Wi-Fi, or here):  {node_url}/
      NIP {staff['nip']}  PIN {staff['pin']}  ({staff['name']}, staff)
      NIP {head['nip']}  PIN {head['pin']}  ({head['name']}, head of {head['unit']}:
          sees the manual list of the unit)
  Office kiosk screen (rotating QR code; scan it, then tap Datang):  {kiosk_url}
  Central dashboard (Diskominfo):  {official_sign_in(root, central_url)}
  Attendance API:  curl -H 'Authorization: Bearer {token}' \\
                     '{central_url}/api/v1/attendance?date={today}'

More demo logins: {root / 'demo-logins.csv'}. Logs: {root}/*.log. Press Ctrl-C to stop.
""", flush=True)
    while True:
        for proc in procs:
            if proc.poll() is not None:
                print("demo: a server exited; see the logs", file=sys.stderr)
                stop()
        time.sleep(1)


if __name__ == "__main__":
    raise SystemExit(main())
