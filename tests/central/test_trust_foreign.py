"""A node vouching for another office's employee: the check-in is kept (signed evidence), shown
as ``foreign-node``, not counted and alerted, until an official accepts it (CLI or admin API),
which is recorded with who, when, how and why in a table of its own."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from central.auth import create_api_token
from central.datadir import CentralPaths
from central.store.sqlite import SqliteStore
from testkit.factories import run_cli

from .conftest import Clock, FakeNode, enroll
from .officials import make_official
from .trustkit import at, install, nip, person

DAY = "2026-10-06"
HOME, AWAY = nip(10), nip(20)


@pytest.fixture
def pushed(
    app: Flask, client: FlaskClient, node: FakeNode, store: SqliteStore, clock: Clock
) -> dict[str, dict]:
    """kec-alalak signs check-ins for its own employee and for two of kec-cerbon's."""
    install(
        app,
        [
            person(10, "Seksi Pemerintahan", "kec-alalak"),
            person(20, "Kelurahan Berangas", "kec-cerbon"),
            person(21, "Kelurahan Berangas", "kec-cerbon"),
        ],
        clock.now,
    )
    enroll(client, store, clock, "kec-cerbon")
    clock.now = at(DAY, "07:00")
    assert node.push(client).status_code == 200
    recs = {
        "home": node.checkin(HOME, ts=at(DAY, "07:05")),
        "away": node.checkin(AWAY, ts=at(DAY, "07:06")),
        "away2": node.checkin(nip(21), ts=at(DAY, "07:07")),
    }
    clock.now = at(DAY, "07:08")
    assert node.push(client, 1).status_code == 200
    return recs


def _ref(node: FakeNode, rec: dict) -> str:
    return f"kec-alalak/{node.epoch}/{rec['seq']}"


def _rows(client: FlaskClient, token: str) -> dict[str, dict]:
    r = client.get(f"/api/v1/attendance?date={DAY}", headers={"Authorization": f"Bearer {token}"})
    return {row["nip"]: row for row in r.get_json()["employees"]}


def test_foreign_check_in_is_kept_flagged_and_alerted(
    client: FlaskClient, node: FakeNode, store: SqliteStore, pushed: dict, viewer_token: str
) -> None:
    rows = _rows(client, viewer_token)
    assert rows[HOME]["first_in"] is not None and rows[HOME]["records"][0]["counted"]
    (ref,) = rows[AWAY]["records"]
    assert (ref["status"], ref["counted"]) == ("foreign-node", False)
    assert rows[AWAY]["first_in"] is None and rows[AWAY]["excluded"] == 1
    (alert,) = [a for a in store.alerts("kec-alalak") if a.kind == "foreign-node"]
    assert "2 check-in(s)" in alert.message and str(pushed["away"]["seq"]) in alert.message


def test_an_admin_accepts_it_through_the_api(
    client: FlaskClient,
    node: FakeNode,
    store: SqliteStore,
    pushed: dict,
    clock: Clock,
    viewer_token: str,
    admin_token: str,
    central_sql: Callable[[str], None],
) -> None:
    ref = _ref(node, pushed["away"])
    body = {"ref": ref, "by": "Drs. Rahman (BKPSDM)", "reason": "SPT 090/123 dinas luar"}
    r = client.post(
        "/api/v1/records/accept", json=body, headers={"Authorization": f"Bearer {viewer_token}"}
    )
    assert r.status_code == 403 and store.acceptances() == []
    r = client.post(
        "/api/v1/records/accept", json=body, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    got = r.get_json()
    # Who accepted is the token's account, whatever the body's "by" says; audited too.
    assert (got["ref"], got["status"], got["accepted_by"], got["reason"]) == (
        ref,
        "foreign-node",
        "mesin-api",
        "SPT 090/123 dinas luar",
    )
    assert got["via"].startswith("api:admin:")
    (entry,) = [e for e in store.audit_page(0, 50)[0] if e.action == "record-accept"]
    assert (entry.actor, entry.target, entry.reason) == ("mesin-api", ref, "SPT 090/123 dinas luar")
    row = _rows(client, viewer_token)[AWAY]
    assert row["records"][0]["status"] == "accepted" and row["records"][0]["counted"]
    assert row["first_in"] == "2026-10-06T07:06:00.000+08:00"
    # Only this one: the other foreign check-in stays set aside.
    assert not _rows(client, viewer_token)[nip(21)]["records"][0]["counted"]
    listed = client.get(
        "/api/v1/acceptances", headers={"Authorization": f"Bearer {viewer_token}"}
    ).get_json()
    assert [a["ref"] for a in listed["acceptances"]] == [ref]
    again = client.post(
        "/api/v1/records/accept", json=body, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert again.status_code == 409 and again.get_json()["error"] == "already-accepted"
    # The acceptance is history: it cannot be edited or removed.
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.RaiseException)):
        central_sql("DELETE FROM record_acceptances")
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.RaiseException)):
        central_sql("UPDATE record_acceptances SET accepted_by = 'x'")


def test_a_unit_limited_admin_accepts_only_its_units_check_ins(
    client: FlaskClient, node: FakeNode, store: SqliteStore, pushed: dict, clock: Clock
) -> None:
    away_unit = store.employee_units()[AWAY]
    make_official(store, "kasi", "admin", clock.now, units=[away_unit + " lain"])
    token = create_api_token(store, "admin", now=clock.now, account="kasi")
    body = {"ref": _ref(node, pushed["away"]), "reason": "SPT 090/123 dinas luar"}
    r = client.post(
        "/api/v1/records/accept", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert (r.status_code, r.get_json()["error"]) == (403, "forbidden-unit")
    assert store.acceptances() == []


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"ref": "kec-alalak/zz/1"}, 400, "bad-ref"),
        ({"ref": 5}, 400, "bad-ref"),
        ({"ref": "kec-alalak/" + "0" * 32 + "/2"}, 404, "record-unknown"),
        ({"reason": "ok"}, 400, "bad-reason"),
        ({"reason": "a\nb c d"}, 400, "bad-reason"),
        ({"reason": None}, 400, "bad-reason"),
        ({"ref": "HOME"}, 409, "not-acceptable"),
    ],
)
def test_bad_acceptances_are_refused_and_store_nothing(
    change: dict,
    status: int,
    code: str,
    client: FlaskClient,
    node: FakeNode,
    store: SqliteStore,
    pushed: dict,
    admin_token: str,
) -> None:
    body = {"ref": _ref(node, pushed["away"]), "by": "Rahman", "reason": "SPT dinas luar"}
    body.update(change)
    if body["ref"] == "HOME":
        body["ref"] = _ref(node, pushed["home"])
    r = client.post(
        "/api/v1/records/accept", json=body, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert (r.status_code, r.get_json()["error"]) == (status, code)
    assert store.acceptances() == []


def test_an_official_accepts_it_on_the_command_line(
    app: Flask,
    client: FlaskClient,
    node: FakeNode,
    store: SqliteStore,
    central_paths: CentralPaths,
    pushed: dict,
    viewer_token: str,
) -> None:
    ref = _ref(node, pushed["away2"])
    out = run_cli(
        "central",
        "record",
        "accept",
        "--data",
        str(central_paths.root),
        "--ref",
        ref,
        "--by",
        "196501011990031002",
        "--reason",
        "tugas ke kecamatan",
    )
    assert f"Accepted {ref} (foreign-node)" in out.stdout
    (accepted,) = store.acceptances()
    assert (accepted.via, accepted.accepted_by) == ("cli", "196501011990031002")
    (entry,) = [e for e in store.audit_page(0, 50)[0] if e.action == "record-accept"]
    assert (entry.actor, entry.target, entry.reason) == (
        "196501011990031002",
        ref,
        "tugas ke kecamatan",
    )
    assert _rows(client, viewer_token)[nip(21)]["records"][0]["counted"]
    refused = run_cli(
        "central",
        "record",
        "accept",
        "--data",
        str(central_paths.root),
        "--ref",
        _ref(node, pushed["home"]),
        "--by",
        "x",
        "--reason",
        "abc",
        check=False,
    )
    assert refused.returncode == 2 and "only foreign-node, anchor-missing" in refused.stderr
