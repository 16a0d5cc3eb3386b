"""One error hierarchy for the protocol package."""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class for everything ``sync`` raises on bad input."""


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


class SyncError(Exception):
    """Pushing to or pulling from central failed (network, HTTP status, bad answer)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)
