"""English for central's pages (``?lang=en``): every page string has an English entry, and a
page renders in English and keeps the choice in a cookie.

The catalog check reads the strings the way they are used: Jinja's own extractor over every
``central/templates/*.html`` (``_()``, ``gettext()``), Python's ``ast`` over ``central/*.py``
(calls of ``_``, ``gettext``, ``tr``, ``translate`` with a literal string), and the label
tables pages pass through the ``tr`` filter. A branch that adds page text without an English
entry fails here with the list of missing strings.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from jinja2 import Environment
from jinja2.ext import extract_from_ast

from central import (
    alerts,
    audit,
    dashboard,
    node_status,
    overview_pages,
    page_session,
    pagetime,
)
from central.i18n import LANG_COOKIE, translate
from central.i18n_en import EN
from central.store.sqlite import SqliteStore

from .conftest import Clock
from .officials import make_official, sign_in

CENTRAL = Path(__file__).resolve().parents[2] / "central"
CALLS = {"_", "gettext", "tr", "translate"}
LABEL_TABLES: dict[str, Mapping[Any, str]] = {
    "alerts.KIND_ID": alerts.KIND_ID,
    "audit.ACTION_ID": audit.ACTION_ID,
    "dashboard.STATUS_ID": dashboard.STATUS_ID,
    "dashboard.VOUCHED": dashboard.VOUCHED,
    "node_status.STATUS_ID": node_status.STATUS_ID,
    "node_status.SYNC_TEXT": node_status.SYNC_TEXT,
    "page_session.PAGE_MESSAGES": page_session.PAGE_MESSAGES,
    "overview_pages.MONTH_MESSAGES": overview_pages.MONTH_MESSAGES,
    "pagetime.AGO": dict(pagetime.AGO),
    "pagetime.OFFSET": pagetime.OFFSET,
}


def template_strings() -> dict[str, str]:
    """Every literal gettext string of central's templates, with where it was found."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    found: dict[str, str] = {}
    for path in sorted((CENTRAL / "templates").glob("*.html")):
        # What the i18n extension's env.extract_translations does, through the typed API.
        for line, _func, message in extract_from_ast(env.parse(path.read_text("utf-8"))):
            for text in message if isinstance(message, tuple) else (message,):
                if isinstance(text, str):
                    found.setdefault(text, f"templates/{path.name}:{line}")
    return found


def python_strings() -> dict[str, str]:
    """Literal first arguments of ``_``/``gettext``/``tr``/``translate`` in central/*.py."""
    found: dict[str, str] = {}
    for path in sorted(CENTRAL.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in CALLS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{path.name}:{node.lineno}")
    return found


def label_strings() -> dict[str, str]:
    return {text: name for name, table in LABEL_TABLES.items() for text in table.values()}


def test_every_page_string_has_an_english_entry() -> None:
    wanted = {**label_strings(), **python_strings(), **template_strings()}
    assert len(wanted) > 150  # the extraction found the pages' text
    missing = sorted(f"{where}: {text!r}" for text, where in wanted.items() if not EN.get(text))
    assert not missing, "page strings with no English entry in central/i18n_en.py:\n" + "\n".join(
        missing
    )


def test_placeholders_survive_translation() -> None:
    """An English entry keeps exactly the %(name)s placeholders of its Indonesian key, and a
    literal percent sign is written %% in both (Jinja formats every _() string)."""
    import re

    holder = re.compile(r"%\(\w+\)s|%%")
    wrong = [k for k, v in EN.items() if sorted(holder.findall(k)) != sorted(holder.findall(v))]
    assert not wrong, wrong


def test_a_page_renders_in_english_and_the_choice_is_kept(
    client: FlaskClient, store: SqliteStore, clock: Clock
) -> None:
    make_official(store, "budi", "admin", clock.now)
    sign_in(client, "budi")
    page = client.get("/dashboard")
    text = page.get_data(as_text=True)
    assert '<html lang="id">' in text and "Peringatan terbuka" in text
    page = client.get("/dashboard?lang=en")
    text = page.get_data(as_text=True)
    assert '<html lang="en">' in text and "Open alerts" in text
    assert "Peringatan terbuka" not in text and "Ringkasan kehadiran" not in text
    cookie = page.headers.get("Set-Cookie", "")
    assert f"{LANG_COOKIE}=en" in cookie and "Path=/" in cookie
    # The cookie keeps English on the next pages, without ?lang=.
    for path in ("/dashboard/node", "/dashboard/peringatan", "/dashboard/audit", "/dashboard/akun"):
        text = client.get(path).get_data(as_text=True)
        assert '<html lang="en">' in text, path
        assert "Sign out" in text and "Keluar dari semua perangkat" not in text, path
    # An unknown language changes nothing; ?lang=id switches back.
    assert '<html lang="en">' in client.get("/dashboard?lang=fr").get_data(as_text=True)
    text = client.get("/dashboard?lang=id").get_data(as_text=True)
    assert '<html lang="id">' in text and "Peringatan terbuka" in text


@pytest.mark.parametrize("lang", ["en", "id"])
def test_signin_page_and_error_page_in_both_languages(client: FlaskClient, lang: str) -> None:
    text = client.get(f"/dashboard/masuk?lang={lang}").get_data(as_text=True)
    assert ("Sign in" if lang == "en" else "Masuk dengan nama akun") in text
    # A page error (signed out: the sign-in form) and the switch keep other arguments.
    r = client.get(f"/dashboard?date=2026-10-01&lang={lang}")
    assert r.status_code == 401
    other = "id" if lang == "en" else "en"
    assert f"date=2026-10-01&amp;lang={other}" in r.get_data(as_text=True)


def test_user_text_through_the_tr_filter_stays_escaped() -> None:
    """``tr`` is a plain lookup: an unknown message (which may hold what a user typed) comes
    back unchanged and unmarked, so Jinja escapes it."""
    hostile = "<script>alert(1)</script>"
    assert translate(hostile, "en") == hostile and type(translate(hostile, "en")) is str
