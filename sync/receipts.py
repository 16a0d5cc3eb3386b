"""Receipts: central's signed statement that it holds a node's log up to (seq, head).

``{"v":1,"central":ID,"node":N,"epoch":E,"seq":S,"head":H,"server_ts":T,"sig":B64}``, where
``sig`` is central's Ed25519 signature over the canonical bytes of the receipt without
``sig`` (docs/protocol.md sections 5-6). The node keeps each receipt in an ``anchor`` record, which
bounds time: every record up to ``seq`` existed before ``server_ts``, every record after the
anchor was made after it.

Verify one with openssl alone: write ``signed_bytes(receipt)`` to canon.bin and the decoded
``sig`` to sig.bin, then ``openssl pkeyutl -verify -pubin -inkey central_pub.pem -rawin
-in canon.bin -sigfile sig.bin``.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ._signed import check_signature, fields_problem, is_int, sign_document, signed_bytes
from .errors import ReceiptError
from .records import EPOCH_RE, HEX64_RE, NODE_RE
from .timefmt import TS_RE

__all__ = ["RECEIPT_FIELDS", "make_receipt", "signed_bytes", "verify_receipt"]

RECEIPT_FIELDS = ("v", "central", "node", "epoch", "seq", "head", "server_ts")


def make_receipt(
    *,
    central: str,
    node: str,
    epoch: str,
    seq: int,
    head: str,
    server_ts: str,
    key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """A signed receipt for records of (node, epoch) up to ``seq`` whose last hash is ``head``."""
    receipt: dict[str, Any] = {
        "v": 1,
        "central": central,
        "node": node,
        "epoch": epoch,
        "seq": seq,
        "head": head,
        "server_ts": server_ts,
    }
    check_shape(receipt, signed=False)
    return sign_document(receipt, key)


def check_shape(receipt: Any, *, signed: bool = True) -> None:
    """Raise ReceiptError unless ``receipt`` has exactly the receipt's fields in their forms."""
    problem = fields_problem(receipt, RECEIPT_FIELDS, signed=signed)
    if problem:
        raise ReceiptError(f"receipt {problem}")
    if receipt["v"] != 1 or not is_int(receipt["v"]):
        raise ReceiptError(f"unsupported receipt version {receipt['v']!r}")
    if not isinstance(receipt["central"], str) or not receipt["central"]:
        raise ReceiptError("central must be a non-empty string")
    if not isinstance(receipt["node"], str) or not NODE_RE.match(receipt["node"]):
        raise ReceiptError("node must match [a-z0-9-]{3,40}")
    if not isinstance(receipt["epoch"], str) or not EPOCH_RE.match(receipt["epoch"]):
        raise ReceiptError("epoch must be 32 lowercase hex digits")
    if not is_int(receipt["seq"]) or receipt["seq"] < 0:
        raise ReceiptError("seq must be a non-negative integer")
    if not isinstance(receipt["head"], str) or not HEX64_RE.match(receipt["head"]):
        raise ReceiptError("head must be 64 lowercase hex digits")
    if not isinstance(receipt["server_ts"], str) or not TS_RE.match(receipt["server_ts"]):
        raise ReceiptError("server_ts must be RFC 3339 UTC with three fraction digits and Z")


def verify_receipt(receipt: Any, central_public_key: Ed25519PublicKey) -> dict[str, Any]:
    """Check a receipt's shape and central's signature; return it. Raises ReceiptError."""
    check_shape(receipt)
    problem = check_signature(receipt, central_public_key)
    if problem is not None:
        raise ReceiptError(f"receipt rejected: {problem}")
    result: dict[str, Any] = receipt
    return result
