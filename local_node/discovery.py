"""Zeroconf on the office LAN (docs/serving.md): announce this node, list the others.

The service type is ``_presensi._tcp.local.``; the instance is the node id; TXT carries
``node``, ``version`` and ``fp`` (SHA-256 fingerprint of the node certificate), so a phone or
an admin can tell a genuine office node from an impostor by its certificate.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from zeroconf import (
    InterfaceChoice,
    IPVersion,
    ServiceBrowser,
    ServiceInfo,
    ServiceListener,
    Zeroconf,
)

log = logging.getLogger(__name__)

SERVICE_TYPE = "_presensi._tcp.local."
Interfaces = list[str] | InterfaceChoice


def local_addresses() -> list[str]:
    """IPv4 addresses to announce: the one used for the default route, else loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address = str(probe.getsockname()[0])
        except OSError:
            address = "127.0.0.1"
    return [address]


class Announcement:
    """A registered service; ``close()`` withdraws it and stops zeroconf."""

    def __init__(self, zc: Zeroconf, info: ServiceInfo) -> None:
        self._zc = zc
        self.info = info
        self._closed = False
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._zc.unregister_service(self.info)
        finally:
            self._zc.close()


def announce(name: str, port: int, version: str, fingerprint: str, *,
             addresses: list[str] | None = None,
             interfaces: Interfaces = InterfaceChoice.All) -> Announcement:
    """Register ``name`` as a Presensi node on ``port``; return a handle with ``close()``."""
    addrs = addresses or local_addresses()
    info = ServiceInfo(
        SERVICE_TYPE,
        f"{name}.{SERVICE_TYPE}",
        addresses=[socket.inet_aton(a) for a in addrs],
        port=port,
        properties={"node": name, "version": version, "fp": fingerprint},
        server=f"{name}.local.",
    )
    zc = Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
    try:
        zc.register_service(info)
    except Exception:
        zc.close()
        raise
    log.info("event=zeroconf-announce node=%s port=%d addresses=%s", name, port, addrs)
    return Announcement(zc, info)


class _Collector(ServiceListener):
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.lock = threading.Lock()

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        with self.lock:
            self.names.add(name)

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.add_service(zc, type_, name)

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        with self.lock:
            self.names.discard(name)


def _text(props: dict[bytes, bytes | None], key: str) -> str:
    value = props.get(key.encode())
    return value.decode("utf-8", "replace") if value else ""


def browse(seconds: float = 3.0, *,
           interfaces: Interfaces = InterfaceChoice.All) -> list[dict[str, Any]]:
    """Listen for ``seconds``; return the nodes seen, each with node, address, port,
    version and fingerprint, sorted by node id."""
    zc = Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
    collector = _Collector()
    browser = ServiceBrowser(zc, SERVICE_TYPE, collector)
    try:
        time.sleep(max(0.0, seconds))
        with collector.lock:
            names = sorted(collector.names)
        found = []
        for name in names:
            info = zc.get_service_info(SERVICE_TYPE, name, timeout=1500)
            if info is None:
                continue
            addresses = info.parsed_addresses()
            found.append({
                "node": _text(info.properties, "node") or name.removesuffix("." + SERVICE_TYPE),
                "address": addresses[0] if addresses else "",
                "port": info.port,
                "version": _text(info.properties, "version"),
                "fingerprint": _text(info.properties, "fp"),
            })
        return sorted(found, key=lambda item: str(item["node"]))
    finally:
        browser.cancel()
        zc.close()


def start_announcing(svc: Any, config: dict[str, Any]) -> Announcement | None:
    """Announce the serving node (``START_ZEROCONF``); None when zeroconf cannot start."""
    from .identity import SOFTWARE

    port = config.get("PUBLIC_PORT") or 8080
    try:
        return announce(svc.identity.name, int(port), SOFTWARE.split("/")[-1],
                        svc.identity.fingerprint)
    except OSError as exc:
        log.warning("event=zeroconf-disabled error=%r", exc)
        return None
