"""Sign-in, sign-out (here or everywhere), setting a password from a one-time link and
changing one's own password. Routes are thin over ``central/accounts.py``."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from . import accounts
from .accounts import AccountError, TooManyAttempts
from .i18n import gettext
from .page_session import (
    SESSION_COOKIE,
    check_form,
    check_official_form,
    clear_session_cookie,
    client_address,
    install_page_errors,
    limits,
    now,
    page,
    require_official,
    set_session_cookie,
    setting,
    signed_in,
)
from .web import service

bp = Blueprint("signin", __name__, url_prefix="/dashboard")
install_page_errors(bp)


def _next_url() -> str:
    """Where to go after signing in: a dashboard path of this site only (no open redirect)."""
    target = request.form.get("next") or ""
    if (
        target.startswith("/dashboard")
        and "//" not in target
        and "\\" not in target
        and target.isprintable()
        and len(target) < 300
    ):
        return target
    return url_for("dashboard.page")


@bp.get("/masuk")
def signin_form() -> ResponseReturnValue:
    if signed_in():
        return redirect(url_for("dashboard.page"), code=303)
    return page("signin.html", presign=True, next_url=request.args.get("next", ""))


@bp.post("/masuk")
def signin() -> ResponseReturnValue:
    check_form()
    store = service().store
    try:
        account = accounts.check_credentials(
            store,
            request.form.get("name", ""),
            request.form.get("password", ""),
            address=client_address(),
            now=now(),
            limits=limits(),
        )
    except TooManyAttempts as exc:
        response = page("signin.html", 429, presign=True, error=exc.message, next_url=_next_url())
        response.headers["Retry-After"] = str(exc.extra.get("retry_after", 60))
        return response
    token, _ = accounts.start_session(
        store, account.name, now=now(), hours=float(setting("DASHBOARD_SESSION_HOURS"))
    )
    response = redirect(_next_url(), code=303)
    set_session_cookie(response, token)
    return response


@bp.post("/keluar")
def signout() -> ResponseReturnValue:
    who = check_official_form()
    store = service().store
    if request.form.get("semua") == "1":
        store.end_sessions(who.account)
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            store.end_session(accounts.secret_hash(token))
    response = redirect(url_for("signin.signin_form"), code=303)
    clear_session_cookie(response)
    return response


@bp.get("/sandi/<link>")
def set_password_form(link: str) -> ResponseReturnValue:
    name = accounts.link_account(service().store, link, now())
    if name is None:
        return page(
            "error.html",
            404,
            code="bad-link",
            message="Tautan tidak berlaku: sudah dipakai atau kedaluwarsa. Minta "
            "tautan baru kepada admin.",
        )
    return page("set_password.html", presign=True, name=name, link=link, error=None)


@bp.post("/sandi/<link>")
def set_password(link: str) -> ResponseReturnValue:
    check_form()
    store = service().store
    name = accounts.link_account(store, link, now())
    if name is None:
        return page(
            "error.html",
            404,
            code="bad-link",
            message="Tautan tidak berlaku: sudah dipakai atau kedaluwarsa. Minta "
            "tautan baru kepada admin.",
        )
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        return page(
            "set_password.html",
            400,
            presign=True,
            name=name,
            link=link,
            error="Kedua kata sandi tidak sama.",
        )
    try:
        accounts.set_password_with_link(store, link, password, now())
    except AccountError as exc:
        if exc.code == "bad-link":
            raise
        return page("set_password.html", 400, presign=True, name=name, link=link, error=exc.message)
    return page(
        "signin.html",
        presign=True,
        next_url="",
        info=gettext("Kata sandi akun %(name)s tersimpan. Silakan masuk.") % {"name": name},
        name=name,
    )


@bp.get("/akun/sandi")
def change_password_form() -> ResponseReturnValue:
    require_official()
    return page("change_password.html", error=None)


@bp.post("/akun/sandi")
def change_password() -> ResponseReturnValue:
    who = check_official_form()
    new = request.form.get("new", "")
    if new != request.form.get("confirm", ""):
        return page("change_password.html", 400, error="Kedua kata sandi baru tidak sama.")
    store = service().store
    try:
        accounts.change_password(
            store,
            who.account,
            request.form.get("current", ""),
            new,
            address=client_address(),
            now=now(),
            limits=limits(),
        )
    except (AccountError, TooManyAttempts, accounts.SignInRefused) as exc:
        status = 400 if isinstance(exc, AccountError) else exc.status
        message = (
            "Kata sandi sekarang salah." if isinstance(exc, accounts.SignInRefused) else exc.message
        )
        return page("change_password.html", status, error=message)
    # Every session of the account ended with the change; this browser gets a new one.
    token, _ = accounts.start_session(
        store, who.account, now=now(), hours=float(setting("DASHBOARD_SESSION_HOURS"))
    )
    response = redirect(url_for("dashboard.page"), code=303)
    set_session_cookie(response, token)
    return response
