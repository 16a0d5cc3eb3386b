"""The officials' dashboard: one server-rendered page in Bahasa Indonesia, no external assets.

Sign-in is pasting an API token once (viewer or admin); it is kept in an HttpOnly,
SameSite=Strict cookie. ``/dashboard?token=T`` also works and redirects to drop the token
from the address bar (and from browser history).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from sync.timefmt import WITA

from .auth import token_role
from .errors import Forbidden
from .reports import attendance, nodes_overview
from .web import service

bp = Blueprint("dashboard", __name__)

COOKIE = "presensi_central_token"
STATUS_ID = {"pending": "menunggu pendaftaran", "active": "aktif", "revoked": "dicabut",
             "quarantined": "dikarantina"}


def _login(token: str, target: str) -> Response:
    response = redirect(target, code=303)
    days = int(service().config["DASHBOARD_COOKIE_DAYS"])
    response.set_cookie(COOKIE, token, max_age=days * 86400, httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/dashboard")
    return response


def _refuse_cross_site() -> None:
    """Login and logout CSRF: refuse a form POST another site made the browser send.

    Browsers send ``Sec-Fetch-Site`` and ``Origin`` on POSTs; a request with neither (curl, a
    test client) is no cross-site browser request. Only the host is compared, so a proxy that
    terminates TLS in front of central does not break sign-in.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        raise Forbidden("cross-site form submissions are refused", code="csrf")
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise Forbidden("cross-site form submissions are refused", code="csrf")


VOUCHED = {"witness": "lewat HP rekan", "manual": "daftar manual kepala unit"}


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    units: dict[str, Counter[str]] = {}
    for row in rows:
        counts = units.setdefault(row["unit"] or "(di luar roster)", Counter())
        counts["pegawai"] += 1
        if row["first_in"]:
            counts["hadir"] += 1
            if row["late_minutes"]:
                counts["terlambat"] += 1
        else:
            counts["belum"] += 1
        counts["dikecualikan"] += row["excluded"]
    total: Counter[str] = Counter()
    for counts in units.values():
        total.update(counts)
    late = sorted((r for r in rows if r["late_minutes"]), key=lambda r: -r["late_minutes"])
    # Check-ins someone else vouched for (a colleague's phone, the head's manual list): listed
    # for officials to audit, since they count like any other signed record.
    vouched = sorted(((row, ref) for row in rows for ref in row["records"]
                      if ref.get("method") in VOUCHED), key=lambda pair: pair[1]["ts"])
    return {"units": sorted(units.items()), "total": total, "late": late[:50],
            "vouched": vouched[:100]}


@bp.get("/dashboard")
def page() -> ResponseReturnValue:
    store = service().store
    given = request.args.get("token")
    if given:
        if token_role(store, given) is None:
            return render_template("login.html", error=True), 401
        return _login(given, url_for("dashboard.page"))
    role = token_role(store, request.cookies.get(COOKIE))
    if role is None:
        return render_template("login.html", error=False), 401
    day = datetime.fromtimestamp(service().now(), WITA).strftime("%Y-%m-%d")
    reads = service().read_store
    rows = attendance(reads, day, settings=service().report_settings)
    nodes = nodes_overview(reads, day=day,
                           fallback_threshold=int(service().config["FALLBACK_ALERT_PER_DAY"]))
    return render_template("dashboard.html", role=role, day=day, nodes=nodes,
                           summary=_summary(rows), status_id=STATUS_ID, vouched_id=VOUCHED,
                           work_start=service().report_settings.work_start)


@bp.post("/dashboard/login")
def login() -> ResponseReturnValue:
    _refuse_cross_site()
    token = (request.form.get("token") or "").strip()
    if token_role(service().store, token) is None:
        return render_template("login.html", error=True), 401
    return _login(token, url_for("dashboard.page"))


@bp.post("/dashboard/logout")
def logout() -> ResponseReturnValue:
    _refuse_cross_site()
    response = redirect(url_for("dashboard.page"), code=303)
    response.delete_cookie(COOKIE, path="/dashboard")
    return response
