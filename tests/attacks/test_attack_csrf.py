"""CSRF on every state-changing endpoint and form.

Node: POST /api/v1/checkins and DELETE /api/v1/session with only the cookie need the
X-CSRF-Token header; POST /api/v1/session takes only application/json, which a cross-site
form cannot send without a CORS preflight. Central: every dashboard form needs its CSRF
token and refuses cross-site posts; the API ignores the dashboard session cookie.
"""

from __future__ import annotations

import pytest

from central.page_session import SESSION_COOKIE
from tests.central.officials import PASSWORD, make_official, post_form, sign_in

pytestmark = pytest.mark.faults


@pytest.fixture
def signed_in(client, roster):
    r = client.post("/api/v1/session", json={"nip": roster[0]["nip"], "pin": roster[0]["pin"]})
    assert r.status_code == 201
    return r.json


@pytest.mark.parametrize("csrf", [None, "", "wrong-token", "x" * 300])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/checkins", {"kind": "in"}),
        ("DELETE", "/api/v1/session", None),
    ],
)
def test_node_cookie_requests_need_the_csrf_header(client, signed_in, method, path, body, csrf):
    store = client.application.extensions["presensi_node"].store
    head = store.head()
    headers = {"Origin": "http://evil.example"}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    r = client.open(path, method=method, json=body, headers=headers)
    assert r.status_code == 403 and r.json["error"] == "csrf"
    assert store.head() == head
    # The session survived the forged sign-out.
    assert client.get("/api/v1/me").status_code == 200


def test_node_cookie_requests_work_with_the_csrf_header(client, signed_in):
    csrf = {"X-CSRF-Token": signed_in["csrf"]}
    assert client.post("/api/v1/checkins", json={"kind": "in"}, headers=csrf).status_code == 201
    assert client.delete("/api/v1/session", headers=csrf).status_code == 200
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "ctype", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]
)
def test_node_sign_in_refuses_what_a_cross_site_form_can_send(client, roster, ctype):
    person = roster[0]
    body = f'{{"nip": "{person["nip"]}", "pin": "{person["pin"]}"}}'
    r = client.post("/api/v1/session", data=body, content_type=ctype)
    assert r.status_code == 415
    assert client.get_cookie("presensi_session") is None


@pytest.fixture
def official(central_store, central_clock):
    return make_official(central_store, "budi", "admin", central_clock.now)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost"},
    ],
)
def test_central_dashboard_forms_refuse_cross_site_posts(central_client, official, headers):
    r = sign_in(central_client, "budi", **headers)
    assert r.status_code == 403 and "situs lain" in r.get_data(as_text=True)
    assert central_client.get_cookie(SESSION_COOKIE, path="/dashboard") is None
    # Logout CSRF: a signed-in official is not signed out by another site.
    assert sign_in(central_client, "budi").status_code == 303
    r = post_form(central_client, "/dashboard/keluar", {}, **headers)
    assert r.status_code == 403
    assert central_client.get("/dashboard").status_code == 200


@pytest.mark.parametrize("path", ["/dashboard/masuk", "/dashboard/keluar"])
@pytest.mark.parametrize("csrf", [None, "", "wrong-token", "x" * 300])
def test_central_dashboard_forms_need_their_csrf_token(central_client, official, path, csrf):
    assert sign_in(central_client, "budi").status_code == 303
    data = {"name": "budi", "password": PASSWORD}
    if csrf is not None:
        data["csrf"] = csrf
    r = central_client.post(path, data=data)
    assert r.status_code == 403 and "token formulir" in r.get_data(as_text=True)
    assert central_client.get("/dashboard").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "http://localhost"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "https://localhost"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "null"},  # Chromium under no-referrer
    ],
)
def test_central_dashboard_forms_work_from_the_dashboard(central_client, official, headers):
    assert sign_in(central_client, "budi", **headers).status_code == 303
    assert central_client.get("/dashboard").status_code == 200
    assert post_form(central_client, "/dashboard/keluar", {}, **headers).status_code == 303
    assert central_client.get("/dashboard").status_code == 401


def test_central_api_ignores_the_dashboard_cookie(central_client, official, central_store):
    assert sign_in(central_client, "budi").status_code == 303
    session = central_client.get_cookie(SESSION_COOKIE, path="/dashboard").value
    central_client.set_cookie(SESSION_COOKIE, session, path="/")
    r = central_client.post("/api/v1/nodes", json={"name": "kec-csrf"})
    assert r.status_code == 401
    assert central_store.node("kec-csrf") is None
