"""Officials' tokens: a viewer cannot act as admin; bad tokens are refused and store nothing."""

from __future__ import annotations

import pytest

from .conftest import central_counts

pytestmark = pytest.mark.faults


def test_viewer_cannot_add_nodes(central_client, central_store, viewer_token):
    before = central_counts(central_store)
    r = central_client.post(
        "/api/v1/nodes",
        json={"name": "kec-tamban"},
        headers={"Authorization": f"Bearer {viewer_token}"},
    )
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden-role"
    assert central_counts(central_store) == before
    assert central_store.node("kec-tamban") is None


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "Bearer",
        "Bearer ",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer pct_guess",
        "bearer x" * 50,
        "Bearer " + "A" * 5000,
        "Bearer ' OR 1=1 --",
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/nodes"),
        ("GET", "/api/v1/nodes"),
        ("GET", "/api/v1/attendance?date=2026-10-01"),
    ],
)
def test_bad_bearer_tokens_are_401(central_client, central_store, auth, method, path):
    before = central_counts(central_store)
    headers = {"Authorization": auth} if auth else {}
    r = central_client.open(path, method=method, json={"name": "kec-tamban"}, headers=headers)
    assert r.status_code == 401 and r.get_json()["error"] == "unauthorized"
    assert central_counts(central_store) == before


def test_admin_can_add_nodes(central_client, admin_token):
    r = central_client.post(
        "/api/v1/nodes",
        json={"name": "kec-tamban"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert r.status_code == 201 and r.get_json()["token"].startswith("kec-tamban.")
