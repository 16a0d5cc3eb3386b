"""The office's rotating kiosk code (method ``kiosk``): proof that a phone saw the office screen.

A screen at the office entrance (a tablet or the mini-PC's monitor) shows a QR code that
changes every ``WINDOW_S`` seconds. Staff scan it with the phone's camera; the phone opens the
staff page with the code, and the check-in carries it as ``presence: "kiosk:CODE"``. The node
accepts a code of the current or the previous ``GRACE_WINDOWS`` windows and then records the
check-in with ``method: kiosk``. Wi-Fi reaches the parking lot; the screen does not.

Codes are an HMAC of the window number under a key kept in the node database (``meta``), so
they need no storage and cannot be guessed from earlier ones. Only the kiosk screen may fetch
the current code: it holds a display token derived from the same key, which the local admin
gets from ``presensi-node kiosk`` (the URL to open on the screen). ``--rotate`` makes a new key:
old screens and codes stop working at once. Making and rotating the key is an ``admin``
record in the log, so the change is visible to central.

What it does not prove: who scanned. A photo of the code forwarded by chat works for the rest
of its short life (docs/security.md).

No Flask here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from .errors import ApiError
from .log_commit import Sql
from .store import Store
from .writer import Appender

WINDOW_S = 30
GRACE_WINDOWS = 2  # a code is accepted for 60-90 s: time to scan, sign in and tap
PREFIX = "kiosk:"
CODE_RE = re.compile(r"^[A-Z2-7]{8}\Z")
META_KEY = "kiosk_key"


def _mac(key: bytes, label: str) -> bytes:
    return hmac.new(key, label.encode(), hashlib.sha256).digest()


class KioskNotSetUp(ApiError):
    status = 409
    code = "kiosk-not-set-up"

    def __init__(self) -> None:
        super().__init__("the kiosk is not set up: run presensi-node kiosk on the node")


class Kiosk:
    """Codes and the display token of one node, from its kiosk key (None until made)."""

    def __init__(self, store: Store, node: str) -> None:
        self.store = store
        self.node = node

    def _key(self) -> bytes | None:
        value = self.store.meta(META_KEY)
        return bytes.fromhex(value) if value else None

    def code_at(self, now: float, key: bytes | None = None) -> str:
        """The code shown during the window containing ``now``."""
        key = key or self._key()
        if key is None:
            raise KioskNotSetUp()
        window = int(now // WINDOW_S)
        return base64.b32encode(_mac(key, f"code:{self.node}:{window}")[:5]).decode()

    def display_token(self) -> str | None:
        key = self._key()
        if key is None:
            return None
        return base64.urlsafe_b64encode(_mac(key, f"display:{self.node}")[:24]).decode()

    def display_allowed(self, token: str) -> bool:
        """Whether ``token`` is the screen's; KioskNotSetUp before the first key is made."""
        expected = self.display_token()
        if expected is None:
            raise KioskNotSetUp()
        return hmac.compare_digest(token.encode(), expected.encode())

    def check(self, presence: str, now: float) -> tuple[float, float]:
        """The window (start, end, Unix seconds) in which the screen showed ``presence``
        (``kiosk:CODE``); raise ``ApiError`` unless it is a current or recent code."""
        code = presence[len(PREFIX) :]
        key = self._key()
        if key is None or not CODE_RE.match(code):
            raise ApiError(
                "the office code is not valid: scan the screen again", code="kiosk-code-invalid"
            )
        for back in range(GRACE_WINDOWS + 1):
            moment = now - back * WINDOW_S
            if hmac.compare_digest(code, self.code_at(moment, key)):
                start = (moment // WINDOW_S) * WINDOW_S
                return start, start + WINDOW_S
        raise ApiError(
            "the office code has expired or is not this office's: scan the screen again",
            code="kiosk-code-invalid",
        )

    def make_key(self, writer: Appender, *, by: str) -> str:
        """A new random key (the first, or a rotation), recorded as an ``admin`` record."""
        key = secrets.token_bytes(32)

        store_key = Sql(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (META_KEY, key.hex())
        )
        # The key id lets anyone tell rotations apart without learning the key.
        key_id = hashlib.sha256(b"kiosk-key-id:" + key).hexdigest()[:16]
        writer.append(
            "admin", {"action": "kiosk-key", "key_id": key_id, "by": by}, apply=[store_key]
        )
        return key_id
