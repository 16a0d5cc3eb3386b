"""Alerts cannot be buried: paged and filtered lists (API and page), open until an admin
acknowledges them with a reason (audited), open counts per kind on the dashboard, and lists
that are cut say so (issue 13 item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central.auth import create_api_token
from central.store.sqlite import SqliteStore

from .conftest import Clock, FakeNode
from .officials import make_official, post_form, sign_in


def _bury(client: FlaskClient, node: FakeNode) -> None:
    """Ten invalid batches, each tampered at another seq (ten different alerts)."""
    for i in range(12):
        node.checkin(f"1985010120100110{i:02d}")
    originals = list(node.records)
    for seq in range(2, 12):
        edited = dict(originals[seq])
        edited["body"] = dict(edited["body"], kind="out")
        node.records[seq] = edited
        assert node.push(client, 0, seq + 1).status_code == 422
        node.records[seq] = originals[seq]


def test_ten_invalid_batches_do_not_bury_the_enrollment_alert(
    client: FlaskClient, node: FakeNode, store: SqliteStore, viewer_token: str
) -> None:
    _bury(client, node)
    auth = {"Authorization": f"Bearer {viewer_token}"}
    r = client.get("/api/v1/alerts?per_page=5", headers=auth).get_json()
    assert r["total"] == 11 and len(r["alerts"]) == 5 and r["has_more"]
    assert r["open_by_kind"] == {"enrolled": 1, "invalid-signature": 10}
    last = client.get("/api/v1/alerts?per_page=5&page=3", headers=auth).get_json()
    assert [a["kind"] for a in last["alerts"]] == ["enrolled"] and not last["has_more"]
    only = client.get("/api/v1/alerts?kind=enrolled&node=kec-alalak", headers=auth).get_json()
    assert only["total"] == 1 and only["alerts"][0]["open"]
    assert client.get("/api/v1/alerts?node=kec-lain", headers=auth).get_json()["total"] == 0
    nodes = client.get("/api/v1/nodes", headers=auth).get_json()["nodes"]
    assert nodes[0]["open_alerts"] == 11


def test_admin_acknowledges_with_a_reason_and_it_is_audited(
    client: FlaskClient, node: FakeNode, store: SqliteStore, viewer_token: str, admin_token: str
) -> None:
    (alert,) = client.get(
        "/api/v1/alerts", headers={"Authorization": f"Bearer {viewer_token}"}
    ).get_json()["alerts"]
    path = f"/api/v1/alerts/{alert['id']}/acknowledge"
    r = client.post(path, json={"reason": "x"}, headers={"Authorization": f"Bearer {viewer_token}"})
    assert r.status_code == 403
    r = client.post(path, json={}, headers={"Authorization": f"Bearer {admin_token}"})
    assert r.status_code == 400 and r.get_json()["error"] == "bad-reason"
    assert store.alert_page(node=None, kind=None, state="open", offset=0, limit=5)[1] == 1
    r = client.post(
        path,
        json={"reason": "pendaftaran node baru, sesuai jadwal"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert r.status_code == 200 and r.get_json()["acknowledged_by"] == "mesin-api"
    r = client.post(
        path, json={"reason": "lagi"}, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert r.status_code == 409 and r.get_json()["error"] == "already-acknowledged"
    listing = client.get(
        "/api/v1/alerts?state=all", headers={"Authorization": f"Bearer {viewer_token}"}
    ).get_json()
    (done,) = listing["alerts"]
    assert not done["open"] and done["reason"] == "pendaftaran node baru, sesuai jadwal"
    assert listing["open_by_kind"] == {}
    (entry,), total = store.audit_page(0, 10)
    assert (entry.actor, entry.action, entry.target, total) == (
        "mesin-api",
        "alert-ack",
        f"alert {alert['id']}",
        1,
    )


def test_a_repeat_of_an_acknowledged_alert_is_open_again(store: SqliteStore, clock: Clock) -> None:
    from central.audit import audit_entry

    store.add_alert("kec-alalak", "fork", "seq 5: two histories", clock.now)
    store.add_alert("kec-alalak", "fork", "seq 5: two histories", clock.now)  # a retry
    (alert,), _ = store.alert_page(node=None, kind=None, state="open", offset=0, limit=5)
    assert alert.repeats == 2
    store.acknowledge_alert(alert.id, audit_entry("budi", "alert-ack", "x", "dicek", clock.now))
    store.add_alert("kec-alalak", "fork", "seq 5: two histories", clock.now)
    (again,), _ = store.alert_page(node=None, kind=None, state="open", offset=0, limit=5)
    assert again.id != alert.id and again.repeats == 1


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("page=0", "bad-page"),
        ("page=-1", "bad-page"),
        ("page=abc", "bad-page"),
        ("page=99999999", "bad-page"),
        ("per_page=0", "bad-per_page"),
        ("per_page=201", "bad-per_page"),
        ("per_page=1.5", "bad-per_page"),
        ("state=closed", "bad-state"),
        ("kind=DROP%20TABLE", "bad-kind"),
        ("kind=" + "a" * 61, "bad-kind"),
        ("node=../x", "bad-node"),
        ("node=KEC", "bad-node"),
        ("page=%EF%BC%91", "bad-page"),
    ],
)
def test_bad_alert_filters_are_400(
    client: FlaskClient, viewer_token: str, query: str, code: str
) -> None:
    r = client.get(f"/api/v1/alerts?{query}", headers={"Authorization": f"Bearer {viewer_token}"})
    assert r.status_code == 400 and r.get_json()["error"] == code


@pytest.mark.parametrize(
    "body",
    [
        None,
        "not json",
        [],
        {"reason": 5},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "x" * 501},
        {"reason": "a\u0000b"},
    ],
)
def test_bad_acknowledgements_are_4xx_and_change_nothing(
    client: FlaskClient, node: FakeNode, store: SqliteStore, admin_token: str, body: object
) -> None:
    (alert,), _ = store.alert_page(node=None, kind=None, state="open", offset=0, limit=5)
    headers = {"Authorization": f"Bearer {admin_token}"}
    if isinstance(body, str) or body is None:
        r = client.post(
            f"/api/v1/alerts/{alert.id}/acknowledge",
            data=body or "",
            headers=headers,
            content_type="application/json",
        )
    else:
        r = client.post(f"/api/v1/alerts/{alert.id}/acknowledge", json=body, headers=headers)
    assert 400 <= r.status_code < 500 and "error" in r.get_json()
    assert store.alert_page(node=None, kind=None, state="open", offset=0, limit=5)[1] == 1
    assert store.audit_page(0, 5)[1] == 0


@pytest.mark.parametrize("alert_id", ["999", str(2**63), str(10**30)])
def test_unknown_alert_is_404(client: FlaskClient, admin_token: str, alert_id: str) -> None:
    r = client.post(
        f"/api/v1/alerts/{alert_id}/acknowledge",
        json={"reason": "x"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert r.status_code == 404 and r.get_json()["error"] == "unknown-alert"


def test_alerts_page_counts_filters_and_acknowledges(
    app, client: FlaskClient, node: FakeNode, store: SqliteStore, clock: Clock
) -> None:
    _bury(client, node)
    make_official(store, "admin1", "admin", clock.now)
    make_official(store, "budi", "viewer", clock.now)
    viewer = app.test_client()
    sign_in(viewer, "budi")
    page = viewer.get("/dashboard").get_data(as_text=True)
    assert "node terdaftar</a>: <strong>1</strong>" in page
    assert "tanda tangan tidak sah</a>: <strong>10</strong>" in page
    listing = viewer.get("/dashboard/peringatan?kind=enrolled").get_data(as_text=True)
    assert "Menampilkan 1-1 dari 1 peringatan" in listing
    assert "Tandai sudah ditindaklanjuti" not in listing  # viewers cannot
    paged = viewer.get("/dashboard/peringatan").get_data(as_text=True)
    assert "Menampilkan 1-11 dari 11" in paged
    bad = viewer.get("/dashboard/peringatan?page=0")
    assert bad.status_code == 400 and "nomor halaman" in bad.get_data(as_text=True)
    (enrolled,), _ = store.alert_page(node=None, kind="enrolled", state="open", offset=0, limit=1)
    r = post_form(viewer, f"/dashboard/peringatan/{enrolled.id}/tindak", {"reason": "x"})
    assert r.status_code == 403
    admin = app.test_client()
    sign_in(admin, "admin1")
    r = post_form(
        admin,
        f"/dashboard/peringatan/{enrolled.id}/tindak",
        {"reason": "node baru kec-alalak, dicek", "back": "?kind=enrolled"},
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("?kind=enrolled")
    done = admin.get("/dashboard/peringatan?state=acknowledged").get_data(as_text=True)
    assert "Ditindaklanjuti oleh admin1" in done and "node baru kec-alalak, dicek" in done
    assert (
        "node terdaftar" not in admin.get("/dashboard").get_data(as_text=True).split("Ringkasan")[0]
    )
    audit = admin.get("/dashboard/audit").get_data(as_text=True)
    assert "peringatan ditindaklanjuti" in audit and "node baru kec-alalak, dicek" in audit


def test_the_dashboard_says_when_a_list_is_cut(
    client: FlaskClient, node: FakeNode, store: SqliteStore, clock: Clock, tmp_path: Path
) -> None:
    from central.identity import load_identity
    from central.roster import import_roster
    from sync.demo_roster import make_roster, roster_csv

    people = make_roster(130)
    svc = client.application.extensions["presensi_central"]
    import_roster(
        store,
        load_identity(svc.paths, store),
        roster_csv(people),
        slips=tmp_path / "slips.csv",
        now=clock.now,
    )
    heads = {p["unit"]: p["nip"] for p in people if p["role"] == "head"}
    staff = [p for p in people if p["role"] != "head" and p["unit"] in heads]
    assert len(staff) > 100
    for person in staff:  # each unit head's manual list at the morning assembly
        node.checkin(
            person["nip"], method="manual", witness=heads[person["unit"]], reason="apel di lapangan"
        )
    assert node.push(client).status_code == 200
    make_official(store, "budi", "admin", clock.now)
    sign_in(client, "budi")
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="vouched-cut"' in page
    assert f"Menampilkan 100 dari {len(staff)} baris" in page
    assert page.count("daftar manual kepala unit") == 100
    token = create_api_token(store, "viewer", now=clock.now)
    day = page.split('id="day">')[1][:10]
    api = client.get(
        f"/api/v1/attendance?date={day}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert sum(len(r["records"]) for r in api["employees"]) == len(staff)


@pytest.mark.parametrize(
    "back",
    [
        "?x\r\nSet-Cookie: a=b",
        "//evil.example",
        "https://evil.example",
        "?a=\u00e9",
        "?" + "a" * 400,
        "?a\\b",
    ],
)
def test_acknowledge_never_redirects_elsewhere(
    app, node: FakeNode, store: SqliteStore, clock: Clock, back: str
) -> None:
    make_official(store, "admin1", "admin", clock.now)
    admin = app.test_client()
    sign_in(admin, "admin1")
    (alert,), _ = store.alert_page(node=None, kind=None, state="open", offset=0, limit=1)
    r = post_form(
        admin, f"/dashboard/peringatan/{alert.id}/tindak", {"reason": "dicek", "back": back}
    )
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/peringatan"
