"""Central's error hierarchy. API errors carry an HTTP status and a stable code; the JSON
answer is always ``{"error": code, "message": text}`` (docs/contract.md section 2)."""

from __future__ import annotations

from typing import Any

from sync.errors import BatchError, BatchTooLarge, ProtocolError, SignatureError


class CentralError(Exception):
    """Base class for every error central raises on purpose."""


class SetupError(CentralError):
    """The data directory is missing something (database, keys, CA) or is inconsistent."""


class ApiError(CentralError):
    """A request the client got wrong, with its HTTP status and machine-readable code.

    ``extra`` holds additional JSON fields of the answer (``expected_seq`` for a gap, ...).
    """

    status = 400
    code = "bad-request"

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not-found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class TooLarge(ApiError):
    status = 413
    code = "too-large"


# How sync's errors answer at central's API, by type (the first class of the error's MRO
# found here); the message is the error's own.
SYNC_ERRORS: dict[type[ProtocolError], tuple[type[ApiError], str]] = {
    BatchTooLarge: (TooLarge, "too-large"),
    BatchError: (ApiError, "bad-batch"),
    SignatureError: (Unauthorized, "signature"),  # code: signature-REASON or unknown-node
    ProtocolError: (ApiError, "bad-request"),
}


def from_sync_error(exc: ProtocolError) -> ApiError:
    """The API error answering ``exc`` (raise it ``from exc`` where the sync call is made)."""
    kind, code = next(SYNC_ERRORS[cls] for cls in type(exc).__mro__ if cls in SYNC_ERRORS)
    if isinstance(exc, SignatureError):  # the answer names the reason (docs/protocol.md)
        code = "unknown-node" if exc.reason == "unknown-key" else f"signature-{exc.reason}"
        return kind(str(exc), code=code, reason=exc.reason)
    return kind(str(exc), code=code)
