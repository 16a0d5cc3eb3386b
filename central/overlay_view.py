"""Exceptions and incidents as the officials' pages show and change them: the queue of
proposals, the history of decisions, and proposing or deciding on behalf of the signed-in
account. No Flask here.

Every change goes through ``central.recap_audit`` (the same calls as the HTTP API), so it is
written to the audit log with the account, the time and the reason, and the rules stay in one
place: a second official decides, never the proposer (``central.exceptions.decide`` refuses
inside the store's transaction). What the pages add: roles (a viewer only reads; an approver
or admin proposes and decides), unit limits (an account limited to units sees and acts on
its units only) and messages in Bahasa Indonesia.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .accounts import Principal
from .day_explain import PART_ID, kind_label
from .errors import ApiError, Forbidden
from .exceptions import state_of
from .recap import load_book
from .recap_audit import decide_audited, propose_exception, propose_incident
from .store.protocol import CentralStore

STATE_ID = {"proposed": "menunggu keputusan", "approved": "disetujui", "rejected": "ditolak"}
ACTION_ID = {"add": "diusulkan", "approve": "disetujui", "reject": "ditolak"}
LOCAL_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}\Z")  # <input type=datetime-local>

# The shared validation speaks English to the API; the pages say the same in Indonesian.
MESSAGES_ID = {
    "bad-nip": "NIP harus 18 angka",
    "unknown-nip": "NIP itu tidak ada di roster",
    "bad-kind": "pilih jenis pengecualian dari daftar (jenis yang ada di aturan)",
    "no-rules": "belum ada aturan yang diimpor: jalankan 'presensi-central rules import'",
    "bad-date": "tanggal tidak sah: pakai TTTT-BB-HH; tanggal akhir tidak sebelum tanggal "
    "awal; paling lama 366 hari",
    "bad-part": "bagian harus sehari penuh, bagian datang, atau bagian pulang",
    "bad-reason": "alasan wajib diisi (3-500 karakter)",
    "bad-doc-no": "nomor surat paling banyak 80 karakter yang dapat dicetak",
    "bad-ts": "waktu tidak sah: isi tanggal dan jam (WITA); selesai harus sesudah mulai",
    "bad-scope": "pilih unit kerja atau node, tidak keduanya",
    "bad-unit": "unit kerja tidak sah",
    "unknown-unit": "unit kerja tidak dikenal: pilih unit dari daftar",
    "bad-node": "node tidak dikenal: pakai nama node seperti kec-alalak",
    "bad-id": "nomor usulan tidak sah",
    "not-found": "usulan itu tidak ada",
    "same-official": "Anda sendiri yang mengusulkan ini; pejabat lain yang harus memutuskannya",
    "already-decided": "usulan itu sudah diputuskan",
    "forbidden-unit": "di luar unit kerja akun Anda",
    "forbidden-role": "peran akun Anda tidak mengizinkan tindakan ini",
}


def in_indonesian(exc: ApiError) -> ApiError:
    """The same error (status, code) with its page message."""
    message = MESSAGES_ID.get(exc.code)
    if message is None:
        return exc
    return type(exc)(message, code=exc.code, status=exc.status)


@dataclass(frozen=True)
class Overlay:
    """One exception or incident with its history, as a row of the queue or history."""

    target: str
    id: int
    state: str
    proposer: str
    created_at: float
    reason: str
    fields: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def state_label(self) -> str:
        return STATE_ID[self.state]

    @property
    def decision(self) -> dict[str, Any] | None:
        return next((e for e in self.events if e["action"] in ("approve", "reject")), None)

    def may_decide(self, who: Principal) -> bool:
        """Whether the page shows this account the approve and reject buttons."""
        return (
            self.state == "proposed"
            and who.can("approver")
            and self.proposer.casefold() != who.account.casefold()
        )


def _events(store: CentralStore, target: str, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    if ids:
        for event in store.overlay_events(target, ids):
            out.setdefault(event["target_id"], []).append(
                event | {"label": ACTION_ID.get(event["action"], event["action"])}
            )
    return out


def exceptions_for(store: CentralStore, who: Principal) -> list[Overlay]:
    """Every exception of the employees this account may see, newest first."""
    rows = store.exceptions_between("0000-01-01", "9999-12-31")
    units = store.employee_units()
    wanted = {r["nip"] for r in rows}
    people = {e.nip: e for e in store.employees() if e.nip in wanted} if rows else {}
    rows = [r for r in rows if who.sees_unit(units.get(r["nip"]))]
    ids = [r["id"] for r in rows]
    events = _events(store, "exception", ids)
    docs = store.exception_doc_numbers(ids)
    out = []
    for r in reversed(rows):
        person = people.get(r["nip"])
        history = events.get(r["id"], [])
        out.append(
            Overlay(
                "exception",
                r["id"],
                state_of([e["action"] for e in history]),
                r["created_by"],
                r["created_at"],
                r["reason"],
                {
                    "nip": r["nip"],
                    "name": person.name if person else None,
                    "unit": units.get(r["nip"]),
                    "kind": r["kind"],
                    "kind_label": kind_label(r["kind"]),
                    "from": r["day_from"],
                    "to": r["day_to"],
                    "part": r["part"],
                    "part_label": PART_ID.get(r["part"]),
                    "doc_no": docs.get(r["id"]),
                },
                history,
            )
        )
    return out


def incidents_for(store: CentralStore, who: Principal) -> list[Overlay]:
    """Every incident that concerns this account's units (a regency-wide or node incident
    concerns everyone), newest first."""
    rows = [
        r
        for r in store.incidents_between("0", "9")
        if r["unit"] is None or who.sees_unit(r["unit"])
    ]
    events = _events(store, "incident", [r["id"] for r in rows])
    out = []
    for r in reversed(rows):
        history = events.get(r["id"], [])
        out.append(
            Overlay(
                "incident",
                r["id"],
                state_of([e["action"] for e in history]),
                r["created_by"],
                r["created_at"],
                r["reason"],
                {"from": r["ts_from"], "to": r["ts_to"], "unit": r["unit"], "node": r["node"]},
                history,
            )
        )
    return out


def exception_kinds(store: CentralStore) -> list[str]:
    return sorted(load_book(store).kinds())


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def propose_exception_as(
    store: CentralStore, who: Principal, form: dict[str, str | None], now: float
) -> int:
    """Propose an exception from the page's form as ``who`` (approver or admin)."""
    if not who.can("approver"):
        raise Forbidden("peran akun Anda tidak mengizinkan tindakan ini", code="forbidden-role")
    nip = (form.get("nip") or "").strip()
    units = store.employee_units()
    if re.match(r"^\d{18}\Z", nip) and nip not in units:
        raise ApiError(MESSAGES_ID["unknown-nip"], code="unknown-nip", status=404)
    if nip in units and not who.sees_unit(units[nip]):
        raise Forbidden(MESSAGES_ID["forbidden-unit"], code="forbidden-unit")
    try:
        return propose_exception(
            store,
            by=who.account,
            reason=form.get("reason"),
            now=now,
            nip=nip,
            kind=form.get("kind"),
            first=form.get("from"),
            last=_blank(form.get("to")) or form.get("from"),
            part=form.get("part") or "day",
            doc_no=_blank(form.get("doc_no")),
        )
    except ApiError as exc:
        raise in_indonesian(exc) from exc


def _wita_ts(text: str | None) -> str:
    if not text or not LOCAL_TS_RE.match(text):
        raise ApiError(MESSAGES_ID["bad-ts"], code="bad-ts")
    return text + ":00+08:00"


def propose_incident_as(
    store: CentralStore, who: Principal, form: dict[str, str | None], now: float
) -> int:
    """Propose an incident (times in WITA) for a unit, a node or everyone."""
    if not who.can("approver"):
        raise Forbidden("peran akun Anda tidak mengizinkan tindakan ini", code="forbidden-role")
    unit, node = _blank(form.get("unit")), _blank(form.get("node"))
    if unit is not None and unit not in store.units():
        raise ApiError(MESSAGES_ID["unknown-unit"], code="unknown-unit", status=404)
    if who.units and not (unit is not None and who.sees_unit(unit)):
        raise Forbidden(
            "akun yang dibatasi pada unit kerja hanya mengusulkan gangguan untuk unitnya sendiri",
            code="forbidden-unit",
        )
    try:
        return propose_incident(
            store,
            by=who.account,
            reason=form.get("reason"),
            now=now,
            ts_from=_wita_ts(form.get("from")),
            ts_to=_wita_ts(form.get("to")),
            unit=unit,
            node=node,
        )
    except ApiError as exc:
        raise in_indonesian(exc) from exc


def decide_as(
    store: CentralStore,
    who: Principal,
    target: str,
    target_id: int,
    action: str,
    reason: str | None,
    now: float,
) -> str:
    """Approve or reject as ``who``: an approver or admin whose units cover the overlay,
    never its proposer (refused inside the store's transaction). A rejection needs a
    reason; an approval may carry one."""
    if not who.can("approver"):
        raise Forbidden("peran akun Anda tidak mengizinkan tindakan ini", code="forbidden-role")
    everyone = Principal(who.account, who.role, ())
    listed = (
        exceptions_for(store, everyone) if target == "exception" else incidents_for(store, everyone)
    )
    found = next((o for o in listed if o.id == target_id), None)
    if found is not None and who.units and not who.sees_unit(found.fields["unit"]):
        # A unit-limited approver decides on its own units' overlays only (a regency-wide
        # incident included), as through the API.
        raise Forbidden(MESSAGES_ID["forbidden-unit"], code="forbidden-unit")
    note = _blank(reason)
    if action == "reject" and note is None:
        raise ApiError("alasan penolakan wajib diisi", code="bad-reason")
    try:
        return decide_audited(store, target, target_id, action, who.account, now, reason=note)
    except ApiError as exc:
        raise in_indonesian(exc) from exc
