"""Checking the signed proof an employee attaches to an objection. No Flask here.

The proof is the file the node's staff page saves with "Unduh bukti": the check-in record
exactly as the node signed and answered it (one JSON object, hash and sig included). Central
checks, in this order:

1. the upload is one check-in record at all, of this employee, for the day objected to
   (otherwise ``ProofRefused``: 4xx, nothing is stored: there is nothing to judge);
2. its hash and Ed25519 signature under a certificate the district CA (current or kept
   trusted, ``central.rotation.TrustList``) issued to the record's node and has not revoked,
   and a body the node software makes (``sync.checkinbody``);
3. its place in the node's chain as central holds it: the same record at that
   (node, epoch, seq) is ``counted``; a different record there, a ``prev`` that is not the
   hash central holds at seq-1, or a seq central has not reached is ``absent`` (the case a
   local admin deleting a record before the push leaves: the chain at central is whole, but
   without this record).

A record failing step 2 is kept with the objection as ``invalid`` (not genuine): the
official sees the attempt, and it can never be accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certs.authority import load_cert
from certs.errors import CertError
from sync import jsonin
from sync.checkinbody import body_problem
from sync.errors import CanonicalError, JsonInputError, RecordError
from sync.records import check_record, check_shape, serialize
from sync.timefmt import wita_day

from .errors import ApiError
from .rotation import TrustList
from .store.protocol import CentralStore

PROOF_MAX_BYTES = 16 * 1024  # a check-in record is under 2 KiB; a proof is never large


class ProofRefused(ApiError):
    """An upload that is not this employee's check-in record for the day (nothing stored)."""

    code = "bad-proof"


@dataclass(frozen=True)
class ProofVerdict:
    """What central concluded about an attached record."""

    verdict: str  # counted, absent or invalid
    code: str  # why, as a stable code (shown translated on pages)
    detail: str  # why, in words for the official
    record: dict[str, Any]
    text: str  # the record as stored with the objection (canonical JSON)


def read_proof(data: bytes, *, nip: str, day: str) -> dict[str, Any]:
    """The uploaded record, when it is one check-in record of ``nip`` on ``day``."""
    if len(data) > PROOF_MAX_BYTES:
        raise ProofRefused(
            f"berkas bukti lebih dari {PROOF_MAX_BYTES // 1024} KiB: itu bukan "
            "berkas dari tombol Unduh bukti",
            code="proof-too-large",
            status=413,
        )
    try:
        record = jsonin.loads(data.strip())  # refuses deep nesting and lone surrogates
    except (JsonInputError, ValueError, UnicodeDecodeError) as exc:
        raise ProofRefused(
            "berkas bukti bukan catatan presensi (JSON) dari tombol Unduh bukti",
            code="proof-not-record",
        ) from exc
    if not isinstance(record, dict):
        raise ProofRefused("berkas bukti bukan catatan presensi", code="proof-not-record")
    try:
        check_shape(record)
    except RecordError as exc:
        raise ProofRefused(
            f"berkas bukti bukan catatan presensi yang utuh: {exc}", code="proof-not-record"
        ) from exc
    if record["type"] != "checkin":
        raise ProofRefused("berkas bukti bukan catatan datang/pulang", code="proof-not-checkin")
    if record["body"].get("nip") != nip:
        raise ProofRefused(
            "berkas bukti adalah presensi NIP lain; lampirkan bukti Anda sendiri",
            code="proof-other-nip",
            status=403,
        )
    if wita_day(record["ts"]) != day:
        raise ProofRefused(
            f"berkas bukti untuk tanggal {wita_day(record['ts'])}, bukan {day}",
            code="proof-other-day",
        )
    return record


def _node_keys(
    store: CentralStore, trust: TrustList, node: str
) -> tuple[list[Ed25519PublicKey], str | None]:
    """Public keys of ``node``'s certificates that chain to a trusted CA, unrevoked: the
    one central installed and any the CA issued on the offline path. With none, the
    reason (``unknown-node`` or the certificate problem)."""
    certs: list[x509.Certificate] = []
    row = store.node(node)
    if row is not None and row.cert_pem:
        certs.append(load_cert(row.cert_pem.encode("ascii")))
    for path in trust.issued(node):
        try:
            certs.append(load_cert(path))
        except CertError:
            continue
    if not certs:
        return [], "unknown-node"
    keys: list[Ed25519PublicKey] = []
    problem: str | None = None
    for cert in certs:
        try:
            trust.verify(cert, node)
        except CertError as exc:
            problem = problem or str(exc)
            continue
        public = cert.public_key()
        if isinstance(public, Ed25519PublicKey):
            keys.append(public)
    return keys, (None if keys else problem or "certificate-invalid")


def _invalid(record: dict[str, Any], code: str, detail: str) -> ProofVerdict:
    return ProofVerdict("invalid", code, detail, record, _text(record))


def _text(record: dict[str, Any]) -> str:
    try:
        return serialize(record)
    except CanonicalError:  # a float or the like: kept as parsed, for the official to read
        return json.dumps(record, ensure_ascii=False, sort_keys=True)


def verify_proof(store: CentralStore, trust: TrustList, record: dict[str, Any]) -> ProofVerdict:
    """Judge a record ``read_proof`` let through: genuine (counted or absent) or not."""
    node = record["node"]
    keys, problem = _node_keys(store, trust, node)
    if not keys:
        if problem == "unknown-node":
            return _invalid(
                record,
                "unknown-node",
                f"node {node} tidak dikenal pusat: tidak ada sertifikat dari CA "
                "kabupaten untuk node itu",
            )
        return _invalid(
            record, "certificate-untrusted", f"sertifikat node {node} tidak sah: {problem}"
        )
    signed = False
    hash_bad = False
    for key in keys:
        try:
            check_record(record, key)
        except RecordError as exc:
            hash_bad = hash_bad or exc.reason == "bad-hash"
            continue
        signed = True
        break
    if not signed:
        if hash_bad:
            return _invalid(
                record,
                "bad-hash",
                "hash tidak cocok dengan isi catatan: catatan diubah setelah ditandatangani",
            )
        return _invalid(
            record,
            "bad-signature",
            f"tanda tangan tidak cocok dengan sertifikat node {node} dari CA kabupaten",
        )
    problem_body = body_problem(record["body"])
    if problem_body is not None:
        return _invalid(
            record,
            "bad-body",
            f"isi catatan tidak dibuat oleh perangkat lunak node: {problem_body}",
        )
    text = serialize(record)
    epoch, seq = record["epoch"], record["seq"]
    held = store.record(node, epoch, seq)
    if held is not None:
        if held.hash == record["hash"]:
            return ProofVerdict(
                "counted", "at-central", "asli; pusat sudah menerima catatan ini", record, text
            )
        return ProofVerdict(
            "absent",
            "replaced",
            f"asli, tetapi pusat menerima catatan lain "
            f"di nomor {seq} node {node}: catatan ini dihapus atau diganti "
            "sebelum dikirim",
            record,
            text,
        )
    before = store.record(node, epoch, seq - 1) if seq > 0 else None
    if before is not None and before.hash != record["prev"]:
        return ProofVerdict(
            "absent",
            "chain-differs",
            f"asli, tetapi rantai node {node} di "
            f"pusat berbeda sebelum nomor {seq}: catatan ini tidak ada di "
            "log yang dikirim",
            record,
            text,
        )
    head = store.head_of(node, epoch)
    if head is None:
        return ProofVerdict(
            "absent",
            "not-reached",
            f"asli; pusat belum menerima log node {node} ini (epoch {epoch[:8]})",
            record,
            text,
        )
    return ProofVerdict(
        "absent",
        "not-reached",
        f"asli; pusat baru menerima node {node} sampai nomor {head[0]}, catatan ini nomor {seq}",
        record,
        text,
    )
