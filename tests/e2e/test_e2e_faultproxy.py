"""The fault-injecting proxy itself, against a tiny HTTP/1.1 server that counts what it received."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from testkit.faultproxy import FaultProxy, split_requests

BIG = b"x" * 4000


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    posts = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the node's requests.Session
    timeout = 5
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(BIG if self.path == "/big" else b"ok")

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts += 1
        self._answer(b"got " + body)


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def proxy(server: _Server) -> Iterator[FaultProxy]:
    p = FaultProxy(server.server_address[1]).start()
    yield p
    p.stop()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def test_pass_forwards_both_ways_and_counts(
    proxy: FaultProxy, server: _Server, session: requests.Session
) -> None:
    assert proxy.url == f"http://127.0.0.1:{proxy.port}"
    r = session.post(proxy.url + "/x", data=b"hello", timeout=5)
    assert r.status_code == 200 and r.content == b"got hello"
    assert session.get(proxy.url + "/big", timeout=5).content == BIG
    # The pump counts a chunk after send() returns, and the client may read it before that:
    # wait (briefly) for the count to catch up instead of racing it.
    deadline = time.monotonic() + 5
    stats = proxy.stats()
    while stats["bytes_down"] <= len(BIG) and time.monotonic() < deadline:
        time.sleep(0.01)
        stats = proxy.stats()
    assert server.posts == 1
    assert stats["connections"] == 1  # keep-alive reused the one connection
    assert stats["bytes_up"] > len(b"hello") and stats["bytes_down"] > len(BIG)


def test_latency_delays_each_direction(proxy: FaultProxy, session: requests.Session) -> None:
    proxy.set_mode("latency", delay=0.3)
    started = time.monotonic()
    assert session.get(proxy.url + "/", timeout=5).content == b"ok"
    assert time.monotonic() - started >= 0.55  # request and answer each waited 0.3 s
    assert proxy.stats()["events"]["latency"] >= 2


def test_latency_applies_to_an_open_keepalive_connection(
    proxy: FaultProxy, session: requests.Session
) -> None:
    session.get(proxy.url + "/", timeout=5)
    proxy.set_mode("latency", delay=0.3)
    started = time.monotonic()
    session.get(proxy.url + "/", timeout=5)
    assert time.monotonic() - started >= 0.55
    assert proxy.stats()["connections"] == 1


@pytest.mark.parametrize("after_bytes", [0, 20])
def test_reset_cuts_the_request_and_the_server_never_sees_it(
    proxy: FaultProxy, server: _Server, session: requests.Session, after_bytes: int
) -> None:
    proxy.set_mode("reset", after_bytes=after_bytes)
    with pytest.raises(requests.ConnectionError):
        session.post(proxy.url + "/x", data=b"y" * 500, timeout=5)
    assert server.posts == 0
    assert proxy.stats()["events"]["reset"] == 1
    proxy.set_mode("pass")
    assert session.post(proxy.url + "/x", data=b"z", timeout=5).content == b"got z"


def test_reset_with_room_for_the_whole_request_passes(
    proxy: FaultProxy, session: requests.Session
) -> None:
    proxy.set_mode("reset", after_bytes=100_000)
    assert session.post(proxy.url + "/x", data=b"z", timeout=5).content == b"got z"


def test_drop_response_commits_upstream_but_the_client_never_hears(
    proxy: FaultProxy, server: _Server, session: requests.Session
) -> None:
    session.get(proxy.url + "/", timeout=5)  # an open keep-alive connection switches too
    proxy.set_mode("drop_response", quiet=0.1)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        session.post(proxy.url + "/x", data=b"once", timeout=5)
    assert time.monotonic() - started < 3
    assert server.posts == 1  # the server did the work
    assert proxy.stats()["events"]["drop_response"] == 1
    proxy.set_mode("pass")
    assert session.post(proxy.url + "/x", data=b"again", timeout=5).content == b"got again"


def test_drop_response_with_match_drops_only_matching_requests(
    proxy: FaultProxy, server: _Server, session: requests.Session
) -> None:
    proxy.set_mode("drop_response", quiet=0.1, match=b"POST /x")
    assert session.get(proxy.url + "/", timeout=5).content == b"ok"
    with pytest.raises(requests.ConnectionError):
        session.post(proxy.url + "/x", data=b"once", timeout=5)
    assert session.get(proxy.url + "/", timeout=5).content == b"ok"
    assert server.posts == 1 and proxy.stats()["events"]["drop_response"] == 1


def test_blackhole_swallows_until_the_mode_changes(
    proxy: FaultProxy, server: _Server, session: requests.Session
) -> None:
    proxy.set_mode("blackhole")
    with pytest.raises(requests.ReadTimeout):
        session.post(proxy.url + "/x", data=b"lost", timeout=(2, 0.5))
    assert server.posts == 0
    assert proxy.stats()["events"]["blackhole"] >= 1
    proxy.set_mode("pass")
    assert session.post(proxy.url + "/x", data=b"back", timeout=5).content == b"got back"
    assert server.posts == 1


def test_blackhole_holds_even_when_upstream_is_dead(server: _Server) -> None:
    port = server.server_address[1]
    with FaultProxy(port) as p, requests.Session() as s:
        server.shutdown()
        server.server_close()
        p.set_mode("blackhole")
        with pytest.raises(requests.ReadTimeout):
            s.get(p.url + "/", timeout=(2, 0.5))
        assert p.stats()["events"].get("upstream_connect_failed", 0) == 0


def test_slow_body_throttles_the_answer(proxy: FaultProxy, session: requests.Session) -> None:
    proxy.set_mode("slow_body", rate=8000)
    started = time.monotonic()
    assert session.get(proxy.url + "/big", timeout=10).content == BIG
    assert time.monotonic() - started >= 0.4  # 4 kB at 8 kB/s
    assert proxy.stats()["events"]["slow_body"] >= 1


def test_refuse_also_resets_open_connections(
    proxy: FaultProxy, server: _Server, session: requests.Session
) -> None:
    assert session.get(proxy.url + "/", timeout=5).content == b"ok"
    proxy.set_mode("refuse")
    with pytest.raises(requests.ConnectionError):
        session.post(proxy.url + "/x", data=b"z", timeout=5)
    assert server.posts == 0


def test_refuse_resets_new_connections(proxy: FaultProxy, server: _Server) -> None:
    proxy.set_mode("refuse")
    with requests.Session() as s, pytest.raises(requests.ConnectionError):
        s.get(proxy.url + "/", timeout=5)
    assert proxy.stats()["events"]["refuse"] >= 1
    proxy.set_mode("pass")
    with requests.Session() as s:
        assert s.get(proxy.url + "/", timeout=5).content == b"ok"


def test_upstream_down_resets_the_client(server: _Server) -> None:
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    with FaultProxy(port) as p, requests.Session() as s:
        with pytest.raises(requests.ConnectionError):
            s.get(p.url + "/", timeout=5)
        assert p.stats()["events"]["upstream_connect_failed"] == 1


def test_stop_is_bounded_with_open_connections(server: _Server) -> None:
    p = FaultProxy(server.server_address[1]).start()
    p.set_mode("blackhole")
    sessions = [requests.Session() for _ in range(3)]
    threads = [threading.Thread(target=_swallowed, args=(s, p.url)) for s in sessions]
    for t in threads:
        t.start()
    time.sleep(0.3)
    started = time.monotonic()
    p.stop()
    assert time.monotonic() - started < 3
    assert not [t for t in threading.enumerate() if t.name.startswith("faultproxy")]
    for t in threads:
        t.join(5)
    for s in sessions:
        s.close()


def _swallowed(s: requests.Session, url: str) -> None:
    try:
        s.get(url + "/", timeout=(2, 5))
    except requests.RequestException:
        pass  # the proxy stopped under it: that is the point


@pytest.mark.parametrize(
    "mode,params", [("nope", {}), ("latency", {"rate": 3}), ("reset", {"delay": 1})]
)
def test_bad_modes_are_refused(proxy: FaultProxy, mode: str, params: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        proxy.set_mode(mode, **params)


def test_set_upstream_moves_new_and_open_connections(
    server: _Server, session: requests.Session
) -> None:
    other = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=other.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        with FaultProxy(server.server_address[1]) as p:
            assert session.post(p.url + "/x", data=b"a", timeout=5).status_code == 200
            p.set_upstream(other.server_address[1])
            # The pooled connection was reset; requests does not retry a POST on it, so the
            # first POST after the switch may fail once. The next one reaches the new upstream.
            try:
                session.post(p.url + "/x", data=b"b", timeout=5)
            except requests.ConnectionError:
                session.post(p.url + "/x", data=b"b", timeout=5)
            assert (server.posts, other.posts) == (1, 1)
    finally:
        other.shutdown()
        other.server_close()
        thread.join(5)


def test_capture_and_split_requests(server: _Server, session: requests.Session) -> None:
    with FaultProxy(server.server_address[1], capture=True) as p:
        session.get(p.url + "/", timeout=5)
        session.post(p.url + "/x", data=b"payload", timeout=5)
        (stream,) = p.captured
        first, second = split_requests(bytes(stream))
    assert first.startswith(b"GET / HTTP/1.1\r\n")
    assert second.startswith(b"POST /x HTTP/1.1\r\n") and second.endswith(b"\r\n\r\npayload")
    assert split_requests(bytes(stream)[:-3]) == [first]
