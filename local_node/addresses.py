"""The node's address as a phone on the office LAN reaches it (poster, kiosk, admin page).

``PUBLIC_URL`` in the node's config wins (``presensi-node config set public-url URL``); else
the machine's LAN address and the port the node serves on. Loopback addresses are never
offered to a phone: it cannot open them.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

DEFAULT_PORT = 8080


def lan_address() -> str | None:
    """The IPv4 address this machine would use to reach the LAN, or None (loopback only).

    Connecting a UDP socket sends nothing; it only asks the kernel for the route's source.
    """
    for probe in ("192.0.2.1", "10.255.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                address = str(sock.getsockname()[0])
        except OSError:
            continue
        if not ipaddress.ip_address(address).is_loopback and address != "0.0.0.0":
            return address
    return None


def check_url(url: str) -> str:
    """``url`` without a trailing slash when it is an http(s) address, else ValueError."""
    from urllib.parse import urlsplit

    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an address like http://192.168.1.10:8080")
    return text.rstrip("/")


def public_url(config: dict[str, Any], port: int | None = None) -> str:
    """The node's address for phones: PUBLIC_URL, else http://LAN-ADDRESS:PORT."""
    if config.get("PUBLIC_URL"):
        return str(config["PUBLIC_URL"]).rstrip("/")
    port = port or config.get("PUBLIC_PORT") or DEFAULT_PORT
    return f"http://{lan_address() or 'localhost'}:{port}"


def office_name(config: dict[str, Any], node: str) -> str:
    """What page headers, posters and cards call the office: DISPLAY_NAME, else the node id."""
    name = config.get("DISPLAY_NAME")
    return str(name) if name else node


def phone_base(config: dict[str, Any], host_url: str) -> str:
    """The base a QR code shown on a screen carries: PUBLIC_URL when set (the demo and
    ``config set public-url`` set it), else the address the screen was opened at."""
    if config.get("PUBLIC_URL"):
        return str(config["PUBLIC_URL"]).rstrip("/")
    return host_url.rstrip("/")
