"""Zeroconf on the office LAN (docs/serving.md): announce this node, list the others.

The service type is ``_presensi._tcp.local.``; the instance is the node id; TXT carries
``node``, ``version`` and ``fp`` (SHA-256 fingerprint of the node certificate), so a phone or
an admin can tell a genuine office node from an impostor by its certificate. The host name
``presensi-<node>.local.`` points at the node, for phones that resolve mDNS names.

Zeroconf never stops check-ins: when another device already announces this node's name (a
copied data directory, an impostor, a second mini-PC), the node announces under a suffixed
name (``kec-alalak-2``), logs one line, and ``status`` shows it; any other zeroconf failure
is logged and the node serves without announcing.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from zeroconf import (
    DNSQuestionType,
    InterfaceChoice,
    IPVersion,
    NonUniqueNameException,
    ServiceBrowser,
    ServiceInfo,
    ServiceListener,
    Zeroconf,
)
from zeroconf import (
    Error as ZeroconfError,
)

# DNSOutgoing and DNSQuestion are re-exported by zeroconf but not declared public; the
# override of generate_service_query below needs them (check on a zeroconf upgrade).
from zeroconf._dns import DNSQuestion
from zeroconf._protocol.outgoing import DNSOutgoing
from zeroconf.const import _CLASS_IN, _FLAGS_AA, _FLAGS_QR_QUERY, _TYPE_PTR

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


# Names tried after the node's own when the LAN already has it: kec-alalak-2 .. -9.
MAX_SUFFIX = 9


class _Zeroconf(Zeroconf):
    """Zeroconf whose name probes ask for a multicast answer (QM), not a unicast one (QU).

    A node that owns the name answers a QU probe by unicast to <prober>:5353 only. When two
    zeroconf stacks share that address (two nodes on one machine, or ``discover`` run beside
    ``serve``), they share port 5353 through SO_REUSEPORT and the kernel hands a unicast
    datagram to just one of them: often not the prober, which then takes a name that is
    already on the LAN. A multicast answer reaches every stack on the machine.
    """

    def generate_service_query(self, info: ServiceInfo) -> DNSOutgoing:
        out = DNSOutgoing(_FLAGS_QR_QUERY | _FLAGS_AA)
        out.add_question(DNSQuestion(info.type, _TYPE_PTR, _CLASS_IN))
        out.add_authorative_answer(info.dns_pointer())
        return out


class Announcement:
    """A registered service; ``close()`` withdraws it and stops zeroconf. ``name`` is the
    instance name announced, ``requested`` the node id (they differ after a conflict)."""

    def __init__(self, zc: Zeroconf, info: ServiceInfo, requested: str, name: str) -> None:
        self._zc = zc
        self.info = info
        self.requested = requested
        self.name = name
        self._closed = False
        self._lock = threading.Lock()

    @property
    def renamed(self) -> bool:
        return self.name != self.requested

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._zc.unregister_service(self.info)
        finally:
            self._zc.close()


def _info(
    instance: str, node: str, port: int, version: str, fingerprint: str, addrs: list[str]
) -> ServiceInfo:
    return ServiceInfo(
        SERVICE_TYPE,
        f"{instance}.{SERVICE_TYPE}",
        addresses=[socket.inet_aton(a) for a in addrs],
        port=port,
        # TXT keeps the real node id even under a suffixed instance name.
        properties={"node": node, "version": version, "fp": fingerprint},
        server=f"presensi-{instance}.local.",
    )


def announce(
    name: str,
    port: int,
    version: str,
    fingerprint: str,
    *,
    addresses: list[str] | None = None,
    interfaces: Interfaces = InterfaceChoice.All,
) -> Announcement:
    """Register ``name`` as a Presensi node on ``port``; return a handle with ``close()``.

    When the LAN already has ``name``, try ``name-2`` .. ``name-9`` (the host name follows);
    NonUniqueNameException only when all are taken.
    """
    addrs = addresses or local_addresses()
    zc = _Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
    try:
        for number in range(1, MAX_SUFFIX + 1):
            instance = name if number == 1 else f"{name}-{number}"
            info = _info(instance, name, port, version, fingerprint, addrs)
            try:
                zc.register_service(info)
            except NonUniqueNameException:
                continue
            if instance != name:
                log.warning(
                    "event=zeroconf-name-conflict node=%s announced_as=%s: another "
                    "device on this LAN already announces %s; check-ins continue, "
                    "phones should use this node's address",
                    name,
                    instance,
                    name,
                )
            log.info(
                "event=zeroconf-announce node=%s instance=%s port=%d addresses=%s",
                name,
                instance,
                port,
                addrs,
            )
            return Announcement(zc, info, name, instance)
        raise NonUniqueNameException(f"{name} and {name}-2..{MAX_SUFFIX} are all announced")
    except BaseException:
        zc.close()
        raise


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


def browse(
    seconds: float = 3.0, *, interfaces: Interfaces = InterfaceChoice.All
) -> list[dict[str, Any]]:
    """Listen for ``seconds``; return the nodes seen, each with node, instance (the announced
    name), host (its mDNS name), address, port, version and fingerprint, sorted by node id
    and address."""
    zc = Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
    collector = _Collector()
    # QM questions: answers come by multicast, so a serving node on this machine (which
    # shares port 5353) cannot swallow them (see _Zeroconf).
    browser = ServiceBrowser(zc, SERVICE_TYPE, collector, question_type=DNSQuestionType.QM)
    try:
        time.sleep(max(0.0, seconds))
        with collector.lock:
            names = sorted(collector.names)
        found = []
        for name in names:
            info = zc.get_service_info(
                SERVICE_TYPE, name, timeout=1500, question_type=DNSQuestionType.QM
            )
            if info is None:
                continue
            addresses = info.parsed_addresses()
            instance = name.removesuffix("." + SERVICE_TYPE)
            found.append(
                {
                    "node": _text(info.properties, "node") or instance,
                    "instance": instance,
                    "host": (info.server or "").rstrip("."),  # its mDNS name, for phones
                    "address": addresses[0] if addresses else "",
                    "port": info.port,
                    "version": _text(info.properties, "version"),
                    "fingerprint": _text(info.properties, "fp"),
                }
            )
        return sorted(found, key=lambda item: (str(item["node"]), str(item["address"])))
    finally:
        browser.cancel()
        zc.close()


def _record_state(svc: Any, state: dict[str, Any]) -> None:
    from .lan_status import record_state

    record_state(svc.store, state)


def start_announcing(svc: Any, config: dict[str, Any]) -> Announcement | None:
    """Announce the serving node (``START_ZEROCONF``); None when zeroconf cannot start.

    Never raises for a zeroconf or network problem: check-ins matter more than discovery.
    """
    from .identity import SOFTWARE

    port = config.get("PUBLIC_PORT") or 8080
    name = svc.identity.name
    try:
        announcement = announce(name, int(port), SOFTWARE.split("/")[-1], svc.identity.fingerprint)
    except (OSError, ZeroconfError) as exc:
        log.warning(
            "event=zeroconf-disabled node=%s error=%r: serving without announcing on the LAN",
            name,
            exc,
        )
        _record_state(svc, {"state": "failed", "requested": name, "name": None, "error": repr(exc)})
        return None
    _record_state(
        svc,
        {
            "state": "renamed" if announcement.renamed else "announced",
            "requested": name,
            "name": announcement.name,
            "host": f"presensi-{announcement.name}.local",
            "port": int(port),
        },
    )
    return announcement
