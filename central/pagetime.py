"""Times and durations in the words of the pages: ``hari ini 07.31 WITA``, ``kemarin 16.02
WITA``, ``3 Des 2026 15.13 WITA``, ``3 menit lalu``, never a raw ISO timestamp. No Flask
here: the language comes in as an argument (``central.i18n.translate``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sync.timefmt import WITA

MONTHS = {
    "id": "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des".split(),
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
}

# The phrases below go through the page's ``tr`` (tests/central/test_i18n.py checks them).
AGO = ((86400, "%(n)s hari lalu"), (3600, "%(n)s jam lalu"), (60, "%(n)s menit lalu"))
OFFSET = {"behind": "jam node tertinggal %(s)s detik", "ahead": "jam node mendahului %(s)s detik"}

Translate = Callable[[str], str]


def _same(text: str) -> str:
    return text


def when(seconds: float | None, now: float, tr: Translate = _same, lang: str = "id") -> str:
    """``hari ini 07.31 WITA`` for today (WITA), ``kemarin ...`` for yesterday, else the date."""
    if seconds is None:
        return "-"
    moment = datetime.fromtimestamp(seconds, WITA)
    today = datetime.fromtimestamp(now, WITA).date()
    clock = f"{moment:%H.%M} WITA"
    if moment.date() == today:
        return tr("hari ini") + " " + clock
    if moment.date() == today - timedelta(days=1):
        return tr("kemarin") + " " + clock
    months = MONTHS.get(lang, MONTHS["id"])
    return f"{moment.day} {months[moment.month - 1]} {moment.year} {clock}"


def ago(seconds: float | None, now: float, tr: Translate = _same) -> str:
    """``3 menit lalu`` (the largest whole unit); ``baru saja`` under a minute."""
    if seconds is None:
        return tr("belum pernah")
    gone = now - seconds
    if gone < 60:
        return tr("baru saja")
    for size, text in AGO:
        if gone >= size:
            return tr(text) % {"n": int(gone // size)}
    raise AssertionError("unreachable")


def offset(ms: int | None, tr: Translate = _same, lang: str = "id") -> str:
    """A clock offset (central minus node, ms) in words: how far the node's clock is behind
    or ahead, in seconds with one decimal (a comma in Bahasa Indonesia)."""
    if ms is None:
        return "-"
    if abs(ms) < 1000:
        return tr("tepat (kurang dari 1 detik)")
    amount = f"{abs(ms) / 1000:.1f}"
    if lang == "id":
        amount = amount.replace(".", ",")
    return tr(OFFSET["behind" if ms > 0 else "ahead"]) % {"s": amount}
