"""Employees at central: sign-in with NIP and PIN, their own month, objections with the
signed proof from the staff page, verified (signature, certificate, chain position) and
decided by unit-limited approvers; accepted records count in the recap (issue 16 item 4).
Real signed records from ``FakeNode``; both backends."""

from __future__ import annotations

import io
import json
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from central.auth import create_api_token
from central.identity import load_identity
from central.recap_close import close_month, recap
from central.roster import import_roster
from central.rules import import_rules
from central.store.sqlite import SqliteStore
from certs.keys import generate_key
from sync.demo_roster import make_roster, roster_csv
from sync.records import serialize

from .conftest import Clock, FakeNode, body_json, enroll
from .officials import csrf_of, make_official, sign_in
from .recap_support import AFTER, EXAMPLE, Office, at

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
MONTH = "2026-10"
DAY = "2026-10-06"  # a Tuesday: 07:30-16:00


@pytest.fixture
def people(
    app: Flask, store: SqliteStore, central_paths: Any, tmp_path: Path, clock: Clock
) -> list[dict[str, str]]:
    people = make_roster(9)
    import_roster(
        store,
        load_identity(central_paths, store),
        roster_csv(people),
        slips=tmp_path / "slips.csv",
        now=clock.now,
    )
    import_rules(store, EXAMPLE, by="Kabid Disiplin", now=clock.now)
    return people


@pytest.fixture
def office(client: FlaskClient, store: SqliteStore, clock: Clock, people: Any) -> Office:
    clock.now = at(1, "06:00")
    node = enroll(client, store, clock, "kec-alalak")
    clock.now = at(31, "23:00")
    return Office(node, client)


def employee_client(app: Flask, person: dict[str, str], pin: str | None = None) -> FlaskClient:
    c = app.test_client()
    csrf = CSRF_RE.search(c.get("/saya/masuk").get_data(as_text=True))
    assert csrf
    r = c.post(
        "/saya/masuk",
        data={"nip": person["nip"], "pin": pin or person["pin"], "csrf": csrf.group(1)},
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    return c


def file_objection(
    c: FlaskClient,
    proof: bytes | None,
    day: str = DAY,
    reason: str = "Saya datang tepat waktu, catatan hilang",
) -> Any:
    data: dict[str, Any] = {
        "csrf": csrf_of(c, f"/saya?month={MONTH}"),
        "date": day,
        "reason": reason,
    }
    if proof is not None:
        data["bukti"] = (io.BytesIO(proof), "presensi-kec-alalak-5.json")
    return c.post("/saya/keberatan", data=data, content_type="multipart/form-data")


def day_of(store: SqliteStore, nip: str, day: str = DAY) -> dict[str, Any]:
    result = recap(store, MONTH, today=AFTER, nip=nip)
    return next(d for d in result["employees"][0]["days"] if d["date"] == day)


def admin(
    store: SqliteStore, clock: Clock, name: str = "admin.pusat", units: list[str] | None = None
) -> str:
    make_official(store, name, "admin", clock.now, units=units)
    return create_api_token(store, "admin", now=clock.now, account=name)


def decide(
    client: FlaskClient,
    token: str,
    objection_id: int,
    action: str,
    reason: str | None = "bukti diperiksa",
) -> Any:
    body = {} if reason is None else {"reason": reason}
    return client.post(
        f"/api/v1/objections/{objection_id}/{action}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


# --- sign-in and the month page -------------------------------------------------------------


def test_employee_signs_in_with_roster_pin_and_sees_only_their_own_month(
    app: Flask, client: FlaskClient, store: SqliteStore, people: Any, office: Office
) -> None:
    me, other = people[1], people[2]
    office.checkin(me["nip"], "in", 6, "07:45:10")
    office.checkin(me["nip"], "out", 6, "16:05")
    office.checkin(other["nip"], "in", 6, "07:10:42")
    office.push()
    c = app.test_client()
    csrf = CSRF_RE.search(c.get("/saya/masuk").get_data(as_text=True)).group(1)  # type: ignore
    wrong = c.post("/saya/masuk", data={"nip": me["nip"], "pin": "000000", "csrf": csrf})
    assert wrong.status_code == 401 and "NIP atau PIN salah" in wrong.get_data(as_text=True)
    no_csrf = c.post("/saya/masuk", data={"nip": me["nip"], "pin": me["pin"]})
    assert no_csrf.status_code == 403
    c = employee_client(app, me)
    page = c.get(f"/saya?month={MONTH}&nip={other['nip']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert me["name"] in text and "07:45:10 WITA" in text and "terlambat 15 menit" in text
    assert 'data-deduction="0.50"' in text  # TL1 on the 6th
    # The language switch repeats the query it was given (?nip=... included); past it, the
    # other employee appears nowhere.
    shown = re.sub(r"<a [^>]*hreflang=[^>]*>", "", text)
    assert other["nip"] not in shown and other["name"] not in shown and "07:10:42" not in shown
    # The employee's cookie opens nothing of the officials'.
    assert c.get("/dashboard").status_code == 401
    assert c.get("/api/v1/objections").status_code == 401
    assert c.get("/saya?month=2026-13").status_code == 400


def test_month_page_signed_out_asks_for_nip_and_pin(app: Flask, people: Any) -> None:
    r = app.test_client().get("/saya")
    assert r.status_code == 401 and 'name="pin"' in r.get_data(as_text=True)
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "headers", [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}]
)
def test_cross_site_posts_are_refused(
    app: Flask, store: SqliteStore, people: Any, office: Office, headers: dict[str, str]
) -> None:
    me = people[1]
    c = app.test_client()
    csrf = CSRF_RE.search(c.get("/saya/masuk").get_data(as_text=True)).group(1)  # type: ignore
    r = c.post(
        "/saya/masuk", data={"nip": me["nip"], "pin": me["pin"], "csrf": csrf}, headers=headers
    )
    assert r.status_code == 403 and c.get_cookie("presensi_employee", path="/saya") is None
    c = employee_client(app, me)
    r = c.post(
        "/saya/keberatan",
        data={"date": DAY, "reason": "alasan cukup panjang", "csrf": csrf_of(c, "/saya")},
        headers=headers,
    )
    assert r.status_code == 403 and store.objections() == []


# --- verification outcomes --------------------------------------------------------------------


def test_genuine_and_counted_proof(
    app: Flask, store: SqliteStore, people: Any, office: Office, clock: Clock
) -> None:
    me = people[1]
    office.checkin(me["nip"], "in", 6, "07:20")
    proof = serialize(office.node.records[-1])
    office.checkin(me["nip"], "out", 6, "16:05")
    office.push()
    r = file_objection(employee_client(app, me), proof.encode())
    assert r.status_code == 303 and r.headers["Location"].endswith(f"#d-{DAY}")
    (objection,) = store.objections()
    assert (objection.verdict, objection.verdict_code) == ("counted", "at-central")
    before = day_of(store, me["nip"])
    token = admin(store, clock)
    assert decide(app.test_client(), token, objection.id, "accept").status_code == 200
    assert day_of(store, me["nip"]) == before  # counted once, not twice


def test_record_replaced_before_push_is_genuine_but_absent_and_counts_once_accepted(
    app: Flask, client: FlaskClient, store: SqliteStore, people: Any, office: Office, clock: Clock
) -> None:
    """The local admin's one undetectable act: the arrival is cut from the log (and the
    chain rebuilt with the node's key) before it was ever pushed."""
    me = people[1]
    node = office.node
    office.checkin(me["nip"], "in", 6, "07:20")
    proof = serialize(node.records[-1])
    node.records.pop()  # deleted before the push ...
    node.append("boot", {"version": "0.1"}, ts=at(6, "07:21"))  # ... another record there
    office.checkin(me["nip"], "out", 6, "16:05")
    office.push()
    assert day_of(store, me["nip"])["deduction"] == "1.50"  # no arrival: TL4
    r = file_objection(employee_client(app, me), proof.encode())
    assert r.status_code == 303
    (objection,) = store.objections()
    assert (objection.verdict, objection.verdict_code) == ("absent", "replaced")
    assert objection.hash == json.loads(proof)["hash"]
    token = admin(store, clock)
    # The queue shows the verdict to the approver before anyone decides.
    listed = body_json(
        client.get("/api/v1/objections", headers={"Authorization": f"Bearer {token}"})
    )
    assert [(o["id"], o["verdict"], o["state"]) for o in listed["objections"]] == [
        (objection.id, "absent", "open")
    ]
    r = decide(client, token, objection.id, "accept", "bukti asli, dihapus di node")
    assert r.status_code == 200 and body_json(r)["state"] == "accepted"
    day = day_of(store, me["nip"])
    assert (day["in"], day["late_band"], day["deduction"]) == ("07:20:00", None, "0.00")
    audit, _ = store.audit_page(0, 10)
    assert audit[0].action == "objection-accept" and audit[0].actor == "admin.pusat"
    assert audit[0].reason == "bukti diperiksa" or "dihapus" in audit[0].reason
    # The employee sees the outcome on their page.
    text = employee_client(app, me).get(f"/saya?month={MONTH}").get_data(as_text=True)
    assert "diterima" in text and "bukti keberatan yang diterima" in text


def test_record_not_yet_pushed_is_absent_then_counted_once_when_it_arrives(
    app: Flask, client: FlaskClient, store: SqliteStore, people: Any, office: Office, clock: Clock
) -> None:
    me = people[1]
    office.checkin(me["nip"], "out", 6, "16:05")
    office.push()
    office.checkin(me["nip"], "in", 7, "07:25")
    proof = serialize(office.node.records[-1])  # signed, never pushed (yet)
    r = file_objection(employee_client(app, me), proof.encode(), day="2026-10-07")
    assert r.status_code == 303
    (objection,) = store.objections()
    assert (objection.verdict, objection.verdict_code) == ("absent", "not-reached")
    assert decide(client, admin(store, clock), objection.id, "accept").status_code == 200
    accepted = day_of(store, me["nip"], "2026-10-07")
    office.push()  # the node's link comes back
    assert day_of(store, me["nip"], "2026-10-07") == accepted
    assert accepted["in"] == "07:25:00"


def test_forged_signature_and_foreign_ca_are_kept_as_not_genuine_and_cannot_be_accepted(
    app: Flask, client: FlaskClient, store: SqliteStore, people: Any, office: Office, clock: Clock
) -> None:
    me = people[1]
    office.checkin(me["nip"], "out", 6, "16:05")
    office.push()
    # Same node name, another key (a node enrolled at a rogue CA, or a stolen name).
    impostor = FakeNode("kec-alalak", clock, generate_key())
    impostor.epoch = office.node.epoch
    forged = impostor.checkin(me["nip"], "in", ts=at(6, "07:00"))
    # A node central's CA never issued a certificate to.
    foreign = FakeNode("kec-luar-daerah", clock).checkin(me["nip"], "in", ts=at(6, "07:05"))
    c = employee_client(app, me)
    for rec in (forged, foreign):
        assert file_objection(c, serialize(rec).encode()).status_code == 303
    stored = sorted(store.objections(), key=lambda o: o.id)
    assert [(o.verdict, o.verdict_code) for o in stored] == [
        ("invalid", "bad-signature"),
        ("invalid", "unknown-node"),
    ]
    token = admin(store, clock)
    r = decide(client, token, stored[0].id, "accept")
    assert r.status_code == 409 and body_json(r)["error"] == "not-acceptable"
    assert decide(client, token, stored[0].id, "reject", "tanda tangan palsu").status_code == 200
    assert day_of(store, me["nip"])["in"] is None


def _record(office: Office, nip: str, hm: str = "07:20", day: int = 6) -> bytes:
    rec = office.node.checkin(nip, "in", ts=at(day, hm))
    return serialize(rec).encode()


BAD_UPLOADS: list[tuple[str, Any, int, str]] = [
    ("garbage", lambda o, me, other: b"\x89PNG\r\n\x1a\n not a record", 400, "proof-not-record"),
    ("empty file", lambda o, me, other: b"", 400, "proof-not-record"),
    ("json array", lambda o, me, other: b"[1, 2, 3]", 400, "proof-not-record"),
    ("json object, not a record", lambda o, me, other: b'{"nip": "x"}', 400, "proof-not-record"),
    ("deep nesting", lambda o, me, other: b"[" * 5000 + b"]" * 5000, 400, "proof-not-record"),
    ("bad utf-8", lambda o, me, other: b'{"v": 1, "node": "\xff\xfe"}', 400, "proof-not-record"),
    (
        "not a check-in",
        lambda o, me, other: serialize(o.node.records[0]).encode(),
        400,
        "proof-not-checkin",
    ),
    ("another NIP's record", lambda o, me, other: _record(o, other["nip"]), 403, "proof-other-nip"),
    (
        "another day's record",
        lambda o, me, other: _record(o, me["nip"], day=8),
        400,
        "proof-other-day",
    ),
    (
        "too large",
        lambda o, me, other: b" " * 17000 + _record(o, me["nip"]),
        413,
        "proof-too-large",
    ),
]


@pytest.mark.parametrize(
    ("what", "make", "status", "code"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS]
)
def test_bad_upload_is_refused_and_nothing_is_stored(
    app: Flask,
    store: SqliteStore,
    people: Any,
    office: Office,
    what: str,
    make: Any,
    status: int,
    code: str,
) -> None:
    me, other = people[1], people[2]
    r = file_objection(employee_client(app, me), make(office, me, other))
    assert r.status_code == status, (what, r.get_data(as_text=True)[:300])
    assert "Unduh bukti" in r.get_data(as_text=True) or code != "proof-not-record"
    assert store.objections() == []


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"date": "2026-10-32", "reason": "alasan cukup"}, 400),
        ({"date": "2030-01-01", "reason": "alasan cukup"}, 400),
        ({"date": DAY, "reason": "x"}, 400),
        ({"date": DAY, "reason": "a" * 501}, 400),
        ({"date": DAY}, 400),
    ],
)
def test_bad_objection_form_is_refused(
    app: Flask, store: SqliteStore, people: Any, office: Office, data: dict[str, str], status: int
) -> None:
    c = employee_client(app, people[1])
    r = c.post("/saya/keberatan", data={**data, "csrf": csrf_of(c, "/saya")})
    assert r.status_code == status
    assert (
        c.post("/saya/keberatan", data={"date": DAY, "reason": "alasan cukup"}).status_code == 403
    )  # no CSRF token
    assert store.objections() == []


def test_at_most_three_objections_per_day(
    app: Flask, store: SqliteStore, people: Any, office: Office
) -> None:
    c = employee_client(app, people[1])
    assert [file_objection(c, None).status_code for _ in range(4)] == [303, 303, 303, 429]
    assert len(store.objections()) == 3
    assert file_objection(c, None, day="2026-10-07").status_code == 303


# --- who may see and decide -----------------------------------------------------------------


@pytest.fixture
def two_units(app: Flask, store: SqliteStore, people: Any, office: Office) -> list[int]:
    """One objection without a file from an employee of each of two units."""
    for person in (people[1], people[2]):
        assert file_objection(employee_client(app, person), None).status_code == 303
    return [o.id for o in sorted(store.objections(), key=lambda o: o.unit)]


def test_unit_limited_official_cannot_see_or_decide_another_units_objection_api(
    client: FlaskClient, store: SqliteStore, clock: Clock, people: Any, two_units: list[int]
) -> None:
    mine, theirs = people[1], people[2]
    ids = {o.unit: o.id for o in store.objections()}
    token = admin(store, clock, "admin.pemerintahan", units=[mine["unit"]])
    auth = {"Authorization": f"Bearer {token}"}
    listed = body_json(client.get("/api/v1/objections?state=all", headers=auth))
    assert [o["nip"] for o in listed["objections"]] == [mine["nip"]]
    other_id = ids[theirs["unit"]]
    assert client.get(f"/api/v1/objections/{other_id}", headers=auth).status_code == 404
    r = decide(client, token, other_id, "accept")
    assert r.status_code == 404 and body_json(r)["error"] == "unknown-objection"
    assert store.objection(other_id).decision is None  # type: ignore[union-attr]
    viewer = create_api_token(store, "viewer", now=clock.now)
    assert (
        client.get("/api/v1/objections", headers={"Authorization": f"Bearer {viewer}"}).status_code
        == 403
    )


def test_unit_limited_approver_page_shows_and_decides_only_their_unit(
    app: Flask, store: SqliteStore, clock: Clock, people: Any, two_units: list[int]
) -> None:
    mine, theirs = people[1], people[2]
    ids = {o.unit: o.id for o in store.objections()}
    make_official(store, "penyetuju.pem", "approver", clock.now, units=[mine["unit"]])
    c = app.test_client()
    assert sign_in(c, "penyetuju.pem").status_code == 303
    text = c.get("/dashboard/keberatan").get_data(as_text=True)
    assert mine["nip"] in text and theirs["nip"] not in text
    csrf = csrf_of(c, "/dashboard/keberatan")
    r = c.post(
        f"/dashboard/keberatan/{ids[theirs['unit']]}/reject",
        data={"reason": "bukan unit saya", "csrf": csrf},
    )
    assert r.status_code == 404
    r = c.post(
        f"/dashboard/keberatan/{ids[mine['unit']]}/reject",
        data={"reason": "tidak ada bukti", "csrf": csrf},
    )
    assert r.status_code == 303
    assert store.objection(ids[mine["unit"]]).decision == "reject"  # type: ignore[union-attr]
    # A viewer has no queue at all.
    make_official(store, "pemantau", "viewer", clock.now)
    v = app.test_client()
    sign_in(v, "pemantau")
    assert v.get("/dashboard/keberatan").status_code == 403


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/api/v1/objections/{id}/approve", {"reason": "ok ok"}, 400, "bad-action"),
        ("/api/v1/objections/{id}/accept", {}, 400, "bad-reason"),
        ("/api/v1/objections/{id}/accept", {"reason": 5}, 400, "bad-reason"),
        ("/api/v1/objections/999999/accept", {"reason": "ok ok"}, 404, "unknown-objection"),
        ("/api/v1/objections?state=maybe", None, 400, "bad-state"),
        ("/api/v1/objections?month=2026-13", None, 400, "bad-month"),
    ],
)
def test_api_bad_input_gets_clear_json_4xx(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    two_units: list[int],
    path: str,
    body: Any,
    status: int,
    code: str,
) -> None:
    auth = {"Authorization": f"Bearer {admin(store, clock)}"}
    url = path.format(id=two_units[0])
    r = client.get(url, headers=auth) if body is None else client.post(url, json=body, headers=auth)
    assert (r.status_code, body_json(r)["error"]) == (status, code)
    r = client.post(f"/api/v1/objections/{two_units[0]}/accept", data="reason=x", headers=auth)
    assert r.status_code == 415
    assert all(o.decision is None for o in store.objections())


def test_decided_once_and_not_in_a_closed_month(
    client: FlaskClient, store: SqliteStore, clock: Clock, two_units: list[int]
) -> None:
    token = admin(store, clock)
    assert decide(client, token, two_units[0], "reject").status_code == 200
    r = decide(client, token, two_units[0], "accept")
    assert (r.status_code, body_json(r)["error"]) == (409, "already-decided")
    close_month(store, MONTH, "admin.pusat", clock.now)
    r = decide(client, token, two_units[1], "accept")
    assert (r.status_code, body_json(r)["error"]) == (409, "month-closed")
    assert store.objection(two_units[1]).decision is None  # type: ignore[union-attr]


# --- the sign-in lockout under concurrent guesses --------------------------------------------


def test_concurrent_pin_guesses_get_exactly_five_checks(
    app: Flask, store: SqliteStore, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import central.employee_auth as employee_auth
    from sync.pins import verify_pin as real

    checks: Counter[str] = Counter()
    lock = threading.Lock()

    def counted(pin: str, stored: str) -> bool:
        with lock:
            checks["pin"] += 1
        return real(pin, stored)

    monkeypatch.setattr(employee_auth, "verify_pin", counted)
    me = people[1]
    guessers = 16
    clients, tokens = [], []
    for _ in range(guessers):
        c = app.test_client()
        tokens.append(CSRF_RE.search(c.get("/saya/masuk").get_data(as_text=True)).group(1))  # type: ignore[union-attr]
        clients.append(c)
    barrier = threading.Barrier(guessers)
    results: Counter[int] = Counter()

    def guess(i: int) -> None:
        barrier.wait()
        r = clients[i].post(
            "/saya/masuk", data={"nip": me["nip"], "pin": f"{i:06d}", "csrf": tokens[i]}
        )
        with lock:
            results[r.status_code] += 1

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(guessers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert checks["pin"] == 5 and results == Counter({401: 5, 429: guessers - 5}), results
    # Locked: the right PIN is refused too, without a check.
    c = app.test_client()
    csrf = CSRF_RE.search(c.get("/saya/masuk").get_data(as_text=True)).group(1)  # type: ignore
    r = c.post("/saya/masuk", data={"nip": me["nip"], "pin": me["pin"], "csrf": csrf})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 14 * 60
    assert checks["pin"] == 5
