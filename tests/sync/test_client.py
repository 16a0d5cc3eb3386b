"""CentralClient against a small central on a loopback port (werkzeug in a thread).

``FakeCentral`` implements the Contract endpoints with the real ``sync`` verifiers: signature
check on the URL the server sees, batch decoding, chain verification, receipts, 409 gap and
fork, signed roster documents and enrollment. tests/node/test_sync_*.py reuse it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from sync import records
from sync.batches import decode_batch, encode_batch
from sync.chain import ChainVerifier
from sync.client import CentralClient
from sync.errors import ForkError, GapError, ProtocolError, SignatureError, SyncError
from sync.httpsig import verify_request
from sync.receipts import make_receipt, verify_receipt
from sync.rosterdoc import make_roster_doc
from sync.timefmt import wall_ts

ZERO = records.ZERO_HASH


class FakeCentral:
    """Just enough central for the node's client, with fault switches."""

    def __init__(self, key: Ed25519PrivateKey | None = None, central_id: str = "central-batola"):
        self.key = key or Ed25519PrivateKey.generate()
        self.central_id = central_id
        self.nodes: dict[str, Ed25519PublicKey] = {}
        self.logs: dict[str, list[dict[str, Any]]] = {}
        self.quarantined: set[str] = set()
        self.nonces: set[str] = set()
        self.roster: dict[str, Any] | None = None
        self.enroll_handler: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]] | None = None
        self.fail_next: list[int] = []  # statuses to answer before handling
        self.lose_answer_next = 0  # commit, then answer 500 (lost response)
        self.delay = 0.0
        self.requests: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()
        self.server: BaseWSGIServer | None = None
        self.thread: threading.Thread | None = None

    # --- server ------------------------------------------------------------------------

    def start(self) -> FakeCentral:
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self.handle(request)
        self.requests.append((request.method, request.path, response.status_code))
        return response(environ, start_response)

    # --- endpoints ---------------------------------------------------------------------

    @staticmethod
    def error(status: int, code: str, message: str, **extra: Any) -> Response:
        return Response(
            json.dumps({"error": code, "message": message, **extra}),
            status,
            content_type="application/json",
        )

    @staticmethod
    def ok(doc: Any, status: int = 200) -> Response:
        return Response(json.dumps(doc), status, content_type="application/json")

    def handle(self, request: Request) -> Response:
        if self.delay:
            time.sleep(self.delay)
        if self.fail_next:
            return self.error(self.fail_next.pop(0), "injected", "injected failure")
        body = request.get_data()
        if request.path == "/api/v1/enroll" and request.method == "POST":
            assert self.enroll_handler is not None
            status, doc = self.enroll_handler(json.loads(body))
            return self.ok(doc, status)
        try:
            headers = dict(request.headers.items())
            signer = verify_request(
                request.method, request.url, headers, body, lambda name: self.nodes[name]
            )
        except SignatureError as exc:
            return self.error(401, exc.reason, str(exc))
        with self.lock:
            if signer.nonce in self.nonces:
                return self.error(401, "replay", "nonce seen before")
            self.nonces.add(signer.nonce)
        node = signer.key_id
        if request.path == f"/api/v1/nodes/{node}/checkpoint":
            log = self.logs.get(node, [])
            return self.ok(
                {
                    "node": node,
                    "epoch": log[0]["epoch"] if log else None,
                    "seq": len(log) - 1,
                    "head": log[-1]["hash"] if log else ZERO,
                    "quarantined": node in self.quarantined,
                }
            )
        if request.path == "/api/v1/batches" and request.method == "POST":
            return self.batch(node, body, request.headers.get("Content-Encoding"))
        if request.path == "/api/v1/roster":
            since = int(request.args.get("since", "0"))
            if self.roster is None or self.roster["version"] <= since:
                return Response(status=304)
            return self.ok(self.roster)
        return self.error(404, "not-found", request.path)

    def batch(self, node: str, body: bytes, encoding: str | None) -> Response:
        try:
            batch = decode_batch(body, content_encoding=encoding)
        except ProtocolError as exc:
            return self.error(400, "bad-batch", str(exc))
        if batch["node"] != node:
            return self.error(403, "wrong-node", "batch of another node")
        with self.lock:
            if node in self.quarantined:
                return self.error(409, "fork", "node is quarantined")
            log = self.logs.setdefault(node, [])
            fresh = []
            duplicates = 0
            for rec in batch["records"]:
                seq = rec.get("seq")
                if isinstance(seq, int) and seq < len(log):
                    if log[seq]["hash"] != rec.get("hash"):
                        self.quarantined.add(node)
                        return self.error(409, "fork", f"seq {seq} differs")
                    duplicates += 1
                else:
                    fresh.append(rec)
            if fresh and fresh[0]["seq"] != len(log):
                return self.error(409, "gap", "gap", expected_seq=len(log))
            verifier = ChainVerifier(
                self.nodes[node],
                node=node,
                epoch=batch["epoch"],
                next_seq=len(log),
                head=log[-1]["hash"] if log else ZERO,
            )
            try:
                for rec in fresh:
                    verifier.feed(rec)
            except ProtocolError as exc:
                return self.error(422, "invalid-record", str(exc))
            log.extend(fresh)
            last = batch["records"][-1]
            receipt = make_receipt(
                central=self.central_id,
                node=node,
                epoch=batch["epoch"],
                seq=last["seq"],
                head=last["hash"],
                server_ts=wall_ts(),
                key=self.key,
            )
            if self.lose_answer_next:
                self.lose_answer_next -= 1
                return self.error(500, "lost", "committed, answer lost")
        return self.ok(
            {
                "receipt": receipt,
                "accepted": len(fresh),
                "duplicates": duplicates,
                "checkpoint": {"epoch": batch["epoch"], "seq": last["seq"], "head": last["hash"]},
                "roster_version": self.roster["version"] if self.roster else 0,
            }
        )

    def publish_roster(self, version: int, employees: list[dict[str, Any]]) -> dict[str, Any]:
        self.roster = make_roster_doc(
            central=self.central_id,
            version=version,
            issued_ts=wall_ts(),
            employees=employees,
            key=self.key,
        )
        return self.roster


# --- tests of the client -------------------------------------------------------------------

NODE_KEY = Ed25519PrivateKey.generate()
EPOCH = "12" * 16


def chain(count: int, start: int = 0, prev: str = ZERO) -> list[str]:
    out = []
    for seq in range(start, start + count):
        rec = records.seal(
            records.build(
                node="kec-alalak",
                epoch=EPOCH,
                seq=seq,
                type="genesis" if seq == 0 else "checkin",
                ts=wall_ts(),
                mono_us=seq,
                boot_id="b",
                prev=prev,
                body={"n": seq},
            ),
            NODE_KEY,
        )
        prev = rec["hash"]
        out.append(records.serialize(rec))
    return out


CLOCK = {"wall_ts": "2026-10-01T23:21:07.412Z", "mono_us": 5}


@pytest.fixture
def central() -> Iterator[FakeCentral]:
    fake = FakeCentral().start()
    fake.nodes["kec-alalak"] = NODE_KEY.public_key()
    yield fake
    fake.stop()


@pytest.fixture
def client(central: FakeCentral) -> Iterator[CentralClient]:
    c = CentralClient(central.url, "kec-alalak", NODE_KEY, timeout=(1, 2))
    yield c
    c.close()


def test_checkpoint_push_receipt(central: FakeCentral, client: CentralClient) -> None:
    cp = client.checkpoint()
    assert (cp["seq"], cp["head"], cp["quarantined"]) == (-1, ZERO, False)
    texts = chain(5)
    answer = client.push(encode_batch("kec-alalak", EPOCH, texts, CLOCK))
    receipt = verify_receipt(answer["receipt"], central.key.public_key())
    assert (receipt["seq"], answer["accepted"], answer["duplicates"]) == (4, 5, 0)
    assert client.checkpoint()["seq"] == 4
    again = client.push(encode_batch("kec-alalak", EPOCH, texts, CLOCK), gzip=False)
    assert (again["accepted"], again["duplicates"]) == (0, 5)


def test_gap_and_fork(central: FakeCentral, client: CentralClient) -> None:
    texts = chain(6)
    client.push(encode_batch("kec-alalak", EPOCH, texts[:2], CLOCK))
    with pytest.raises(GapError) as gap:
        client.push(encode_batch("kec-alalak", EPOCH, texts[4:], CLOCK))
    assert (gap.value.expected_seq, gap.value.status) == (2, 409)
    other = chain(1, start=1, prev=json.loads(texts[0])["hash"])
    other = [other[0].replace('"n":1', '"n":99')]  # same seq, different record
    with pytest.raises(ForkError):
        client.push(encode_batch("kec-alalak", EPOCH, other, CLOCK))
    assert client.checkpoint()["quarantined"] is True


def test_roster_304_and_document(central: FakeCentral, client: CentralClient) -> None:
    assert client.roster(0) is None
    central.publish_roster(
        2,
        [
            {
                "nip": "198501012010011001",
                "name": "A",
                "unit": "U",
                "role": "staff",
                "pin_hash": "scrypt$16$8$1$AA==$AA==",
            }
        ],
    )
    assert client.roster(0)["version"] == 2  # type: ignore[index]
    assert client.roster(2) is None


@pytest.mark.parametrize("status", [500, 502, 503, 400, 401])
def test_http_errors_become_sync_error(
    central: FakeCentral, client: CentralClient, status: int
) -> None:
    central.fail_next = [status]
    with pytest.raises(SyncError) as info:
        client.checkpoint()
    assert info.value.status == status
    assert "injected" in str(info.value)


def test_unknown_node_is_refused(central: FakeCentral) -> None:
    stranger = CentralClient(central.url, "kec-tamban", Ed25519PrivateKey.generate())
    with pytest.raises(SyncError) as info:
        stranger.checkpoint()
    assert info.value.status == 401 and "unknown-key" in str(info.value)


def test_unreachable_and_slow(central: FakeCentral) -> None:
    down = CentralClient("http://127.0.0.1:9", "kec-alalak", NODE_KEY, timeout=(0.5, 0.5))
    with pytest.raises(SyncError) as info:
        down.checkpoint()
    assert info.value.status is None
    central.delay = 1.5
    slow = CentralClient(central.url, "kec-alalak", NODE_KEY, timeout=(0.5, 0.3))
    started = time.monotonic()
    with pytest.raises(SyncError, match="in time"):
        slow.checkpoint()
    assert time.monotonic() - started < 1.4


def test_session_per_thread(client: CentralClient) -> None:
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(client._session())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in seen}) == 3


def test_enroll(central: FakeCentral) -> None:
    central.enroll_handler = lambda doc: (
        201,
        {
            "node": "kec-alalak",
            "cert": "C",
            "ca": "A",
            "central": "Z",
            "central_id": "central-batola",
        },
    )
    assert CentralClient.enroll(central.url, "kec-alalak.secret", "CSR")["cert"] == "C"
    central.enroll_handler = lambda doc: (403, {"error": "bad-token", "message": "used"})
    with pytest.raises(SyncError, match="bad-token") as info:
        CentralClient.enroll(central.url, "kec-alalak.secret", "CSR")
    assert info.value.status == 403
