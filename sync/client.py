"""The node's HTTP client for central: checkpoint, batch push, roster pull, enrollment.

Every request but enrollment is signed (``sync.httpsig``) with the node key over the exact
URL and body bytes that go on the wire: the request is prepared first and the signature made
over the prepared URL and body. Each thread gets its own ``requests.Session``; every call has
a (connect, read) timeout. Transport failures and non-2xx answers become ``SyncError`` (with
the HTTP status when there is one); a 409 ``gap`` becomes ``GapError`` carrying the seq
central expects, a 409 ``fork`` becomes ``ForkError``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .batches import compress
from .errors import ForkError, GapError, SyncError
from .httpsig import sign_request
from .records import EPOCH_RE, HEX64_RE, ZERO_HASH

__all__ = ["CentralClient", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = (3.0, 15.0)
USER_AGENT = "smart-presensi-node/0.1"
_PATH_RE = re.compile(r"^/[A-Za-z0-9/_.?=&%-]*\Z")


def _error_of(response: requests.Response) -> tuple[str, str, dict[str, Any]]:
    """(code, message, document) of an error answer, tolerating non-JSON bodies."""
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        text = response.text[:200].strip()
        return "http-error", f"HTTP {response.status_code} {response.reason}: {text}", {}
    code = str(doc.get("error", "http-error"))
    message = str(doc.get("message", ""))
    return code, f"HTTP {response.status_code} {code}: {message}", doc


def _json_object(response: requests.Response, what: str) -> dict[str, Any]:
    try:
        doc = response.json()
    except ValueError as exc:
        raise SyncError(
            f"{what}: central answered something that is not JSON", response.status_code
        ) from exc
    if not isinstance(doc, dict):
        raise SyncError(
            f"{what}: central answered JSON that is not an object", response.status_code
        )
    return doc


class CentralClient:
    """Talks to central at ``base_url`` as node ``node_id``, signing with ``key``."""

    def __init__(
        self,
        base_url: str,
        node_id: str,
        key: Ed25519PrivateKey,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        verify: str | bool = True,
    ) -> None:
        """``verify``: how to check central's HTTPS certificate: True for the system's CAs,
        or the path of a CA bundle (the district ``ca.pem`` when central's certificate is
        from the district CA, e.g. behind the nginx of docs/deployment.md)."""
        if not base_url.lower().startswith(("http://", "https://")):
            raise SyncError(f"central URL {base_url!r} must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.node_id = node_id
        self._key = key
        self.timeout = timeout
        self.verify = verify
        self._local = threading.local()
        # (central's time from its last Date header, our monotonic clock then): signatures
        # carry central's time, so a node whose wall clock was set wrong can still sync.
        self._central_clock: tuple[float, float] | None = None

    # --- plumbing ----------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            self._local.session = session
        return session

    def close(self) -> None:
        """Close this thread's session (others close when their threads end)."""
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    def _created(self) -> int:
        """The signature's ``created`` time on central's clock, as far as we know it.

        Central refuses signatures more than a few minutes off its own clock. Someone may
        set the node's wall clock back an hour or forward a day (docs/protocol.md sections 5-6: the
        node must keep syncing, and central flags the records); so once central has
        answered, ``created`` is central's ``Date`` plus the monotonic time since.
        """
        known = self._central_clock
        if known is None:
            return int(time.time())
        central, mono = known
        return int(central + (time.monotonic() - mono))

    def _learn_clock(self, response: requests.Response) -> None:
        try:
            central = parsedate_to_datetime(response.headers["Date"]).timestamp()
        except (KeyError, TypeError, ValueError, IndexError):
            return
        # Date has whole seconds: the middle of that second is the better guess.
        self._central_clock = (central + 0.5, time.monotonic())

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> requests.Response:
        if not _PATH_RE.match(path):
            raise SyncError(f"refusing to request an unusual path {path!r}")
        session = self._session()
        for attempt in (1, 2):
            request = requests.Request(
                method, self.base_url + path, data=body, headers=headers or {}
            )
            prepared = session.prepare_request(request)
            if signed:
                sent = prepared.body if isinstance(prepared.body, bytes) else body
                assert prepared.url is not None
                prepared.headers.update(
                    sign_request(
                        method, prepared.url, sent, self._key, self.node_id, created=self._created()
                    )
                )
            try:
                response = session.send(
                    prepared, timeout=self.timeout, allow_redirects=False, verify=self.verify
                )
            except requests.Timeout as exc:
                raise SyncError(f"{method} {path}: central did not answer in time ({exc})") from exc
            except requests.RequestException as exc:
                raise SyncError(f"{method} {path}: cannot reach central ({exc})") from exc
            self._learn_clock(response)
            # Our clock was off and central said so (401 signature-expired): once more, now
            # signed with central's time. Central stored nothing for a refused signature.
            if (
                signed
                and attempt == 1
                and response.status_code == 401
                and _error_of(response)[0] == "signature-expired"
            ):
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _fail(self, response: requests.Response, what: str) -> SyncError:
        code, message, doc = _error_of(response)
        if response.status_code == 409 and code == "gap":
            expected = doc.get("expected_seq")
            if isinstance(expected, int) and not isinstance(expected, bool) and expected >= 0:
                return GapError(f"{what}: {message}", expected)
        if response.status_code == 409 and code == "fork":
            return ForkError(f"{what}: {message}", 409)
        return SyncError(f"{what}: {message}", response.status_code)

    # --- the protocol ------------------------------------------------------------------

    def checkpoint(self, epoch: str | None = None) -> dict[str, Any]:
        """Where central stands for this node: ``{node, epoch, seq, head, quarantined}``.

        ``seq`` is the last seq central holds (-1 for none), ``head`` its hash (64 zeros, or
        null, when it holds none: both are accepted and returned as 64 zeros). With
        ``epoch``, central answers for that epoch of the node's log (``?epoch=E``).
        """
        what = "checkpoint"
        path = f"/api/v1/nodes/{self.node_id}/checkpoint"
        if epoch is not None:
            if not EPOCH_RE.match(epoch):
                raise SyncError(f"{what}: epoch {epoch!r} is not 32 hex digits")
            path += f"?epoch={epoch}"
        response = self._send("GET", path)
        if response.status_code != 200:
            raise self._fail(response, what)
        doc = _json_object(response, what)
        seq, head, epoch = doc.get("seq"), doc.get("head"), doc.get("epoch")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < -1:
            raise SyncError(f"{what}: seq {seq!r} is not an integer >= -1", 200)
        if seq == -1 and head is None:
            head = doc["head"] = ZERO_HASH
        if not isinstance(head, str) or not HEX64_RE.match(head):
            raise SyncError(f"{what}: head is not 64 hex digits", 200)
        if epoch is not None and (not isinstance(epoch, str) or not EPOCH_RE.match(epoch)):
            raise SyncError(f"{what}: epoch is not 32 hex digits", 200)
        doc["quarantined"] = bool(doc.get("quarantined", False))
        return doc

    def push(self, batch: bytes, gzip: bool = True) -> dict[str, Any]:
        """POST one encoded batch (``sync.batches.encode_batch``); return central's answer.

        The answer holds ``receipt`` (verify it with ``sync.receipts.verify_receipt``),
        ``accepted``, ``duplicates`` and ``checkpoint``.
        """
        what = "push"
        headers = {"Content-Type": "application/json"}
        body = batch
        if gzip:
            body = compress(batch)
            headers["Content-Encoding"] = "gzip"
        response = self._send("POST", "/api/v1/batches", body=body, headers=headers)
        if response.status_code != 200:
            raise self._fail(response, what)
        doc = _json_object(response, what)
        if not isinstance(doc.get("receipt"), dict):
            raise SyncError(f"{what}: central's answer has no receipt", 200)
        return doc

    def roster(self, since: int) -> dict[str, Any] | None:
        """The roster document when central's version is newer than ``since``, else None."""
        what = "roster"
        response = self._send("GET", f"/api/v1/roster?since={int(since)}")
        if response.status_code == 304:
            return None
        if response.status_code != 200:
            raise self._fail(response, what)
        return _json_object(response, what)

    def central_keys(self) -> list[Any]:
        """Central's receipt-key announcements (``sync.keyannounce``), oldest first."""
        what = "central-keys"
        response = self._send("GET", "/api/v1/central-keys", signed=False)
        if response.status_code != 200:
            raise self._fail(response, what)
        docs = _json_object(response, what).get("announcements")
        if not isinstance(docs, list):
            raise SyncError(f"{what}: announcements is not a list", 200)
        return docs

    @staticmethod
    def enroll(
        base_url: str,
        token: str,
        csr_pem: str,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """POST the CSR with the one-time token (unsigned: the token authenticates).

        Returns ``{node, cert, ca, central, central_id}`` (PEM strings). Raises SyncError.
        """
        what = "enroll"
        url = base_url.rstrip("/") + "/api/v1/enroll"
        data = json.dumps({"token": token, "csr": csr_pem}).encode("utf-8")
        try:
            response = requests.post(
                url,
                data=data,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise SyncError(f"{what}: central did not answer in time ({exc})") from exc
        except requests.RequestException as exc:
            raise SyncError(f"{what}: cannot reach central at {base_url} ({exc})") from exc
        if response.status_code not in (200, 201):
            _, message, _ = _error_of(response)
            raise SyncError(f"{what}: {message}", response.status_code)
        doc = _json_object(response, what)
        for field in ("node", "cert", "ca", "central"):
            if not isinstance(doc.get(field), str):
                raise SyncError(f"{what}: central's answer lacks {field!r}", response.status_code)
        return doc
