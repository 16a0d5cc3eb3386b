"""Officials' accounts in tests: create one with a password, sign in through a Flask test
client the way a browser does (form CSRF cookie, then the form), and read a page's CSRF."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from central.accounts import create_account, set_password_with_link
from central.store.protocol import CentralStore

PASSWORD = "sandi-rahasia-panjang"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def make_official(
    store: CentralStore,
    name: str,
    role: str,
    now: float,
    units: list[str] | None = None,
    password: str = PASSWORD,
) -> str:
    """An account with ``password`` set through its one-time link; returns the password."""
    link = create_account(store, name, role, units or [], actor="test", now=now, link_hours=24)
    set_password_with_link(store, link, password, now)
    return password


def csrf_of(client: FlaskClient, path: str, *, last: bool = False) -> str:
    """The CSRF value of the page's first form (the navigation's, when signed in) or, with
    ``last``, of its main form (a password link page in a signed-in browser)."""
    page = client.get(path)
    found = CSRF_RE.findall(page.get_data(as_text=True))
    assert found, (path, page.status_code)
    return str(found[-1] if last else found[0])


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD, **headers: Any) -> Any:
    """POST the sign-in form with the CSRF value the sign-in page gave this client."""
    csrf = csrf_of(client, "/dashboard/masuk")
    return client.post(
        "/dashboard/masuk", data={"name": name, "password": password, "csrf": csrf}, headers=headers
    )


def post_form(
    client: FlaskClient, path: str, data: dict[str, str], page: str = "/dashboard", **headers: Any
) -> Any:
    """POST a signed-in page's form with the session's CSRF token."""
    return client.post(path, data={**data, "csrf": csrf_of(client, page)}, headers=headers)


def browser_session(url: str, link: str, name: str, password: str = PASSWORD) -> Any:
    """Against a real server: set the password through the one-time ``link`` printed by
    ``presensi-central user add``, then sign in; a ``requests.Session`` holding the cookie."""
    import requests

    session = requests.Session()
    form = session.get(link, timeout=10)
    assert form.status_code == 200, form.text
    csrf = CSRF_RE.search(form.text)
    assert csrf
    r = session.post(
        link, data={"password": password, "confirm": password, "csrf": csrf.group(1)}, timeout=10
    )
    assert r.status_code == 200, r.text
    csrf = CSRF_RE.search(r.text)
    assert csrf
    r = session.post(
        url + "/dashboard/masuk",
        data={"name": name, "password": password, "csrf": csrf.group(1)},
        timeout=10,
    )
    assert r.status_code == 200 and r.url.endswith("/dashboard"), (r.status_code, r.url)
    return session
