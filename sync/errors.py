"""One error tree for the protocol package: every error ``sync`` raises on purpose.

    Error
    ├── ProtocolError        bad input: a value, record, document, batch or request
    │   ├── CanonicalError   no canonical form (float, huge integer, bad string)
    │   ├── RecordError      a record is malformed or fails verification (``reason``, ``seq``)
    │   ├── ReceiptError     a receipt is malformed or its signature does not verify
    │   ├── RosterError      a roster document is malformed or does not verify
    │   ├── SignatureError   an HTTP Message Signature is missing or does not verify
    │   ├── BatchError       a batch body is malformed
    │   │   └── BatchTooLarge  ... or larger than the limits (413 at central)
    │   ├── NIPError         a NIP that is not plausible (also a ValueError)
    │   └── RosterFileError  a roster CSV file was rejected (also a ValueError)
    └── SyncError            talking to central failed (network, HTTP status, bad answer)
        ├── GapError         central answered 409 gap: resend from ``expected_seq``
        └── ForkError        central answered 409 fork: the node is quarantined

The apps choose an answer by type, never by message text: central's table is
``central/errors.py`` (``SYNC_ERRORS``), the node's ``local_node/errors.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .rostercsv import RowProblem


class Error(Exception):
    """Base class for everything ``sync`` raises on purpose."""


class ProtocolError(Error):
    """Base class for bad input: something a peer, a file or a caller got wrong."""


class CanonicalError(ProtocolError):
    """A value cannot be canonicalised (float, huge integer, bad string)."""


class RecordError(ProtocolError):
    """A record is malformed or fails verification.

    ``seq`` is the sequence number of the failing record when known, ``reason`` a short
    machine-readable code (``bad-hash``, ``bad-signature``, ``broken-chain`` ...).
    """

    def __init__(self, reason: str, message: str, seq: int | None = None) -> None:
        self.reason = reason
        self.seq = seq
        where = f"seq {seq}: " if seq is not None else ""
        super().__init__(f"{where}{message}")


class ReceiptError(ProtocolError):
    """A receipt from central is malformed or its signature does not verify."""


class RosterError(ProtocolError):
    """A roster document is malformed or its signature does not verify."""


class SignatureError(ProtocolError):
    """An HTTP Message Signature (RFC 9421) on a node request is missing or does not verify.

    ``reason`` is one of ``missing``, ``bad-digest``, ``bad-signature``, ``expired``,
    ``unknown-key`` and ``malformed``; central maps it to 401 and echoes it.
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class KeyAnnouncementError(ProtocolError):
    """A key announcement is malformed or not signed by the key it claims to replace."""


class JsonInputError(ProtocolError):
    """A request body is not JSON we accept; the message says why, for the client."""


class BatchError(ProtocolError):
    """A batch body (``POST /api/v1/batches``) is malformed: bad gzip, bad JSON, bad fields."""


class BatchTooLarge(BatchError):
    """A batch body is larger than the limits, as sent or once inflated."""


class NIPError(ProtocolError, ValueError):
    """A NIP that is not plausible; the message says why (English, for logs and CLIs)."""


class RosterFileError(ProtocolError, ValueError):
    """A roster CSV file was rejected; ``problems`` lists every bad line with its reason."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:20])
        more = f" (and {len(self.problems) - 20} more)" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s), nothing imported: {shown}{more}")


class SyncError(Error):
    """Pushing to or pulling from central failed (network, HTTP status, bad answer)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class GapError(SyncError):
    """Central answered 409 ``gap``: it holds records up to ``expected_seq - 1``; resend from
    there."""

    def __init__(self, message: str, expected_seq: int, status: int = 409) -> None:
        self.expected_seq = expected_seq
        super().__init__(message, status)


class ForkError(SyncError):
    """Central answered 409 ``fork``: the node is quarantined; pushing again will not help."""


class ServeRefused(Error):
    """A server must not start (port taken, data directory already served); the message says
    why and what to do (sync/serve_guard.py)."""
