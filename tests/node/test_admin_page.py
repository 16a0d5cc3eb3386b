"""The local admin's page at /admin (issue 18, item 1): password, session, CSRF, lockout,
PIN reset and device sign-out as ``admin`` records, backup, poster and cards."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from local_node import create_app
from local_node.datadir import NodePaths
from testkit.factories import REPO, NodeProcess, run_cli

PASSWORD = "kantor-alalak-2026"


def set_password(paths: NodePaths, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local_node", "admin", "set-password", "--data", str(paths.root)],
        input=text,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def _new_pin(html: str) -> str:
    """The PIN a reset page shows once."""
    found = re.search(r'id="new-pin">(\d{6})<', html)
    assert found is not None
    return found.group(1)


def admin_records(paths: NodePaths) -> list[dict[str, Any]]:
    out = run_cli("local_node", "export", "--data", str(paths.root)).stdout
    return [r for r in map(json.loads, out.splitlines()) if r["type"] == "admin"]


@pytest.fixture
def admin_app(node_paths: NodePaths, roster: list[dict[str, str]]) -> Iterator[Flask]:
    done = set_password(node_paths, f"{PASSWORD}\n{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    app = create_app({"DATA_DIR": str(node_paths.root), "TESTING": True})
    yield app
    app.extensions["presensi_node"].close()


@pytest.fixture
def admin(admin_app: Flask) -> FlaskClient:
    client = admin_app.test_client()
    r = client.post("/admin/masuk", data={"password": PASSWORD})
    assert r.status_code == 303, r.data
    return client


def csrf_of(client: FlaskClient) -> str:
    html = client.get("/admin").get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def error_of(html: str) -> str:
    found = re.search(r'id="error"[^>]*>([^<]+)<', html)
    return found.group(1) if found else ""


def test_set_password_reads_two_lines_and_records_it(node_paths: NodePaths) -> None:
    assert set_password(node_paths, "abcdefghijk\nabcdefghijk\n").returncode == 0
    records = admin_records(node_paths)
    assert [r["body"] for r in records] == [{"action": "admin-password-set", "by": "cli"}]
    # The hash is stored, never the password.
    db = sqlite3.connect(node_paths.db)
    stored = db.execute("SELECT value FROM meta WHERE key = 'admin_password'").fetchone()[0]
    assert stored.startswith("scrypt$") and "abcdefghijk" not in stored


@pytest.mark.parametrize(
    "text, says",
    [
        ("abcdefghijk\nabcdefghijX\n", "differ"),
        ("short\nshort\n", "at least 10"),
        ("", "no password"),
    ],
)
def test_set_password_refuses_mismatch_or_weak(node_paths: NodePaths, text: str, says: str) -> None:
    done = set_password(node_paths, text)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert admin_records(node_paths) == []


def test_page_without_password_says_how_to_set_it(app: Flask) -> None:
    r = app.test_client().get("/admin")
    assert r.status_code == 200
    assert "presensi-node admin set-password" in r.get_data(as_text=True)
    r = app.test_client().post("/admin/masuk", data={"password": "whatever-long"})
    assert r.status_code == 409


def test_sign_in_sets_a_strict_cookie_and_shows_health(admin_app: Flask) -> None:
    client = admin_app.test_client()
    r = client.post("/admin/masuk", data={"password": "wrong-password-1"})
    assert r.status_code == 401 and error_of(r.get_data(as_text=True)) == "Kata sandi salah."
    r = client.post("/admin/masuk", data={"password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    page = client.get("/admin")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    for label in (
        "Ruang disk",
        "Basis data",
        "Selisih jam",
        "Kirim terakhir",
        "Belum terkirim",
        "Tanda terima",
        "Roster",
        "Zeroconf",
        "Penulis log",
        "Presensi hari ini",
    ):
        assert label in html
    assert "20 pegawai" in html


def test_today_by_unit_lists_checkins_with_method(admin: FlaskClient, app_people: Any) -> None:
    client, people = app_people
    token = client.post(
        "/api/v1/session", json={"nip": people[0]["nip"], "pin": people[0]["pin"]}
    ).json["token"]
    r = client.post(
        "/api/v1/checkins", json={"kind": "in"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 201
    html = admin.get("/admin").get_data(as_text=True)
    assert f"{people[0]['unit']}: 1 dari" in html and "app 1" in html
    assert people[0]["name"] in html


@pytest.fixture
def app_people(
    admin_app: Flask, roster: list[dict[str, str]]
) -> tuple[FlaskClient, list[dict[str, str]]]:
    return admin_app.test_client(), roster


def test_pin_reset_shows_a_new_pin_once_ends_sessions_and_is_an_admin_record(
    admin: FlaskClient, app_people: Any, node_paths: NodePaths
) -> None:
    staff, people = app_people
    person = people[1]
    token = staff.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]}).json[
        "token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    assert staff.get("/api/v1/checkins/today", headers=auth).status_code == 200
    r = admin.post(
        "/admin/reset-pin",
        data={"nip": person["nip"], "reason": "lupa PIN", "csrf": csrf_of(admin)},
    )
    assert r.status_code == 303  # post, redirect, get: a reload never resets the PIN again
    r = admin.get("/admin")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    new_pin = _new_pin(html)
    # The session is gone, the old PIN no longer works, the new one does.
    assert staff.get("/api/v1/checkins/today", headers=auth).status_code == 401
    assert (
        staff.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]}).status_code
        == 401
    )
    assert (
        staff.post("/api/v1/session", json={"nip": person["nip"], "pin": new_pin}).status_code
        == 201
    )
    # Shown once: the page that follows does not show it again.
    assert new_pin not in admin.get("/admin").get_data(as_text=True)
    body = admin_records(node_paths)[-1]["body"]
    assert body["action"] == "pin-reset" and body["nip"] == person["nip"]
    assert body["reason"] == "lupa PIN" and body["by"] == "admin@127.0.0.1"
    assert body["sessions_ended"] == 1 and new_pin not in json.dumps(body)


def test_device_sign_out_ends_every_session_of_the_employee(
    admin: FlaskClient, app_people: Any, node_paths: NodePaths
) -> None:
    staff, people = app_people
    person = people[2]
    tokens = [
        staff.post("/api/v1/session", json={"nip": person["nip"], "pin": person["pin"]}).json[
            "token"
        ]
        for _ in range(2)
    ]
    r = admin.post(
        "/admin/keluarkan-perangkat",
        data={"nip": person["nip"], "reason": "HP hilang", "csrf": csrf_of(admin)},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "2 sesi perangkat" in r.get_data(as_text=True)
    for token in tokens:
        assert (
            staff.get(
                "/api/v1/checkins/today", headers={"Authorization": f"Bearer {token}"}
            ).status_code
            == 401
        )
    body = admin_records(node_paths)[-1]["body"]
    assert body["action"] == "device-sign-out" and body["sessions_ended"] == 2
    assert body["reason"] == "HP hilang"


@pytest.mark.parametrize(
    "path, form, status, says",
    [
        ("/admin/reset-pin", {"nip": "123", "reason": "lupa"}, 400, "NIP harus 18 angka"),
        (
            "/admin/reset-pin",
            {"nip": "199912312020121999", "reason": "lupa"},
            404,
            "Tidak ada pegawai",
        ),
        ("/admin/reset-pin", {"nip": "PERSON", "reason": ""}, 400, "Tulis alasannya"),
        ("/admin/reset-pin", {"nip": "PERSON", "reason": "a\nb"}, 400, "Tulis alasannya"),
        ("/admin/keluarkan-perangkat", {"nip": "PERSON"}, 400, "Tulis alasannya"),
        ("/admin/keluarkan-perangkat", {"nip": "", "reason": "hilang"}, 400, "NIP harus"),
    ],
)
def test_bad_admin_forms_are_4xx_and_record_nothing(
    admin: FlaskClient,
    app_people: Any,
    node_paths: NodePaths,
    path: str,
    form: dict[str, str],
    status: int,
    says: str,
) -> None:
    _, people = app_people
    form = {k: people[3]["nip"] if v == "PERSON" else v for k, v in form.items()}
    before = len(admin_records(node_paths))
    r = admin.post(path, data={**form, "csrf": csrf_of(admin)})
    assert r.status_code == status
    assert says in error_of(r.get_data(as_text=True))
    assert len(admin_records(node_paths)) == before


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
def test_forms_without_the_csrf_token_are_refused(
    admin: FlaskClient, app_people: Any, node_paths: NodePaths, csrf: str | None
) -> None:
    _, people = app_people
    form = {"nip": people[4]["nip"], "reason": "lupa PIN"}
    if csrf is not None:
        form["csrf"] = csrf
    before = len(admin_records(node_paths))
    assert admin.post("/admin/reset-pin", data=form).status_code == 403
    assert admin.post("/admin/kiosk-baru", data=form).status_code == 403
    assert len(admin_records(node_paths)) == before


@pytest.mark.parametrize("path", ["/admin/cadangan", "/admin/poster.pdf", "/admin/kartu.pdf"])
def test_downloads_need_a_session(admin_app: Flask, path: str) -> None:
    r = admin_app.test_client().get(path)
    assert r.status_code == 303 and r.headers["Location"].endswith("/admin")


def test_sign_out_ends_the_server_side_session(admin: FlaskClient) -> None:
    cookie = admin.get_cookie("presensi_admin", path="/admin")
    assert cookie is not None
    assert admin.post("/admin/keluar", data={"csrf": csrf_of(admin)}).status_code == 303
    # Replaying the old cookie does not bring the session back.
    admin.set_cookie("presensi_admin", cookie.value, path="/admin")
    assert "Masuk sebagai admin" in admin.get("/admin").get_data(as_text=True)


def test_backup_download_is_a_consistent_copy(
    admin: FlaskClient, node_paths: NodePaths, tmp_path: Path
) -> None:
    r = admin.get("/admin/cadangan")
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"]
    copy = tmp_path / "copy.db"
    copy.write_bytes(r.data)
    head = sqlite3.connect(copy).execute("SELECT max(seq) FROM log").fetchone()[0]
    assert head == sqlite3.connect(node_paths.db).execute("SELECT max(seq) FROM log").fetchone()[0]
    assert not [p for p in node_paths.root.iterdir() if p.name.startswith("presensi-backup")]


def test_kiosk_address_and_rotation_from_the_page(
    admin: FlaskClient, node_paths: NodePaths
) -> None:
    r = admin.post("/admin/kiosk-baru", data={"csrf": csrf_of(admin)}, follow_redirects=True)
    first = re.search(r'id="kiosk-url">([^<]+)<', r.get_data(as_text=True))
    assert first and "/kiosk#t=" in first.group(1)
    r = admin.post("/admin/kiosk-baru", data={"csrf": csrf_of(admin)}, follow_redirects=True)
    second = re.search(r'id="kiosk-url">([^<]+)<', r.get_data(as_text=True))
    assert second and second.group(1) != first.group(1)
    actions = [rec["body"]["action"] for rec in admin_records(node_paths)]
    assert actions.count("kiosk-key") == 2


def test_pin_reset_survives_a_roster_with_the_same_pin_and_yields_to_a_new_one(
    admin: FlaskClient, admin_app: Flask, app_people: Any
) -> None:
    """The office-local override (docs/security.md): a roster install that carries the
    employee's old hash keeps the reset PIN; one that carries a new hash replaces it."""
    from local_node import roster
    from sync.pins import hash_pin

    staff, people = app_people
    person = people[5]
    svc = admin_app.extensions["presensi_node"]
    before = {e.nip: e for e in (roster.find(svc.store, p["nip"]) for p in people) if e}
    r = admin.post(
        "/admin/reset-pin",
        data={"nip": person["nip"], "reason": "lupa PIN", "csrf": csrf_of(admin)},
        follow_redirects=True,
    )
    new_pin = _new_pin(r.get_data(as_text=True))
    # Central's next roster: the same hashes as before the reset (central did not change it).
    roster.install(
        svc.writer,
        list(before.values()),
        {"version": 7, "source": "central", "sha256": "0" * 64, "count": 20},
    )
    assert (
        staff.post("/api/v1/session", json={"nip": person["nip"], "pin": new_pin}).status_code
        == 201
    )
    # Central issues a new PIN for the employee: that one wins, the override ends.
    changed = [
        e
        if e.nip != person["nip"]
        else roster.Employee(e.nip, e.name, e.unit, e.role, hash_pin("111222"))
        for e in before.values()
    ]
    roster.install(
        svc.writer, changed, {"version": 8, "source": "central", "sha256": "1" * 64, "count": 20}
    )
    assert (
        staff.post("/api/v1/session", json={"nip": person["nip"], "pin": new_pin}).status_code
        == 401
    )
    assert (
        staff.post("/api/v1/session", json={"nip": person["nip"], "pin": "111222"}).status_code
        == 201
    )


@pytest.fixture
def served_admin(node_paths: NodePaths, roster: list[dict[str, str]]) -> Iterator[NodeProcess]:
    assert set_password(node_paths, f"{PASSWORD}\n{PASSWORD}\n").returncode == 0
    node = NodeProcess(node_paths).start()
    yield node
    node.stop()


def test_lockout_holds_under_concurrent_guesses(served_admin: NodeProcess) -> None:
    """Twenty guesses at once from one address: only five reach the password hash."""
    url = served_admin.url + "/admin/masuk"

    def guess(i: int) -> int:
        return requests.post(
            url, data={"password": f"guess-number-{i:04d}"}, allow_redirects=False, timeout=60
        ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(guess, range(20)))
    assert sorted(codes) == [401] * 5 + [429] * 15
    # Locked now, even for the right password, and the page says for how long.
    r = requests.post(url, data={"password": PASSWORD}, allow_redirects=False, timeout=30)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 800
    assert "Terlalu banyak kata sandi salah" in r.text
