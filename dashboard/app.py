"""The dashboard as an aiohttp sub-application, mounted at /dashboard on the web app beside
the partner API (api/server.py) and beside the sandbox's chat page (sandbox/web.py)."""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app_keys import CALENDAR, CLOCK, SESSIONS, SPOKES, ZONE
from dashboard.auth import add_auth_routes, csrf_checked, error_pages, signed_in
from dashboard.campaigns import add_campaign_routes
from dashboard.keys import POLICY, PREFIX
from dashboard.queue import add_queue_routes
from dashboard.render import template_filters
from dashboard.reports import add_report_routes
from dashboard.sessions import COOKIE_NAME, SessionPolicy
from domain.working_days import WorkingCalendar
from resources.spokes import Spokes

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
MOUNT = "/dashboard"


def new_secret_key() -> bytes:
    """A key for this run only: sessions end when the process does."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32))


def build_dashboard(
    sessions: async_sessionmaker[AsyncSession],
    spokes: Spokes,
    calendar: WorkingCalendar,
    clock: Callable[[], datetime],
    zone: ZoneInfo,
    *,
    secret_key: bytes,
    cookie_secure: bool,
    session_hours: int = 8,
    policy: SessionPolicy | None = None,
) -> web.Application:
    """The dashboard sub-application, to be mounted at MOUNT. `secret_key` is a Fernet key
    (32 bytes, url-safe base64)."""
    storage = EncryptedCookieStorage(
        Fernet(secret_key),
        cookie_name=COOKIE_NAME,
        path=MOUNT,
        max_age=session_hours * 3600,
        httponly=True,
        secure=cookie_secure,
        samesite="Lax",
    )
    app = web.Application(
        middlewares=[session_middleware(storage), error_pages, signed_in, csrf_checked]
    )
    app[SESSIONS] = sessions
    app[SPOKES] = spokes
    app[CALENDAR] = calendar
    app[CLOCK] = clock
    app[ZONE] = zone
    app[POLICY] = policy or SessionPolicy(lifetime_seconds=session_hours * 3600)
    app[PREFIX] = MOUNT
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(template_filters(zone))
    app[aiohttp_jinja2.static_root_key] = f"{MOUNT}/static"
    app.router.add_static("/static", HERE / "static", name="static")
    add_auth_routes(app)
    # feature routes
    add_campaign_routes(app)
    add_queue_routes(app)
    add_report_routes(app)
    return app


def mount(parent: web.Application, dashboard: web.Application) -> None:
    parent.add_subapp(MOUNT, dashboard)

    async def to_dashboard(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{MOUNT}/")

    parent.router.add_get(MOUNT, to_dashboard)
