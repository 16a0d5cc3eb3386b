"""nginx from Debian (nginx-light) as a real TLS-terminating proxy in tests: the shipped
``scripts/systemd/nginx-presensi-central.conf`` with test ports, paths and certificate."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import requests

from testkit.factories import REPO, free_port

SHIPPED = REPO / "scripts" / "systemd" / "nginx-presensi-central.conf"


class Nginx:
    """``nginx -g 'daemon off;'`` in a directory of its own, proxying to ``upstream_port``.

    ``bind``: the local address nginx connects to central from (``proxy_bind``), so a test
    can tell the proxy's connections from its own direct ones (both are loopback)."""

    def __init__(
        self, root: Path, upstream_port: int, cert: Path, key: Path, bind: str = "127.0.0.2"
    ) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.upstream_port = upstream_port
        self.cert, self.key, self.bind = cert, key, bind
        self.proc: subprocess.Popen[bytes] | None = None

    def site(self) -> str:
        text = SHIPPED.read_text()
        replacements = {
            "listen 443 ssl;": f"listen 127.0.0.1:{self.port} ssl;",
            "listen [::]:443 ssl;": "",
            "/etc/ssl/presensi/central-tls.pem": str(self.cert),
            "/etc/ssl/presensi/central-tls.key": str(self.key),
            "proxy_pass http://127.0.0.1:8700;": f"proxy_pass http://127.0.0.1:{self.upstream_port};\n"
            f"        proxy_bind {self.bind};",
        }
        for old, new in replacements.items():
            assert old in text, f"{SHIPPED.name} no longer has {old!r}"
            text = text.replace(old, new)
        return text

    def config(self) -> str:
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "\n".join(
            f"    {kind}_temp_path {self.root / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            f"{user}worker_processes 1;\npid {self.root / 'nginx.pid'};\n"
            f"error_log {self.root / 'error.log'} info;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"    access_log {self.root / 'access.log'};\n{temp}\n"
            f"    include {self.root / 'site.conf'};\n}}\n"
        )

    def start(self, timeout: float = 15) -> Nginx:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise AssertionError(
                "nginx is missing: apt-get install nginx-light "
                "(scripts/lib/bootstrap.sh installs it)"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "site.conf").write_text(self.site())
        (self.root / "nginx.conf").write_text(self.config())
        check = subprocess.run(
            [nginx, "-t", "-c", str(self.root / "nginx.conf"), "-p", str(self.root)],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen(
            [nginx, "-c", str(self.root / "nginx.conf"), "-p", str(self.root), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/healthz", timeout=1, verify=str(self.ca_bundle))
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"nginx did not come up: {(self.root / 'error.log').read_text()}")

    @property
    def ca_bundle(self) -> Path:
        return self.root / "ca.pem"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)
        self.proc = None
