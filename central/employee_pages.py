"""The employee's own pages at central (``/saya``): sign in with NIP and PIN, one's month
day by day, and a keberatan (objection) for a day. Routes are thin over
``central/employee_auth.py``, ``central/employee_month.py`` and ``central/objections.py``.

The session cookie is the employee's own (``presensi_employee``, path ``/saya``), never
an official's: the dashboard and the API do not read it, and these pages read only it.
Every form carries a CSRF token: the session's once signed in, before that a random value
also held in a cookie (double submit); cross-site posts are refused as on the dashboard.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from sync.timefmt import WITA

from . import employee_auth, objections
from .accounts import LoginLimits, SignInRefused, TooManyAttempts
from .employee_auth import EmployeePrincipal
from .employee_month import current_month, employee_month, month_label, neighbours
from .errors import ApiError, Forbidden
from .objection_proof import PROOF_MAX_BYTES
from .page_session import _refuse_cross_site, _same, client_address, now, setting
from .web import service

bp = Blueprint("employee", __name__, url_prefix="/saya")

SESSION_COOKIE = "presensi_employee"
FORM_COOKIE = "presensi_employee_form"
COOKIE_PATH = "/saya"


class EmployeeSignInNeeded(ApiError):
    status = 401
    code = "sign-in-needed"


def _limits() -> LoginLimits:
    return LoginLimits(
        per_account=int(setting("LOGIN_MAX_PER_ACCOUNT")),
        per_address=int(setting("EMPLOYEE_LOGIN_MAX_PER_ADDRESS")),
        window_s=float(setting("LOGIN_WINDOW_MIN")) * 60,
        lock_s=float(setting("LOGIN_LOCK_MIN")) * 60,
    )


def _signed_in() -> tuple[EmployeePrincipal, str] | None:
    if "employee" not in g:
        g.employee = employee_auth.employee_of(
            service().store, request.cookies.get(SESSION_COOKIE), now()
        )
    found: tuple[EmployeePrincipal, str] | None = g.employee
    return found


def _require_employee() -> EmployeePrincipal:
    found = _signed_in()
    if found is None:
        raise EmployeeSignInNeeded("silakan masuk dengan NIP dan PIN")
    return found[0]


def _check_employee_form() -> EmployeePrincipal:
    _refuse_cross_site()
    found = _signed_in()
    if found is None:
        raise EmployeeSignInNeeded("sesi berakhir; silakan masuk lagi")
    if not _same(request.form.get("csrf"), found[1]):
        raise Forbidden("token formulir tidak cocok; muat ulang halaman", code="csrf")
    return found[0]


def _form_token() -> str:
    if "employee_form" not in g:
        g.employee_form = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    return str(g.employee_form)


def _page(template: str, status: int = 200, **context: Any) -> Response:
    found = _signed_in()
    csrf = found[1] if found else _form_token()
    response = Response(
        render_template(
            template, who=None, employee=found[0] if found else None, csrf=csrf, **context
        ),
        status=status,
        mimetype="text/html",
    )
    if found is None and request.cookies.get(FORM_COOKIE) != g.get("employee_form"):
        response.set_cookie(
            FORM_COOKIE,
            _form_token(),
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
            path=COOKIE_PATH,
        )
    return response


@bp.errorhandler(ApiError)
def _page_error(exc: ApiError) -> ResponseReturnValue:
    if isinstance(exc, EmployeeSignInNeeded):
        g.pop("employee", None)
        return _page("employee_signin.html", 401, error=None)
    response = _page("employee_error.html", exc.status, code=exc.code, message=exc.message)
    if "retry_after" in exc.extra:
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


@bp.get("/masuk")
def signin_form() -> ResponseReturnValue:
    if _signed_in():
        return redirect(url_for("employee.month_page"), code=303)
    return _page("employee_signin.html", error=None)


@bp.post("/masuk")
def signin() -> ResponseReturnValue:
    _refuse_cross_site()
    if not _same(request.form.get("csrf"), request.cookies.get(FORM_COOKIE)):
        raise Forbidden("token formulir tidak cocok; muat ulang halaman", code="csrf")
    store = service().store
    try:
        who = employee_auth.check_employee(
            store,
            request.form.get("nip", ""),
            request.form.get("pin", ""),
            address=client_address(),
            now=now(),
            limits=_limits(),
        )
    except TooManyAttempts as exc:
        response = _page(
            "employee_signin.html", 429, error=exc.message, nip=request.form.get("nip", "")[:18]
        )
        response.headers["Retry-After"] = str(exc.extra.get("retry_after", 60))
        return response
    except SignInRefused as exc:
        return _page(
            "employee_signin.html", 401, error=exc.message, nip=request.form.get("nip", "")[:18]
        )
    token, _ = employee_auth.start_employee_session(
        store, who.nip, now=now(), hours=float(setting("EMPLOYEE_SESSION_HOURS"))
    )
    response = redirect(url_for("employee.month_page"), code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(float(setting("EMPLOYEE_SESSION_HOURS")) * 3600),
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path=COOKIE_PATH,
    )
    return response


@bp.post("/keluar")
def signout() -> ResponseReturnValue:
    _check_employee_form()
    employee_auth.end_employee_session(service().store, request.cookies.get(SESSION_COOKIE))
    response = redirect(url_for("employee.signin_form"), code=303)
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="Strict", secure=request.is_secure
    )
    return response


def _month_arg() -> str:
    month = request.args.get("month") or current_month(now())
    month_label(month)  # 400 (bad-month) for anything but a real YYYY-MM
    return month


@bp.get("")
def month_page() -> ResponseReturnValue:
    who = _require_employee()
    month = _month_arg()
    svc = service()
    today = datetime.fromtimestamp(now(), WITA).date()
    data = employee_month(svc.store, svc.report_settings, nip=who.nip, month=month, today=today)
    before, after = neighbours(month)
    return _page(
        "employee_month.html",
        data=data,
        before=before,
        after=after if after <= current_month(now()) else None,
    )


@bp.get("/keberatan")
def objection_form() -> ResponseReturnValue:
    _require_employee()
    day = objections.parse_day(request.args.get("date"), now())
    return _page(
        "employee_objection.html", day=day, error=None, reason="", max_kib=PROOF_MAX_BYTES // 1024
    )


@bp.post("/keberatan")
def file_objection() -> ResponseReturnValue:
    who = _check_employee_form()
    day = request.form.get("date", "")
    upload = request.files.get("bukti")
    proof = upload.stream.read(PROOF_MAX_BYTES + 1) if upload and upload.filename else None
    try:
        objections.file_objection(
            service().store,
            service().node_auth.trust,
            nip=who.nip,
            unit=who.unit,
            day=day,
            reason=request.form.get("reason"),
            proof=proof,
            now=now(),
        )
    except ApiError as exc:
        if exc.code in ("bad-date", "future-date"):
            raise
        return _page(
            "employee_objection.html",
            exc.status,
            day=day,
            error=exc.message,
            reason=request.form.get("reason", "")[:500],
            max_kib=PROOF_MAX_BYTES // 1024,
        )
    return redirect(url_for("employee.month_page", month=day[:7]) + f"#d-{day}", code=303)
