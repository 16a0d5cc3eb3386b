"""How many PINs can parallel guessers check against one NIP? (docs/security.md, PIN lockout)

Sets up a node the way a local admin does (``presensi-ca init``, ``presensi-node init
--offline``, the certificate issued, a roster imported), serves it on loopback, and lets
``--guessers`` threads send wrong PINs for one NIP for ``--seconds``. Prints the node's own
count of failed sign-ins (``/metrics``): each is one real PIN check.

    python scripts/pin_guessing.py [--guessers 64] [--seconds 60]

Run from a checkout (the node runs from the current directory's code).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from sync.demo_roster import make_roster, roster_csv


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", *args], check=True, capture_output=True)


def _node(work: Path) -> tuple[Path, dict[str, str]]:
    """An enrolled-offline node data directory with a roster of 5; one of its people."""
    ca, node = work / "ca", work / "kec-alalak"
    _cli("certs", "init", "--dir", str(ca))
    _cli("local_node", "init", "--data", str(node), "--name", "kec-alalak", "--offline")
    _cli(
        "certs",
        "issue",
        "--dir",
        str(ca),
        "--csr",
        str(node / "certs" / "node.csr"),
        "--out",
        str(node / "certs" / "node.pem"),
    )
    shutil.copy(ca / "ca.pem", node / "certs" / "ca.pem")
    people = make_roster(5, seed=3)
    (work / "roster.csv").write_bytes(roster_csv(people))
    _cli("local_node", "roster", "import", "--data", str(node), str(work / "roster.csv"))
    return node, people[0]


def _failures(url: str) -> int:
    text = requests.get(url + "/metrics", timeout=30).text
    match = re.search(r"^presensi_signin_failures_total (\d+)$", text, re.M)
    return int(match.group(1)) if match else -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guessers", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node, victim = _node(Path(tmp))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local_node",
                "serve",
                "--data",
                str(node),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-zeroconf",
                "--no-scheduler",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            for _ in range(300):
                try:
                    requests.get(url + "/healthz", timeout=1)
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            statuses: Counter[int] = Counter()
            lock = threading.Lock()
            stop = time.monotonic() + args.seconds

            def guess(i: int) -> None:
                n = 0
                with requests.Session() as http:
                    while time.monotonic() < stop:
                        pin = f"{(i * 100_003 + n) % 10**6:06d}"
                        n += 1
                        if pin == victim["pin"]:
                            continue
                        r = http.post(
                            url + "/api/v1/session",
                            timeout=60,
                            json={"nip": victim["nip"], "pin": pin},
                        )
                        with lock:
                            statuses[r.status_code] += 1

            threads = [threading.Thread(target=guess, args=(i,)) for i in range(args.guessers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            print(
                f"guessers={args.guessers} seconds={args.seconds:g} "
                f"pin_checks={_failures(url)} statuses={dict(sorted(statuses.items()))}"
            )
        finally:
            os.killpg(server.pid, 9)
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
