"""Every page string of the month, exception and incident templates has an English entry in
``central/i18n_en_month.py`` (Jinja's own extractor, as the catalog check of the pages does),
with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import extract_from_ast

from central.i18n_en_month import EN_MONTH

TEMPLATES = Path(__file__).resolve().parents[2] / "central" / "templates"
PAGES = (
    "month.html",
    "official_employee_month.html",
    "exceptions.html",
    "incidents.html",
    "_overlay_macros.html",
)
NAV = ("Bulan", "Pengecualian", "Gangguan", "Unduh Excel", "Unduh CSV", "Rekap bulan ini")


def test_every_month_page_string_has_an_english_entry() -> None:
    env = Environment(extensions=["jinja2.ext.i18n"])
    wanted = set(NAV)
    for name in PAGES:
        # What the i18n extension's env.extract_translations does, through the typed API.
        source = env.parse((TEMPLATES / name).read_text("utf-8"))
        for _line, _func, message in extract_from_ast(source):
            wanted.update(
                m
                for m in (message if isinstance(message, tuple) else (message,))
                if isinstance(m, str)
            )
    assert len(wanted) > 80
    assert sorted(t for t in wanted if not EN_MONTH.get(t)) == []
    for text, english in EN_MONTH.items():
        assert re.findall(r"%\(\w+\)s|%%", text) == re.findall(r"%\(\w+\)s|%%", english), text
