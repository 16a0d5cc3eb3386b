"""A fault-injecting TCP proxy on loopback, for network-fault tests (tc netem is not available).

    proxy = FaultProxy(upstream_port).start()      # proxy.url -> "http://127.0.0.1:PORT"
    proxy.set_mode("drop_response")                 # central commits, the node never hears back
    ...
    proxy.set_mode("pass")
    proxy.stop()

Modes (switched at run time; they apply to new connections and, where that makes sense, to open
keep-alive connections as well, because an HTTP client pools its connections):

- ``pass``: forward both ways unchanged.
- ``latency`` (``delay`` seconds): wait ``delay`` before forwarding each chunk, in each direction.
- ``reset`` (``after_bytes`` N): forward the first N bytes the client sends (counted per
  connection from the moment the mode was set), then close both sides with RST (SO_LINGER 0).
- ``drop_response`` (``quiet``, ``match``): forward the request, read and discard upstream's
  answer (until upstream has been quiet for ``quiet`` seconds, default 0.3), then RST both
  sides: the server committed, the client never hears back. With ``match`` (bytes), only
  requests whose first chunk contains it lose their answer (``match=b"POST /api/v1/batches"``
  lets the checkpoint through and drops the batch's receipt).
- ``blackhole``: accept and read, never forward or answer, until the mode changes (then the
  connection is RST, since what it sent was swallowed) or the proxy stops.
- ``slow_body`` (``rate`` bytes/second): forward upstream's answer to the client at that rate.
- ``refuse``: accept and RST at once (the client sees "connection reset" before any byte);
  switching to it also RSTs the open connections.

``set_upstream(port)`` points new connections elsewhere (for example at a stub answering 500)
and resets the open ones, so a pooling client reconnects. ``FaultProxy(..., capture=True)`` keeps
every byte clients sent, per connection, in ``captured``; ``split_requests`` cuts such a stream
into HTTP/1.1 requests (to replay or tamper with one).

Every wait is bounded (socket timeouts of ``TICK`` seconds, waits on the stop event), and
``stop()`` closes every socket and joins every thread. Threads only, standard library only.
"""

from __future__ import annotations

import collections
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

TICK = 0.1
MODES = ("pass", "latency", "reset", "drop_response", "blackhole", "slow_body", "refuse")
_DEFAULTS: dict[str, dict[str, Any]] = {
    "pass": {},
    "latency": {"delay": 1.0},
    "reset": {"after_bytes": 0},
    "drop_response": {"quiet": 0.3, "match": b""},
    "blackhole": {},
    "slow_body": {"rate": 1024},
    "refuse": {},
}


def _rst_close(sock: socket.socket | None) -> None:
    """Close with an RST instead of a FIN (SO_LINGER on, timeout 0)."""
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass  # already closed by the peer pump: nothing left to reset
    sock.close()


@dataclass
class _Mode:
    name: str
    params: dict[str, Any]
    generation: int


@dataclass(eq=False)  # hashed by identity: kept in a set of open connections
class _Conn:
    client: socket.socket
    captured: bytearray | None = None
    upstream: socket.socket | None = None
    closed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    # bytes from the client counted under the current "reset" mode generation
    reset_generation: int = -1
    reset_count: int = 0
    swallowed: bool = False  # the client sent bytes that a blackhole never forwarded
    half_closed: bool = False  # one direction has passed on its FIN
    drop_armed: bool = False  # a request went up under drop_response: discard its answer


class FaultProxy:
    """A threaded TCP proxy from ``127.0.0.1:port`` to ``upstream_host:upstream_port``."""

    def __init__(
        self, upstream_port: int, upstream_host: str = "127.0.0.1", *, capture: bool = False
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.capture = capture
        self.captured: list[bytearray] = []  # client bytes per connection, when capturing
        self._listener: socket.socket | None = None
        self.port = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._mode = _Mode("pass", {}, 0)
        self._threads: list[threading.Thread] = []
        self._acceptor: threading.Thread | None = None
        self._conns: set[_Conn] = set()
        self.connections = 0
        self.bytes_up = 0  # client -> upstream
        self.bytes_down = 0  # upstream -> client
        self.events: collections.Counter[str] = collections.Counter()

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        listener.settimeout(TICK)
        self._listener = listener
        self.port = int(listener.getsockname()[1])
        self._acceptor = self._spawn(self._accept_loop, "faultproxy-accept")
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and every connection, and join every thread (bounded)."""
        self._stop.set()  # from now on _spawn starts no thread
        deadline = time.monotonic() + timeout
        if self._listener is not None:
            self._listener.close()
        if self._acceptor is not None:
            self._acceptor.join(timeout)  # after this no connection is added
        with self._lock:
            conns = list(self._conns)
            threads = list(self._threads)
        for conn in conns:
            self._close(conn, rst=True)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in threads if t.is_alive()]
        if alive:
            raise RuntimeError(f"faultproxy threads still alive after stop: {alive}")

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control ----------------------------------------------------------------------------------

    def set_mode(self, mode: str, **params: Any) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        unknown = set(params) - set(_DEFAULTS[mode])
        if unknown:
            raise ValueError(
                f"mode {mode!r} takes {sorted(_DEFAULTS[mode])}, not {sorted(unknown)}"
            )
        with self._lock:
            self._mode = _Mode(mode, {**_DEFAULTS[mode], **params}, self._mode.generation + 1)
            conns = list(self._conns) if mode == "refuse" else []
        for conn in conns:  # the link is down: open keep-alive connections die with it
            self._count("refuse")
            self._close(conn, rst=True)

    def set_upstream(self, port: int, host: str = "127.0.0.1") -> None:
        """Send new connections to ``host:port``; RST the open ones so clients reconnect."""
        with self._lock:
            self.upstream = (host, port)
            conns = list(self._conns)
        for conn in conns:
            self._close(conn, rst=True)

    @property
    def mode(self) -> str:
        return self._mode.name

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "mode": self._mode.name,
                "connections": self.connections,
                "open": len(self._conns),
                "bytes_up": self.bytes_up,
                "bytes_down": self.bytes_down,
                "events": dict(self.events),
            }

    # -- internals --------------------------------------------------------------------------------

    def _spawn(self, target: Any, name: str, *args: Any) -> threading.Thread | None:
        """Start a thread stop() will join; none once stopping (stop() closes the sockets)."""
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            if self._stop.is_set():
                return None
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
            thread.start()
        return thread

    def _count(self, event: str, up: int = 0, down: int = 0) -> None:
        with self._lock:
            if event:
                self.events[event] += 1
            self.bytes_up += up
            self.bytes_down += down

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # listener closed by stop()
            with self._lock:
                self.connections += 1
            mode = self._mode
            if mode.name == "refuse":
                self._count("refuse")
                _rst_close(client)
                continue
            client.settimeout(TICK)
            conn = _Conn(client)
            with self._lock:
                self._conns.add(conn)
                if self.capture:
                    conn.captured = bytearray()
                    self.captured.append(conn.captured)
            self._spawn(self._open, f"faultproxy-conn-{self.connections}", conn)

    def _open(self, conn: _Conn) -> None:
        """Connect upstream (lazily when blackholed: a dead upstream must not end the hole)."""
        while self._mode.name == "blackhole" and not conn.closed and not self._stop.is_set():
            if not self._swallow(conn):
                return
        if conn.closed or self._stop.is_set():
            self._close(conn, rst=True)
            return
        if conn.swallowed:  # the hole ate part of a request: the stream is unusable now
            self._count("blackhole_reset")
            self._close(conn, rst=True)
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            self._count("upstream_connect_failed")
            self._close(conn, rst=True)
            return
        upstream.settimeout(TICK)
        with conn.lock:
            if conn.closed:
                upstream.close()
                return
            conn.upstream = upstream
        self._spawn(self._pump_down, "faultproxy-down", conn)
        self._pump_up(conn)

    def _swallow(self, conn: _Conn) -> bool:
        """Read and discard one chunk from the client; False when the client is gone."""
        try:
            data = conn.client.recv(65536)
        except TimeoutError:
            return True
        except OSError:
            self._close(conn, rst=False)
            return False
        if not data:
            self._close(conn, rst=False)
            return False
        conn.swallowed = True
        self._count("blackhole")
        return True

    def _pump_up(self, conn: _Conn) -> None:
        """Client -> upstream."""
        while not conn.closed and not self._stop.is_set():
            mode = self._mode
            if mode.name == "blackhole":
                if not self._swallow(conn):
                    return
                continue
            if conn.swallowed:
                self._count("blackhole_reset")
                self._close(conn, rst=True)
                return
            try:
                data = conn.client.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                self._half_close(conn, conn.upstream)
                return
            if conn.captured is not None:
                conn.captured += data
            mode = self._mode
            if mode.name == "blackhole":
                conn.swallowed = True
                self._count("blackhole")
                continue
            if mode.name == "reset":
                if conn.reset_generation != mode.generation:
                    conn.reset_generation, conn.reset_count = mode.generation, 0
                room = int(mode.params["after_bytes"]) - conn.reset_count
                if len(data) > room:
                    if room > 0 and not self._send(conn, conn.upstream, data[:room], up=True):
                        return
                    self._count("reset")
                    self._close(conn, rst=True)
                    return
                conn.reset_count += len(data)
            if mode.name == "drop_response" and bytes(mode.params["match"]) in data:
                conn.drop_armed = True
            if mode.name == "latency":
                self._count("latency")
                if self._stop.wait(mode.params["delay"]):
                    return
            if not self._send(conn, conn.upstream, data, up=True):
                return
        self._close(conn, rst=False)

    def _pump_down(self, conn: _Conn) -> None:
        """Upstream -> client."""
        assert conn.upstream is not None
        dropping_since: float | None = None  # monotonic time of the last discarded chunk
        while not conn.closed and not self._stop.is_set():
            try:
                data = conn.upstream.recv(65536)
            except TimeoutError:
                if dropping_since is not None:
                    quiet = self._mode.params.get("quiet", 0.3)
                    if time.monotonic() - dropping_since >= quiet:
                        self._count("drop_response")
                        self._close(conn, rst=True)
                        return
                continue
            except OSError:
                break
            mode = self._mode
            if not data:
                if dropping_since is not None:
                    self._count("drop_response")
                    self._close(conn, rst=True)
                    return
                self._half_close(conn, conn.client)
                return
            if conn.drop_armed or mode.name == "blackhole" or dropping_since is not None:
                dropping_since = time.monotonic()
                continue
            if mode.name == "latency":
                self._count("latency")
                if self._stop.wait(mode.params["delay"]):
                    return
            if mode.name == "slow_body":
                if not self._send_slowly(conn, data, mode):
                    return
                continue
            if not self._send(conn, conn.client, data, up=False):
                return
        self._close(conn, rst=False)

    def _send_slowly(self, conn: _Conn, data: bytes, mode: _Mode) -> bool:
        rate = max(1, int(mode.params["rate"]))
        step = max(1, int(rate * TICK))
        self._count("slow_body")
        for i in range(0, len(data), step):
            if not self._send(conn, conn.client, data[i : i + step], up=False):
                return False
            if self._stop.wait(len(data[i : i + step]) / rate):
                return False
        return True

    def _send(self, conn: _Conn, dst: socket.socket | None, data: bytes, *, up: bool) -> bool:
        """sendall with bounded waits: a peer that stops reading cannot hang the pump."""
        assert dst is not None
        view = memoryview(data)
        while view and not conn.closed and not self._stop.is_set():
            try:
                sent = dst.send(view)
            except TimeoutError:
                continue
            except OSError:
                self._close(conn, rst=True)
                return False
            view = view[sent:]
            self._count("", up=sent if up else 0, down=0 if up else sent)
        return not view

    def _half_close(self, conn: _Conn, dst: socket.socket | None) -> None:
        """The source said FIN: pass it on; the connection ends when both directions have."""
        try:
            if dst is not None:
                dst.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn, rst=False)
            return
        with conn.lock:
            both, conn.half_closed = conn.half_closed, True
        if both:
            self._close(conn, rst=False)

    def _close(self, conn: _Conn, *, rst: bool) -> None:
        with conn.lock:
            if conn.closed:
                return
            conn.closed = True
        closer = _rst_close if rst else (lambda s: s.close() if s is not None else None)
        closer(conn.client)
        closer(conn.upstream)
        with self._lock:
            self._conns.discard(conn)


def split_requests(stream: bytes) -> list[bytes]:
    """Cut a captured client byte stream into whole HTTP/1.1 requests (Content-Length bodies;
    chunked bodies are not used by our clients). A truncated last request is left out."""
    out: list[bytes] = []
    rest = bytes(stream)
    while rest:
        end = rest.find(b"\r\n\r\n")
        if end < 0:
            break
        head = rest[:end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        total = end + 4 + length
        if len(rest) < total:
            break
        out.append(rest[:total])
        rest = rest[total:]
    return out
