"""Officials' pages besides the day view: alerts (paged, filtered, acknowledged by an admin
with a reason), the audit log, and accounts (an admin adds accounts and resets passwords)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from . import accounts, alerts, pagetime
from .audit import ACTION_ID
from .errors import ApiError
from .i18n import current_lang, gettext
from .page_session import (
    check_official_form,
    install_page_errors,
    now,
    page,
    require_official,
    setting,
)
from .web import service

bp = Blueprint("official", __name__, url_prefix="/dashboard")
install_page_errors(bp)

AUDIT_PAGE = 50


def wita(seconds: float | None) -> str:
    """``hari ini 15.13 WITA``, ``kemarin ...`` or ``3 Des 2026 15.13 WITA`` in the page's
    language (never a raw ISO timestamp): ``central/pagetime.py``."""
    return pagetime.when(seconds, now(), gettext, current_lang())


def _page_links(total: int, page_no: int, per_page: int, args: dict[str, Any]) -> dict[str, Any]:
    def link(n: int) -> str:
        return "?" + urlencode({**{k: v for k, v in args.items() if v}, "page": n})

    return {
        "total": total,
        "first": (page_no - 1) * per_page + 1 if total else 0,
        "last": min(total, page_no * per_page),
        "prev": link(page_no - 1) if page_no > 1 else None,
        "next": link(page_no + 1) if page_no * per_page < total else None,
    }


@bp.get("/peringatan")
def alerts_page() -> ResponseReturnValue:
    require_official()
    filters = alerts.parse_filters(request.args, int(setting("ALERTS_PAGE_SIZE")))
    listing = alerts.list_alerts(service().store, **filters)
    nodes = [n.name for n in service().store.nodes()]
    return page(
        "alerts.html",
        listing=listing,
        filters=filters,
        nodes=nodes,
        kinds=sorted(set(alerts.KIND_ID) | set(listing["open_by_kind"])),
        kind_label=alerts.kind_label,
        wita=wita,
        pages=_page_links(
            listing["total"],
            filters["page"],
            filters["per_page"],
            {"node": filters["node"], "kind": filters["kind"], "state": filters["state"]},
        ),
    )


@bp.post("/peringatan/<int:alert_id>/tindak")
def acknowledge(alert_id: int) -> ResponseReturnValue:
    who = check_official_form()
    alerts.acknowledge(service().store, who, alert_id, request.form.get("reason"), now())
    back = request.form.get("back") or ""
    if (
        not back.startswith("?")
        or "//" in back
        or "\\" in back
        or len(back) > 300
        or not back.isascii()
        or not back.isprintable()
    ):
        back = ""
    return redirect(url_for("official.alerts_page") + back, code=303)


@bp.get("/audit")
def audit_page() -> ResponseReturnValue:
    require_official("admin")
    page_no = alerts._positive(request.args.get("page"), 1, "page", 10**6)
    entries, total = service().store.audit_page((page_no - 1) * AUDIT_PAGE, AUDIT_PAGE)
    return page(
        "audit.html",
        entries=entries,
        wita=wita,
        action_id=ACTION_ID,
        pages=_page_links(total, page_no, AUDIT_PAGE, {}),
    )


def _accounts_page(status: int = 200, **extra: Any) -> ResponseReturnValue:
    store = service().store
    listed = [a for a in store.accounts() if not a.machine]
    units = sorted({e.unit for e in store.employees()})
    return page(
        "accounts.html",
        status,
        accounts=listed,
        units=units,
        wita=wita,
        **{"link": None, "error": None, **extra},
    )


@bp.get("/akun")
def accounts_page() -> ResponseReturnValue:
    require_official("admin")
    return _accounts_page()


def _link_url(link: str) -> str:
    base = str(setting("PUBLIC_URL")).rstrip("/")
    return base + url_for("signin.set_password_form", link=link)


@bp.post("/akun")
def add_account() -> ResponseReturnValue:
    who = check_official_form("admin")
    units = [u for u in request.form.getlist("unit") if u]
    try:
        link = accounts.create_account(
            service().store,
            request.form.get("name", "").strip(),
            request.form.get("role", ""),
            units,
            actor=who.account,
            now=now(),
            link_hours=float(setting("PASSWORD_LINK_HOURS")),
        )
    except ApiError as exc:
        return _accounts_page(exc.status, error=exc.message)
    return _accounts_page(201, link=_link_url(link), link_for=request.form.get("name"))


@bp.post("/akun/<name>/reset")
def reset_account(name: str) -> ResponseReturnValue:
    who = check_official_form("admin")
    try:
        link = accounts.reset_password(
            service().store,
            name,
            actor=who.account,
            reason=request.form.get("reason"),
            now=now(),
            link_hours=float(setting("PASSWORD_LINK_HOURS")),
        )
    except ApiError as exc:
        return _accounts_page(exc.status, error=exc.message)
    return _accounts_page(link=_link_url(link), link_for=name)
