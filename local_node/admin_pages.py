"""The local admin's page at ``/admin``: plain HTML forms, no script, Bahasa Indonesia.

Routes are thin: sign-in and sessions are ``admin_auth``, what the page shows and does is
``admin_ops`` and ``printables``. Every form posts the session's CSRF token; the session
cookie is HttpOnly, SameSite=Strict and limited to ``/admin``.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue

from sync.timefmt import WITA

from . import admin_ops, office_location, printables, roster
from .addresses import check_url, office_name, public_url
from .admin_auth import AdminAuth, AdminSession
from .errors import ApiError
from .status_text import when
from .web import service

bp = Blueprint("admin", __name__, url_prefix="/admin")
COOKIE = "presensi_admin"

# What the page says for the API error codes it can meet; anything else shows its message.
MESSAGES = {
    "admin-password-wrong": "Kata sandi salah.",
    "admin-password-missing": "Ketik kata sandi admin.",
    "admin-locked": "Terlalu banyak kata sandi salah. Coba lagi dalam {minutes} menit.",
    "admin-not-set-up": "Kata sandi admin belum diatur.",
    "nip-invalid": "NIP harus 18 angka.",
    "employee-unknown": "Tidak ada pegawai dengan NIP ini di roster.",
    "reason-invalid": "Tulis alasannya (3-200 karakter, satu baris).",
    "csrf": "Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.",
    "unit-unknown": "Unit ini tidak ada di roster.",
    "location-invalid": "Lintang -90..90, bujur -180..180 (angka desimal), radius 10-5000 m.",
}


def auth() -> AdminAuth:
    admin: AdminAuth = current_app.extensions["presensi_admin"]
    return admin


def install(app: Flask) -> None:
    """Register the admin page on the node app."""
    app.extensions["presensi_admin"] = AdminAuth(app.extensions["presensi_node"].store, app.config)
    app.register_blueprint(bp)


def _text(exc: ApiError) -> str:
    minutes = max(1, -(-(exc.retry_after or 60) // 60))
    return MESSAGES.get(exc.code, exc.message).format(minutes=minutes)


def _session() -> AdminSession | None:
    return auth().lookup(request.cookies.get(COOKIE, ""))


def _render(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    from .pages import asset

    svc = service()
    html = render_template(
        template,
        office=office_name(current_app.config, svc.identity.name),
        node=svc.identity.name,
        asset=asset,
        **context,
    )
    response = current_app.make_response((html, status))
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"  # a one-time PIN must not be cached
    return response


def _base_url() -> str:
    """The node's address for phones: PUBLIC_URL, else the address this page was opened at
    unless that is loopback, else the LAN address."""
    if current_app.config.get("PUBLIC_URL"):
        return str(current_app.config["PUBLIC_URL"]).rstrip("/")
    host = request.host.split(":")[0]
    if host not in ("localhost", "127.0.0.1", "[::1]"):
        return check_url(request.host_url)
    port = request.host.rpartition(":")[2]
    return public_url(current_app.config, int(port) if port.isdigit() else None)


def _zeroconf() -> str:
    if not current_app.config.get("START_ZEROCONF"):
        return "mati (dijalankan dengan --no-zeroconf)"
    if current_app.extensions.get("presensi_zeroconf") is None:
        return "gagal mulai (lihat log layanan)"
    return "aktif: diumumkan sebagai _presensi._tcp.local."


def _dashboard(session: AdminSession, status: int = 200, **context: Any) -> ResponseReturnValue:
    svc = service()
    now = datetime.now(UTC)
    day = now.astimezone(WITA).strftime("%Y-%m-%d")
    health = admin_ops.health(svc, zeroconf=_zeroconf())
    units = admin_ops.checkins_by_unit(svc, day)
    token = svc.kiosk.display_token()
    base = _base_url()
    return _render(
        "admin.html",
        status,
        session=session,
        health=health,
        units=units,
        location=office_location.load(svc.store),
        day=day,
        when=lambda ts: when(ts, now),
        size=_size,
        base=base,
        kiosk_url=f"{base}/kiosk#t={token}" if token else None,
        **context,
    )


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}".replace(".", ",")
        value /= 1024
    return f"{count} B"


def _require() -> AdminSession | ResponseReturnValue:
    session = _session()
    if session is None:
        return redirect("/admin", code=303)
    return session


def _post_session() -> AdminSession:
    """The session of a form post, with its CSRF token checked."""
    session = _session()
    if session is None:
        raise ApiError("sign in first", code="unauthorized", status=401)
    if not auth().csrf_ok(session, request.form.get("csrf")):
        raise ApiError("missing or wrong CSRF token", code="csrf", status=403)
    return session


@bp.get("")
def admin_page() -> ResponseReturnValue:
    if not auth().is_set_up():
        return _render("admin_login.html", setup=True, data_dir=service().paths.root)
    session = _session()
    if session is None:
        return _render("admin_login.html")
    return _dashboard(session, **_take_flash(session))


@bp.post("/masuk")
def sign_in() -> ResponseReturnValue:
    addr = request.remote_addr or "unknown"
    try:
        token, session = auth().sign_in(request.form.get("password"), addr)
    except ApiError as exc:
        response = _render(
            "admin_login.html",
            exc.status,
            error=_text(exc),
            setup=exc.code == "admin-not-set-up",
            data_dir=service().paths.root,
        )
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)  # type: ignore[union-attr]
        return response
    response = current_app.make_response(redirect("/admin", code=303))
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(session.expires_at - datetime.now(UTC).timestamp()),
        path="/admin",
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )
    return response


@bp.post("/keluar")
def sign_out() -> ResponseReturnValue:
    try:
        _post_session()
    except ApiError as exc:
        return _render("admin_login.html", exc.status, error=_text(exc))
    auth().sign_out(request.cookies.get(COOKIE, ""))
    response = current_app.make_response(redirect("/admin", code=303))
    response.delete_cookie(COOKIE, path="/admin")
    return response


def _action(run: Any) -> ResponseReturnValue:
    """Run a form action. Done: 303 to /admin, which shows the outcome once (so a reload
    never posts the form again, e.g. a second PIN reset). Refused: the page with the message
    and the 4xx status, nothing changed."""
    try:
        session = _post_session()
    except ApiError as exc:
        return _render("admin_login.html", exc.status, error=_text(exc))
    try:
        outcome = run(session)
    except ApiError as exc:
        return _dashboard(session, exc.status, error=_text(exc))
    with _FLASH_LOCK:
        _flash()[session.csrf] = outcome
    return redirect("/admin", code=303)


_FLASH_LOCK = threading.Lock()


def _flash() -> dict[str, dict[str, Any]]:
    """Outcomes waiting to be shown once, per admin session (in memory: the node serves from
    one process; a one-time PIN lost in a restart is simply reset again)."""
    flash: dict[str, dict[str, Any]] = current_app.extensions.setdefault("presensi_admin_flash", {})
    return flash


def _take_flash(session: AdminSession) -> dict[str, Any]:
    with _FLASH_LOCK:
        return _flash().pop(session.csrf, {})


def _by() -> str:
    return f"admin@{request.remote_addr or 'unknown'}"


@bp.post("/reset-pin")
def reset_pin() -> ResponseReturnValue:
    def run(_: AdminSession) -> dict[str, Any]:
        done = admin_ops.reset_pin(
            service(), request.form.get("nip"), request.form.get("reason"), by=_by()
        )
        return {"pin_reset": done}

    return _action(run)


@bp.post("/keluarkan-perangkat")
def sign_out_devices() -> ResponseReturnValue:
    def run(_: AdminSession) -> dict[str, Any]:
        nip = request.form.get("nip")
        ended, seq = admin_ops.sign_out_devices(
            service(), nip, request.form.get("reason"), by=_by()
        )
        return {
            "notice": f"{ended} sesi perangkat untuk NIP {nip} diakhiri (log seq {seq}). "
            "Pegawai perlu masuk lagi dengan NIP dan PIN."
        }

    return _action(run)


@bp.post("/lokasi")
def set_office_location() -> ResponseReturnValue:
    def run(_: AdminSession) -> dict[str, Any]:
        location = office_location.parse(
            request.form.get("lat"), request.form.get("lon"), request.form.get("radius")
        )
        office_location.set_location(service().writer, location, by=_by())
        return {
            "notice": f"Lokasi kantor disimpan: {location.lat}, {location.lon}, radius "
            f"{location.radius_m} m. Presensi dengan lokasi di luar radius tetap "
            "dihitung dan ditandai."
        }

    return _action(run)


@bp.post("/kiosk-baru")
def rotate_kiosk() -> ResponseReturnValue:
    def run(_: AdminSession) -> dict[str, Any]:
        key_id = service().kiosk.make_key(service().writer, by=_by())
        return {
            "notice": f"Kunci layar kios baru dibuat ({key_id}). Buka alamat layar yang "
            "baru di layar kantor; alamat lama tidak berlaku lagi."
        }

    return _action(run)


@bp.get("/cadangan")
def backup() -> ResponseReturnValue:
    """A consistent copy of node.db (SQLite backup API), streamed and then removed."""
    required = _require()
    if not isinstance(required, AdminSession):
        return required
    svc = service()
    folder = tempfile.mkdtemp(prefix="presensi-backup-", dir=svc.paths.root)
    target = Path(folder) / "node.db"
    svc.store.backup(target)
    handle = open(target, "rb")  # noqa: SIM115 - closed by chunks() when the copy is sent
    os.unlink(target)  # the open handle keeps the data until then; nothing is left behind
    os.rmdir(folder)

    def chunks() -> Iterator[bytes]:
        with handle:
            while block := handle.read(1 << 20):
                yield block

    stamp = datetime.now(WITA).strftime("%Y-%m-%d-%H%M")
    name = f"presensi-{svc.identity.name}-{stamp}.db"
    return Response(
        chunks(),
        mimetype="application/vnd.sqlite3",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/poster.<ext>")
def poster(ext: str) -> ResponseReturnValue:
    required = _require()
    if not isinstance(required, AdminSession):
        return required
    url = _base_url() + "/"
    office = office_name(current_app.config, service().identity.name)
    if ext == "pdf":
        return Response(
            printables.poster_pdf(url, office),
            mimetype="application/pdf",
            headers={"Content-Disposition": 'inline; filename="poster.pdf"'},
        )
    if ext == "svg":
        return Response(
            printables.poster_svg(url, office),
            mimetype="image/svg+xml",
            headers={"Content-Disposition": 'attachment; filename="poster.svg"'},
        )
    raise ApiError("the poster is poster.pdf or poster.svg", code="not-found", status=404)


@bp.get("/kartu.pdf")
def cards() -> ResponseReturnValue:
    required = _require()
    if not isinstance(required, AdminSession):
        return required
    svc = service()
    unit = request.args.get("unit", "")
    members = roster.unit_members(svc.store, unit)
    if not members:
        return _dashboard(required, 404, error=MESSAGES["unit-unknown"])
    pdf = printables.cards_pdf(
        members, _base_url(), office_name(current_app.config, svc.identity.name)
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="kartu.pdf"'},
    )
