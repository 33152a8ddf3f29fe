"""Rendering a dashboard page: the template, plus what every page shows (who is signed in,
the navigation, the CSRF token) and the headers every page sends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup, escape

from dashboard.keys import CSRF, STAFF
from store.models import StaffRole

# (route name, label, admins only). A feature's link shows once its routes are added.
NAVIGATION = (
    ("queue", "Queue", False),
    ("reports", "Reports", False),
    ("campaigns", "Campaigns", True),
    ("audit", "Audit log", True),
    ("account", "Account", False),
)

# Scripts and styles only from the dashboard itself: no CDN, so it works offline and in the
# sandbox, and an injected <script> cannot run.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def navigation(request: web.Request) -> list[dict[str, Any]]:
    staff = request.get(STAFF)
    if staff is None:
        return []
    names = request.app.router.named_resources()
    current = request.match_info.route.name
    return [
        {"name": name, "label": label, "current": name == current}
        for name, label, admin_only in NAVIGATION
        if name in names and (not admin_only or staff.role is StaffRole.ADMIN)
    ]


def render(
    request: web.Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    token = request.get(CSRF, "")
    staff = request.get(STAFF)
    page: dict[str, Any] = {
        "staff": staff,
        "nav": navigation(request),
        "csrf_token": token,
        "csrf_field": lambda: Markup(
            f'<input type="hidden" name="csrf_token" value="{escape(token)}">'
        ),
        "is_admin": staff is not None and staff.role is StaffRole.ADMIN,
    }
    page.update(context or {})
    response = aiohttp_jinja2.render_template(template, request, page, status=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def template_filters(zone: ZoneInfo) -> dict[str, Callable[..., str]]:
    """Jinja filters for times in the service's zone, written the British way (4 Dec 2026,
    14:05); `iso` is for <time datetime="...">."""

    def when(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(zone).strftime("%-d %b %Y, %H:%M")

    def day(value: date | None) -> str:
        return "" if value is None else value.strftime("%-d %b %Y")

    def iso(value: date | datetime | None) -> str:
        if isinstance(value, datetime):
            return value.astimezone(zone).isoformat(timespec="minutes")
        return "" if value is None else value.isoformat()

    return {"when": when, "day": day, "iso": iso}
