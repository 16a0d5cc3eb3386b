"""Officials' personal accounts: one-time password links, sign-in, sessions, password
change, sign-out everywhere, reset by an admin, roles, and bad input (issue 16 item 1)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from central.accounts import AccountError, create_account, secret_hash
from central.page_session import SESSION_COOKIE
from central.store.rows import Account
from central.store.sqlite import SqliteStore

from .conftest import Clock
from .officials import PASSWORD, csrf_of, make_official, post_form, sign_in

LINK_RE = re.compile(r"/dashboard/sandi/([A-Za-z0-9_-]+)")


def _account(store: SqliteStore, name: str) -> Account:
    account = store.account(name)
    assert account is not None, name
    return account


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(SESSION_COOKIE, path="/dashboard")
    assert cookie is not None
    return cookie.value


def _set_password(
    client: FlaskClient, link: str, password: str, confirm: str | None = None
) -> tuple[int, str]:
    csrf = csrf_of(client, f"/dashboard/sandi/{link}", last=True)
    r = client.post(
        f"/dashboard/sandi/{link}",
        data={
            "password": password,
            "confirm": password if confirm is None else confirm,
            "csrf": csrf,
        },
    )
    return r.status_code, r.get_data(as_text=True)


def test_link_sets_the_password_once_then_sign_in(
    client: FlaskClient, store: SqliteStore, clock: Clock
) -> None:
    link = create_account(store, "budi", "viewer", [], actor="cli", now=clock.now, link_hours=24)
    page = client.get(f"/dashboard/sandi/{link}").get_data(as_text=True)
    assert "budi" in page and "Simpan kata sandi" in page
    assert _set_password(client, link, PASSWORD, "lain-sekali-ini")[0] == 400
    status, body = _set_password(client, link, "pendek")
    assert status == 400 and "10-200 karakter" in body
    status, body = _set_password(client, link, "budi-punya-sandi")
    assert status == 400 and "nama akun" in body
    assert _account(store, "budi").password_hash is None  # nothing stored on a refusal
    status, body = _set_password(client, link, PASSWORD)
    assert status == 200 and "Silakan masuk" in body
    # The link is spent: a second use (a forwarded mail) is refused and changes nothing.
    assert client.get(f"/dashboard/sandi/{link}").status_code == 404
    assert _set_password_raw(client, link, "sandi-penyerang-123") == 404
    assert sign_in(client, "budi", "sandi-penyerang-123").status_code == 401
    r = sign_in(client, "budi")
    assert r.status_code == 303
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see test_dashboard_security for TLS
    assert client.get("/dashboard").status_code == 200


def _set_password_raw(client: FlaskClient, link: str, password: str) -> int:
    csrf = csrf_of(client, "/dashboard/masuk")
    return client.post(
        f"/dashboard/sandi/{link}", data={"password": password, "confirm": password, "csrf": csrf}
    ).status_code


def test_link_expires(client: FlaskClient, store: SqliteStore, clock: Clock) -> None:
    link = create_account(store, "budi", "viewer", [], actor="cli", now=clock.now, link_hours=2)
    clock.advance(2 * 3600 + 1)
    assert client.get(f"/dashboard/sandi/{link}").status_code == 404
    assert _set_password_raw(client, link, PASSWORD) == 404
    assert _account(store, "budi").password_hash is None


def test_session_is_server_side_and_not_the_token(
    client: FlaskClient, store: SqliteStore, clock: Clock, stored_bytes: Callable[[], bytes]
) -> None:
    make_official(store, "budi", "viewer", clock.now)
    sign_in(client, "budi")
    value = _session_cookie(client)
    assert store.session(secret_hash(value), clock.now) is not None
    # Only the hash is stored; the cookie value itself is nowhere in the database.
    assert secret_hash(value).encode() in stored_bytes()
    assert value.encode() not in stored_bytes()
    clock.advance(12 * 3600 + 1)
    assert client.get("/dashboard").status_code == 401  # sessions expire


def test_a_cookie_the_browser_brings_is_never_adopted(
    client: FlaskClient, store: SqliteStore, clock: Clock
) -> None:
    make_official(store, "budi", "viewer", clock.now)
    client.set_cookie(SESSION_COOKIE, "planted-by-attacker", path="/dashboard")
    sign_in(client, "budi")
    assert _session_cookie(client) != "planted-by-attacker"
    assert store.session(secret_hash("planted-by-attacker"), clock.now) is None


def test_change_password_ends_other_sessions(app, store: SqliteStore, clock: Clock) -> None:
    make_official(store, "budi", "viewer", clock.now)
    here, other = app.test_client(), app.test_client()
    sign_in(here, "budi")
    sign_in(other, "budi")
    r = post_form(
        here,
        "/dashboard/akun/sandi",
        {
            "current": "salah-sekali",
            "new": "sandi-baru-yang-panjang",
            "confirm": "sandi-baru-yang-panjang",
        },
        page="/dashboard/akun/sandi",
    )
    assert r.status_code == 401 and "sekarang salah" in r.get_data(as_text=True)
    r = post_form(
        here,
        "/dashboard/akun/sandi",
        {"current": PASSWORD, "new": "sandi-baru-yang-panjang", "confirm": "beda"},
        page="/dashboard/akun/sandi",
    )
    assert r.status_code == 400
    r = post_form(
        here,
        "/dashboard/akun/sandi",
        {
            "current": PASSWORD,
            "new": "sandi-baru-yang-panjang",
            "confirm": "sandi-baru-yang-panjang",
        },
        page="/dashboard/akun/sandi",
    )
    assert r.status_code == 303
    assert here.get("/dashboard").status_code == 200  # this browser got a new session
    assert other.get("/dashboard").status_code == 401  # every other one ended
    assert sign_in(other, "budi").status_code == 401
    assert sign_in(other, "budi", "sandi-baru-yang-panjang").status_code == 303


def test_sign_out_everywhere(app, store: SqliteStore, clock: Clock) -> None:
    make_official(store, "budi", "viewer", clock.now)
    make_official(store, "sari", "viewer", clock.now)
    phone, laptop, colleague = app.test_client(), app.test_client(), app.test_client()
    for c, name in ((phone, "budi"), (laptop, "budi"), (colleague, "sari")):
        assert sign_in(c, name).status_code == 303
    assert post_form(phone, "/dashboard/keluar", {"semua": "1"}).status_code == 303
    assert phone.get("/dashboard").status_code == 401
    assert laptop.get("/dashboard").status_code == 401
    assert colleague.get("/dashboard").status_code == 200  # only that account's sessions


def test_admin_resets_a_password_with_a_reason(app, store: SqliteStore, clock: Clock) -> None:
    make_official(store, "admin1", "admin", clock.now)
    make_official(store, "budi", "viewer", clock.now)
    admin, budi = app.test_client(), app.test_client()
    sign_in(admin, "admin1")
    sign_in(budi, "budi")
    r = post_form(admin, "/dashboard/akun/budi/reset", {"reason": ""}, page="/dashboard/akun")
    assert r.status_code == 400 and "alasan wajib" in r.get_data(as_text=True)
    assert budi.get("/dashboard").status_code == 200  # a refused reset changed nothing
    r = post_form(
        admin, "/dashboard/akun/budi/reset", {"reason": "laptop hilang"}, page="/dashboard/akun"
    )
    assert r.status_code == 200
    found = LINK_RE.search(r.get_data(as_text=True))
    assert found is not None
    link = found.group(1)
    assert budi.get("/dashboard").status_code == 401  # sessions ended at once
    assert sign_in(budi, "budi").status_code == 401  # the old password is gone
    assert _set_password(budi, link, "sandi-setelah-reset")[0] == 200
    assert sign_in(budi, "budi", "sandi-setelah-reset").status_code == 303
    entries, _ = store.audit_page(0, 10)
    assert [(e.actor, e.action, e.target, e.reason) for e in entries][:1] == [
        ("admin1", "password-reset", "budi", "laptop hilang")
    ]
    audit = admin.get("/dashboard/audit").get_data(as_text=True)
    assert "kata sandi direset" in audit and "laptop hilang" in audit and "admin1" in audit


def test_admin_adds_an_account_on_the_page(app, store: SqliteStore, clock: Clock) -> None:
    make_official(store, "admin1", "admin", clock.now)
    admin = app.test_client()
    sign_in(admin, "admin1")
    r = post_form(
        admin, "/dashboard/akun", {"name": "sari", "role": "approver"}, page="/dashboard/akun"
    )
    assert r.status_code == 201 and LINK_RE.search(r.get_data(as_text=True))
    assert _account(store, "sari").role == "approver"
    r = post_form(
        admin, "/dashboard/akun", {"name": "sari", "role": "viewer"}, page="/dashboard/akun"
    )
    assert r.status_code == 409 and _account(store, "sari").role == "approver"


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("viewer", "/dashboard/akun", 403),
        ("viewer", "/dashboard/audit", 403),
        ("approver", "/dashboard/akun", 403),
        ("approver", "/dashboard/audit", 403),
        ("viewer", "/dashboard/peringatan", 200),
        ("admin", "/dashboard/akun", 200),
        ("admin", "/dashboard/audit", 200),
    ],
)
def test_pages_by_role(
    client: FlaskClient, store: SqliteStore, clock: Clock, role: str, path: str, status: int
) -> None:
    make_official(store, "budi", role, clock.now)
    sign_in(client, "budi")
    r = client.get(path)
    assert r.status_code == status
    assert r.mimetype == "text/html"


def test_viewer_cannot_add_or_reset_accounts(
    client: FlaskClient, store: SqliteStore, clock: Clock
) -> None:
    make_official(store, "budi", "viewer", clock.now)
    make_official(store, "sari", "viewer", clock.now)
    sign_in(client, "budi")
    r = post_form(client, "/dashboard/akun", {"name": "baru", "role": "admin"})
    assert r.status_code == 403 and store.account("baru") is None
    r = post_form(client, "/dashboard/akun/sari/reset", {"reason": "iseng"})
    assert r.status_code == 403 and _account(store, "sari").password_hash is not None


@pytest.mark.parametrize(
    ("name", "role", "units"),
    [
        ("", "viewer", []),
        ("a", "viewer", []),
        ("Budi", "viewer", []),
        ("budi budi", "viewer", []),
        ("-budi", "viewer", []),
        ("b" * 41, "viewer", []),
        ("mesin-api", "admin", []),
        ("budi\u0000", "viewer", []),
        ("budi", "superuser", []),
        ("budi", "", []),
        ("budi", "viewer", [""]),
        ("budi", "viewer", ["x" * 121]),
        ("budi", "viewer", ["a\nb"]),
        ("budi", "viewer", "Dinas A"),
    ],
)
def test_bad_account_input_is_refused(
    store: SqliteStore, clock: Clock, name: str, role: str, units: object
) -> None:
    with pytest.raises(AccountError) as info:
        create_account(
            store,
            name,
            role,
            units,  # type: ignore[arg-type]
            actor="cli",
            now=clock.now,
            link_hours=24,
        )
    assert info.value.status == 400
    assert [a.name for a in store.accounts()] == ["mesin-api"]


@pytest.mark.parametrize(
    "password",
    [
        "",
        "123456789",
        "x" * 201,
        "tab\there-panjang",
        "baris\nbaru-panjang",
        "nul\u0000-panjang-sekali",
        "\u200b" * 12,
    ],
)
def test_bad_new_passwords_are_refused(
    client: FlaskClient, store: SqliteStore, clock: Clock, password: str
) -> None:
    link = create_account(store, "budi", "viewer", [], actor="cli", now=clock.now, link_hours=24)
    status, body = _set_password(client, link, password)
    assert status == 400 and 'id="error"' in body
    assert _account(store, "budi").password_hash is None
    assert client.get(f"/dashboard/sandi/{link}").status_code == 200  # link still usable


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"name": "budi"},
        {"password": PASSWORD},
        {"name": "", "password": ""},
        {"name": "budi", "password": "x" * 5000},
        {"name": "b" * 5000, "password": PASSWORD},
        {"name": "mesin-api", "password": PASSWORD},
        {"name": "../../etc", "password": PASSWORD},
    ],
)
def test_bad_sign_in_input_is_a_401_page(
    client: FlaskClient, store: SqliteStore, clock: Clock, form: dict[str, str]
) -> None:
    make_official(store, "budi", "viewer", clock.now)
    csrf = csrf_of(client, "/dashboard/masuk")
    r = client.post("/dashboard/masuk", data={**form, "csrf": csrf})
    assert r.status_code == 401 and "kata sandi salah" in r.get_data(as_text=True)
    assert client.get_cookie(SESSION_COOKIE, path="/dashboard") is None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/dashboard",
        "/dashboard//evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_never_redirects_off_site(
    client: FlaskClient, store: SqliteStore, clock: Clock, target: str
) -> None:
    make_official(store, "budi", "viewer", clock.now)
    csrf = csrf_of(client, "/dashboard/masuk")
    r = client.post(
        "/dashboard/masuk",
        data={"name": "budi", "password": PASSWORD, "csrf": csrf, "next": target},
    )
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard"


def test_lockout_after_five_wrong_passwords_even_with_the_right_one(
    client: FlaskClient, store: SqliteStore, clock: Clock
) -> None:
    make_official(store, "budi", "viewer", clock.now)
    for _ in range(5):
        assert sign_in(client, "budi", "salah-salah-salah").status_code == 401
    r = sign_in(client, "budi")
    assert r.status_code == 429 and "coba lagi" in r.get_data(as_text=True)
    assert int(r.headers["Retry-After"]) > 0
    clock.advance(15 * 60 + 1)
    assert sign_in(client, "budi").status_code == 303


def test_address_limit_across_accounts(
    client: FlaskClient, store: SqliteStore, clock: Clock
) -> None:
    make_official(store, "budi", "viewer", clock.now)
    for i in range(30):
        assert sign_in(client, f"tebakan{i}", "salah-salah-salah").status_code == 401
    assert sign_in(client, "budi").status_code == 429


def test_a_signed_in_browser_can_use_a_password_link(app, store: SqliteStore, clock: Clock) -> None:
    """An admin trying a new colleague's link in their own browser: the link form uses its
    own CSRF value, and the admin's session is untouched."""
    make_official(store, "admin1", "admin", clock.now)
    browser = app.test_client()
    sign_in(browser, "admin1")
    link = create_account(store, "sari", "viewer", [], actor="admin1", now=clock.now, link_hours=24)
    status, body = _set_password(browser, link, "kunci-rahasia-panjang")
    assert status == 200 and "Silakan masuk" in body
    assert browser.get("/dashboard").status_code == 200
    # The navigation's sign-out still carries the session's token on that page.
    page = browser.get(f"/dashboard/sandi/{link}")
    assert page.status_code == 404
    assert post_form(browser, "/dashboard/keluar", {}).status_code == 303
    assert browser.get("/dashboard").status_code == 401
