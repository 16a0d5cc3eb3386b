"""The hash chain: verifying a sequence of records of one (node, epoch).

``ChainVerifier`` holds where a chain stands (next seq, head hash) and checks each record fed
to it: its own hash and signature, then the link to the one before. The node's ``verify``
command starts it at the genesis record; central starts it at its stored head.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import RecordError
from .records import ZERO_HASH, Record, check_record


@dataclass
class ChainVerifier:
    """Verify records in order, starting after ``head`` at ``next_seq``.

    With the defaults it expects a whole log: seq 0 is a ``genesis`` record whose ``prev`` is
    64 zeros. ``node`` and ``epoch`` are fixed by the first record when not given.
    """

    public_key: Ed25519PublicKey
    node: str | None = None
    epoch: str | None = None
    next_seq: int = 0
    head: str = ZERO_HASH
    count: int = 0
    types: dict[str, int] = field(default_factory=dict)
    # False when the caller already ran check_record on every record (central does that
    # before it takes its write lock, so workers verify signatures in parallel).
    check_records: bool = True

    def feed(self, record: Record) -> None:
        """Check one record and advance; RecordError names the seq and the reason."""
        if self.check_records:
            check_record(record, self.public_key)
        seq = record["seq"]
        if self.node is None:
            self.node = record["node"]
        if self.epoch is None:
            self.epoch = record["epoch"]
        if record["node"] != self.node:
            raise RecordError(
                "wrong-node", f"record of node {record['node']!r}, expected {self.node!r}", seq
            )
        if record["epoch"] != self.epoch:
            raise RecordError("wrong-epoch", "record belongs to another epoch of the log", seq)
        if seq != self.next_seq:
            reason = "gap" if seq > self.next_seq else "out-of-order"
            raise RecordError(reason, f"expected seq {self.next_seq}", seq)
        if record["prev"] != self.head:
            raise RecordError(
                "broken-chain", "prev does not match the hash of the previous record", seq
            )
        if (seq == 0) != (record["type"] == "genesis"):
            raise RecordError(
                "bad-genesis", "seq 0, and only seq 0, must be the genesis record", seq
            )
        self.head = record["hash"]
        self.next_seq = seq + 1
        self.count += 1
        self.types[record["type"]] = self.types.get(record["type"], 0) + 1


def verify_log(records: Iterable[Record], public_key: Ed25519PublicKey) -> ChainVerifier:
    """Verify a whole exported log from its genesis record; return the final state."""
    verifier = ChainVerifier(public_key)
    for record in records:
        verifier.feed(record)
    if verifier.count == 0:
        raise RecordError("empty", "the log holds no records")
    return verifier
