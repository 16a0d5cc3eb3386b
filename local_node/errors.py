"""The node's error hierarchy. API errors carry an HTTP status, a stable code and a message key
that the pages translate; CLIs print the English message."""

from __future__ import annotations

from sync.errors import NIPError, ProtocolError


class NodeError(Exception):
    """Base class for every error the node raises on purpose."""


class IdentityError(NodeError):
    """The node's key or certificates are missing, invalid or do not match."""


class StorageError(NodeError):
    """The database cannot take writes (disk full, read-only, I/O error)."""


class ApiError(NodeError):
    """A request the client got wrong (or that cannot be served now), with its HTTP status."""

    status = 400
    code = "bad-request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.retry_after = retry_after


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not-found"


class TooManyAttempts(ApiError):
    status = 429
    code = "too-many-attempts"


class InsufficientStorage(ApiError):
    status = 507
    code = "storage-full"


class WriterUnavailable(NodeError):
    """The log writer process stopped before it answered; the next append starts a new one."""


# How sync's errors answer at the node's API, by type (the first class of the error's MRO
# found here); the message is the error's own and the code picks the page's translation.
SYNC_ERRORS: dict[type[ProtocolError], tuple[type[ApiError], str]] = {
    NIPError: (ApiError, "nip-invalid"),
    ProtocolError: (ApiError, "bad-request"),
}


def from_sync_error(exc: ProtocolError) -> ApiError:
    """The API error answering ``exc`` (raise it ``from exc`` where the sync call is made)."""
    kind, code = next(SYNC_ERRORS[cls] for cls in type(exc).__mro__ if cls in SYNC_ERRORS)
    return kind(str(exc), code=code)
