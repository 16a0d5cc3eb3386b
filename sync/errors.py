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


class SignatureError(ProtocolError):
    """An HTTP Message Signature (RFC 9421) on a node request is missing or does not verify.

    ``reason`` is one of ``missing``, ``bad-digest``, ``bad-signature``, ``expired``,
    ``unknown-key`` and ``malformed``; central maps it to 401/403 and echoes it.
    """

    REASONS = ("missing", "bad-digest", "bad-signature", "expired", "unknown-key", "malformed")

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class GapError(SyncError):
    """Central answered 409 ``gap``: it holds records up to ``expected_seq - 1``; resend from
    there."""

    def __init__(self, message: str, expected_seq: int, status: int = 409) -> None:
        self.expected_seq = expected_seq
        super().__init__(message, status)


class ForkError(SyncError):
    """Central answered 409 ``fork``: the node is quarantined; pushing again will not help."""
