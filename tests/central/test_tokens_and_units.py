"""API tokens belong to accounts (role capped, units inherited), expire and can be revoked;
an account limited to units sees only those units on the pages and through the API
(issue 13 item 16, issue 16 item 1)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from central.auth import create_api_token, hash_token
from central.store.sqlite import SqliteStore
from central.store.sqlite_schema import MIGRATIONS
from testkit.factories import run_cli

from .conftest import Clock
from .officials import make_official, sign_in
from .test_central_reports import day, people  # noqa: F401 - fixtures

API = "/api/v1/attendance"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_unit_limited_token_sees_only_its_unit(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    day: str,  # noqa: F811
    people: list[dict[str, str]],  # noqa: F811
) -> None:
    mine, other = people[1]["unit"], people[0]["unit"]
    make_official(store, "budi", "viewer", clock.now, units=[mine])
    token = create_api_token(store, "viewer", now=clock.now, account="budi")
    r = client.get(API, query_string={"date": day}, headers=_auth(token))
    assert r.status_code == 200
    assert {row["unit"] for row in r.get_json()["employees"]} == {mine}
    r = client.get(API, query_string={"date": day, "format": "csv"}, headers=_auth(token))
    assert {row["unit"] for row in csv.DictReader(io.StringIO(r.get_data(as_text=True)))} == {mine}
    r = client.get(API, query_string={"date": day, "unit": other}, headers=_auth(token))
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden-unit"
    r = client.get(API, query_string={"date": day, "unit": mine}, headers=_auth(token))
    assert r.status_code == 200 and len(r.get_json()["employees"]) == 1


def test_a_unit_limited_official_sees_only_its_unit_on_the_page(
    client: FlaskClient,
    store: SqliteStore,
    clock: Clock,
    day: str,  # noqa: F811
    people: list[dict[str, str]],  # noqa: F811
) -> None:
    make_official(store, "budi", "viewer", clock.now, units=[people[1]["unit"]])
    sign_in(client, "budi")
    page = client.get(f"/dashboard?date={day}").get_data(as_text=True)
    assert people[1]["name"] in page and people[1]["unit"] in page
    for other in people[:1] + people[2:]:
        assert other["name"] not in page and other["nip"] not in page
        assert other["unit"] not in page


def test_token_role_is_capped_by_its_account(
    client: FlaskClient, store: SqliteStore, clock: Clock
) -> None:
    make_official(store, "budi", "viewer", clock.now)
    make_official(store, "sari", "admin", clock.now)
    with pytest.raises(ValueError, match="cannot be admin"):
        create_api_token(store, "admin", now=clock.now, account="budi")
    with pytest.raises(ValueError, match="no account"):
        create_api_token(store, "viewer", now=clock.now, account="nobody")
    viewer_of_admin = create_api_token(store, "viewer", now=clock.now, account="sari")
    r = client.post("/api/v1/nodes", json={"name": "kec-cerbon"}, headers=_auth(viewer_of_admin))
    assert r.status_code == 403 and store.node("kec-cerbon") is None
    admin = create_api_token(store, "admin", now=clock.now, account="sari")
    r = client.post("/api/v1/nodes", json={"name": "kec-cerbon"}, headers=_auth(admin))
    assert r.status_code == 201


def test_tokens_expire(client: FlaskClient, store: SqliteStore, clock: Clock) -> None:
    token = create_api_token(store, "viewer", now=clock.now, days=1)
    assert client.get("/api/v1/nodes", headers=_auth(token)).status_code == 200
    clock.advance(86400 + 1)
    r = client.get("/api/v1/nodes", headers=_auth(token))
    assert r.status_code == 401 and r.get_json()["error"] == "unauthorized"


def test_default_token_expiry_is_90_days(store: SqliteStore, clock: Clock) -> None:
    token = create_api_token(store, "viewer", now=clock.now)
    row = store.api_token(hash_token(token))
    assert row is not None and row.expires_at == pytest.approx(clock.now + 90 * 86400)
    assert row.account == "mesin-api"


def test_revoked_tokens_get_401(client: FlaskClient, store: SqliteStore, clock: Clock) -> None:
    keep = create_api_token(store, "viewer", now=clock.now)
    gone = create_api_token(store, "admin", now=clock.now)
    assert store.revoke_tokens(hash_token(gone)[:12], clock.now) == [hash_token(gone)]
    assert client.get("/api/v1/nodes", headers=_auth(gone)).status_code == 401
    assert client.get("/api/v1/nodes", headers=_auth(keep)).status_code == 200


def test_tokens_of_a_reset_account_keep_working_but_sessions_end(
    app, store: SqliteStore, clock: Clock
) -> None:
    """A reset is about the password; a machine token is revoked separately (documented)."""
    from central.accounts import reset_password

    make_official(store, "budi", "viewer", clock.now)
    token = create_api_token(store, "viewer", now=clock.now, account="budi")
    browser = app.test_client()
    sign_in(browser, "budi")
    reset_password(store, "budi", actor="cli", reason="uji", now=clock.now, link_hours=1)
    assert browser.get("/dashboard").status_code == 401
    assert app.test_client().get("/api/v1/nodes", headers=_auth(token)).status_code == 200


def test_tokens_made_before_accounts_get_the_machine_account_and_an_expiry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteStore(tmp_path / "central.db")
    monkeypatch.setattr("central.store.sqlite.MIGRATIONS", MIGRATIONS[:1])
    store.migrate()
    store.conn().execute(
        "INSERT INTO api_tokens VALUES (?, 'admin', ?)",
        (hash_token("pct_old"), time.time() - 400 * 86400),
    )
    monkeypatch.setattr("central.store.sqlite.MIGRATIONS", MIGRATIONS)
    applied = store.migrate()
    assert applied.index("002_accounts_and_audit") > applied.index("002_recap_rules")
    row = store.api_token(hash_token("pct_old"))
    assert row is not None and row.account == "mesin-api" and row.revoked_at is None
    assert row.expires_at == pytest.approx(time.time() + 90 * 86400, abs=60)
    store.close()


def test_token_commands(tmp_path: Path) -> None:
    data = str(tmp_path / "central")
    run_cli("central", "init", "--data", data)
    machine = run_cli("central", "token", "create", "--data", data, "--role", "viewer")
    assert machine.stdout.strip().startswith("pct_")  # the Contract form still works
    link = run_cli(
        "central",
        "user",
        "add",
        "--data",
        data,
        "--name",
        "budi",
        "--role",
        "viewer",
        "--unit",
        "Seksi Pemerintahan",
        "--url",
        "https://pusat.example",
    )
    assert link.stdout.strip().startswith("https://pusat.example/dashboard/sandi/")
    assert "not in the current roster" in link.stderr
    mine = run_cli(
        "central",
        "token",
        "create",
        "--data",
        data,
        "--role",
        "viewer",
        "--user",
        "budi",
        "--days",
        "5",
    ).stdout.strip()
    listing = run_cli("central", "token", "list", "--data", data).stdout
    ident = hash_token(mine)[:12]
    (line,) = [x for x in listing.splitlines() if x.startswith(ident)]
    assert "\tbudi\tviewer\t" in line and line.endswith("\tactive")
    run_cli("central", "token", "revoke", "--data", data, "--id", ident)
    listing = run_cli("central", "token", "list", "--data", data).stdout
    assert [x for x in listing.splitlines() if x.startswith(ident)][0].endswith("\trevoked")
    users = run_cli("central", "user", "list", "--data", data).stdout
    assert "budi\tviewer\tSeksi Pemerintahan\tno-password" in users
    audit = SqliteStore(Path(data) / "central.db")
    actions = [e.action for e in audit.audit_page(0, 10)[0]]
    audit.close()
    assert actions == ["token-revoke", "token-create", "account-add", "token-create"]


@pytest.mark.parametrize(
    "args",
    [
        ["token", "create", "--role", "viewer", "--user", "nobody"],
        ["token", "create", "--role", "admin", "--user", "budi"],
        ["token", "create", "--role", "viewer", "--days", "0"],
        ["token", "create", "--role", "viewer", "--days", "-3"],
        ["token", "create", "--role", "viewer", "--days", "99999"],
        ["token", "revoke", "--id", "zz"],
        ["token", "revoke", "--id", "0123"],
        ["token", "revoke", "--id", "ffffffffffff"],
        ["user", "add", "--name", "Budi Besar", "--role", "viewer"],
        ["user", "add", "--name", "budi", "--role", "viewer"],
        ["user", "add", "--name", "mesin-api", "--role", "admin"],
        ["user", "add", "--name", "sari", "--role", "viewer", "--unit", ""],
        ["user", "reset", "--name", "nobody", "--reason", "x"],
        ["user", "reset", "--name", "budi", "--reason", "  "],
    ],
)
def test_bad_account_commands_exit_2(tmp_path: Path, args: list[str]) -> None:
    data = str(tmp_path / "central")
    run_cli("central", "init", "--data", data)
    run_cli("central", "user", "add", "--data", data, "--name", "budi", "--role", "viewer")
    before = run_cli("central", "token", "list", "--data", data).stdout
    result = run_cli("central", *args[:2], "--data", data, *args[2:], check=False)
    assert result.returncode == 2 and result.stderr.startswith("error:"), result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli("central", "token", "list", "--data", data).stdout == before


@pytest.mark.parametrize(
    ("role", "needs", "ok"),
    [
        ("viewer", "viewer", True),
        ("viewer", "approver", False),
        ("viewer", "admin", False),
        ("approver", "viewer", True),
        ("approver", "approver", True),
        ("approver", "admin", False),
        ("admin", "viewer", True),
        ("admin", "approver", True),
        ("admin", "admin", True),
    ],
)
def test_roles_are_ordered(role: str, needs: str, ok: bool) -> None:
    from central.accounts import Principal

    assert Principal("budi", role, ()).can(needs) is ok


def test_units_limit_and_roster_outsiders() -> None:
    from central.accounts import Principal

    limited = Principal("budi", "viewer", ("Seksi Pemerintahan",))
    assert limited.sees_unit("Seksi Pemerintahan")
    assert not limited.sees_unit("Seksi Ekonomi dan Pembangunan")
    assert not limited.sees_unit(None)  # someone outside the roster
    assert Principal("sari", "viewer", ()).sees_unit(None)
