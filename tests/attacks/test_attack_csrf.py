"""CSRF on every state-changing endpoint and form.

Node: POST /api/v1/checkins and DELETE /api/v1/session with only the cookie need the
X-CSRF-Token header; POST /api/v1/session takes only application/json, which a cross-site
form cannot send without a CORS preflight. Central: the dashboard login and logout forms
refuse cross-site posts; the API ignores the dashboard cookie.
"""

from __future__ import annotations

import pytest

from central.dashboard import COOKIE

pytestmark = pytest.mark.faults


@pytest.fixture
def signed_in(client, roster):
    r = client.post("/api/v1/session", json={"nip": roster[0]["nip"], "pin": roster[0]["pin"]})
    assert r.status_code == 201
    return r.json


@pytest.mark.parametrize("csrf", [None, "", "wrong-token", "x" * 300])
@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/v1/checkins", {"kind": "in"}),
    ("DELETE", "/api/v1/session", None),
])
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


@pytest.mark.parametrize("ctype", ["application/x-www-form-urlencoded", "text/plain",
                                   "multipart/form-data; boundary=x"])
def test_node_sign_in_refuses_what_a_cross_site_form_can_send(client, roster, ctype):
    person = roster[0]
    body = f'{{"nip": "{person["nip"]}", "pin": "{person["pin"]}"}}'
    r = client.post("/api/v1/session", data=body, content_type=ctype)
    assert r.status_code == 415
    assert client.get_cookie("presensi_session") is None


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost"},
])
def test_central_dashboard_forms_refuse_cross_site_posts(central_client, viewer_token, headers):
    r = central_client.post("/dashboard/login", data={"token": viewer_token}, headers=headers)
    assert r.status_code == 403 and r.get_json()["error"] == "csrf"
    assert central_client.get_cookie(COOKIE, path="/dashboard") is None
    # Logout CSRF: a signed-in official is not signed out by another site.
    central_client.set_cookie(COOKIE, viewer_token, path="/dashboard")
    r = central_client.post("/dashboard/logout", headers=headers)
    assert r.status_code == 403
    assert central_client.get("/dashboard").status_code == 200


@pytest.mark.parametrize("headers", [
    {}, {"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "https://localhost"},
])
def test_central_dashboard_forms_work_from_the_dashboard(central_client, viewer_token, headers):
    r = central_client.post("/dashboard/login", data={"token": viewer_token}, headers=headers)
    assert r.status_code == 303
    assert central_client.get("/dashboard").status_code == 200
    assert central_client.post("/dashboard/logout", headers=headers).status_code == 303


def test_central_api_ignores_the_dashboard_cookie(central_client, admin_token, central_store):
    central_client.set_cookie(COOKIE, admin_token, path="/")
    r = central_client.post("/api/v1/nodes", json={"name": "kec-csrf"})
    assert r.status_code == 401
    assert central_store.node("kec-csrf") is None
