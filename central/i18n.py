"""Page language for central: Bahasa Indonesia by default, English on request.

Page text is written in Bahasa Indonesia (``{{ _("Teks") }}`` in templates, ``gettext("Teks")``
here for messages Python hands to a page); the English catalog (``central/i18n_en.py``) is a
dict keyed by the Indonesian text, so a fresh machine needs no compile step and a missing entry
simply shows the Indonesian text. ``tests/central/test_i18n.py`` lists any page string that
has no English entry, including the ones other branches add.

``?lang=en`` or ``?lang=id`` on any page chooses the language and keeps it in a cookie; an
unknown value is ignored (the page stays in the language it had), since a language switch is
not worth refusing a page over. Dynamic text (an error message that may hold user input) goes
through the ``tr`` filter, which returns plain text that Jinja still escapes; ``_()`` is for
literal strings only (Jinja marks its result safe).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, has_request_context, request

from .i18n_en import EN

LANGS = ("id", "en")
DEFAULT_LANG = "id"
LANG_COOKIE = "presensi_lang"
LANG_COOKIE_DAYS = 365
CATALOGS: dict[str, dict[str, str]] = {"en": EN}


def current_lang() -> str:
    """The language of this request (``id`` outside a request)."""
    if not has_request_context():
        return DEFAULT_LANG
    if "lang" not in g:
        asked = request.args.get("lang")
        kept = request.cookies.get(LANG_COOKIE)
        g.lang = asked if asked in LANGS else kept if kept in LANGS else DEFAULT_LANG
    return str(g.lang)


def translate(text: str, lang: str | None = None) -> str:
    """``text`` (Bahasa Indonesia) in ``lang`` (default: the request's); itself when the
    catalog has no entry."""
    catalog = CATALOGS.get(lang or current_lang())
    if catalog is None or not isinstance(text, str):
        return text
    return catalog.get(text, text)


def gettext(text: str) -> str:
    """For Python code that hands a page a message: the request's language."""
    return translate(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translate(singular if n == 1 else plural)


def lang_url(lang: str) -> str:
    """This page's address with ``lang`` set (other query arguments kept)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode([*args, ("lang", lang)])


def _remember(response: Response) -> Response:
    asked = request.args.get("lang")
    if asked in LANGS and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(
            LANG_COOKIE,
            str(asked),
            max_age=LANG_COOKIE_DAYS * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
            path="/",
        )
    return response


def _context() -> dict[str, Any]:
    return {"lang": current_lang(), "lang_url": lang_url, "langs": LANGS}


def init_i18n(app: Flask) -> None:
    """Replace the null translations with the per-request language."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True
    )
    app.jinja_env.filters["tr"] = translate
    app.context_processor(_context)
    app.after_request(_remember)
