"""One error tree: everything sync raises derives from ``sync.errors.Error``, the apps pick an
answer by type (never by message text), and each app's table answers every sync error."""

from __future__ import annotations

import ast
import gzip
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import sync
from central import errors as central_errors
from local_node import errors as node_errors
from sync import errors
from sync.batches import MAX_BODY_BYTES, decode_batch

REPO = Path(__file__).resolve().parents[2]


def _sync_exceptions() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.iter_modules(sync.__path__, "sync."):
        module = importlib.import_module(info.name)
        found += [
            obj
            for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, BaseException) and obj.__module__.startswith("sync.")
        ]
    return found


def test_every_sync_exception_is_under_the_one_base():
    found = _sync_exceptions()
    assert errors.RosterFileError in found and errors.NIPError in found
    assert [cls.__name__ for cls in found if not issubclass(cls, errors.Error)] == []


def test_every_sync_exception_is_defined_in_errors_py():
    assert {cls.__module__ for cls in _sync_exceptions()} == {"sync.errors"}


@pytest.mark.parametrize(
    ("body", "encoding", "kind"),
    [
        (b"x" * (MAX_BODY_BYTES + 1), None, errors.BatchTooLarge),
        (gzip.compress(b" " * (MAX_BODY_BYTES + 1), mtime=0), "gzip", errors.BatchTooLarge),
        (b"not json", None, errors.BatchError),
        (gzip.compress(b"{}", mtime=0)[:-4], "gzip", errors.BatchError),
        (gzip.compress(b"{}", mtime=0) + b"junk", "gzip", errors.BatchError),
        (b"\x1f\x8bnot gzip", None, errors.BatchError),
        (b"{}", "br", errors.BatchError),
    ],
)
def test_decode_batch_raises_a_type_per_case(body, encoding, kind):
    with pytest.raises(kind) as caught:
        decode_batch(body, content_encoding=encoding)
    too_large = caught.type is errors.BatchTooLarge
    assert too_large == (kind is errors.BatchTooLarge)


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (errors.BatchTooLarge("body inflates beyond 1 bytes"), 413, "too-large"),
        (errors.BatchError("malformed batch: records must be a non-empty list"), 400, "bad-batch"),
        # The message text no longer decides: a "too large"-sounding BatchError stays 400.
        (errors.BatchError("body is larger than it says"), 400, "bad-batch"),
        (errors.SignatureError("expired", "too old"), 401, "signature-expired"),
        (errors.SignatureError("unknown-key", "who?"), 401, "unknown-node"),
        (errors.RecordError("bad-hash", "no"), 400, "bad-request"),
    ],
)
def test_central_answers_sync_errors_from_its_table(exc, status, code):
    answer = central_errors.from_sync_error(exc)
    assert (answer.status, answer.code, answer.message) == (status, code, str(exc))


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (errors.NIPError("NIP must be exactly 18 digits"), 400, "nip-invalid"),
        (errors.CanonicalError("float"), 400, "bad-request"),
    ],
)
def test_node_answers_sync_errors_from_its_table(exc, status, code):
    answer = node_errors.from_sync_error(exc)
    assert (answer.status, answer.code, answer.message) == (status, code, str(exc))


def test_no_error_is_chosen_by_its_message_text():
    # e.g. `if "beyond" in str(exc)`: a reworded message would silently change the answer.
    bad = []
    for package in ("sync", "certs", "local_node", "central"):
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Compare)
                    and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
                    and any(
                        isinstance(c, ast.Call)
                        and isinstance(c.func, ast.Name)
                        and c.func.id == "str"
                        and c.args
                        and isinstance(c.args[0], ast.Name)
                        and c.args[0].id in ("exc", "err", "error", "e")
                        for c in node.comparators
                    )
                ):
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert bad == []
