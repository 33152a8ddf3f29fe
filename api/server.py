"""The web app served beside the bot when WEB_PORT is set: the partner API at /api/v1 and the
staff dashboard at /dashboard (a sub-application: dashboard/app.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app_keys import CALENDAR, CLOCK, SESSIONS, SPOKES, ZONE
from api.partner_routes import MAX_BODY_BYTES, add_partner_routes, json_errors
from domain.working_days import WorkingCalendar
from resources.spokes import Spokes

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class DashboardOptions:
    """How the dashboard keeps its sessions (config/settings.py's WEB_* settings)."""

    secret_key: bytes
    cookie_secure: bool = True
    session_hours: int = 8


def build_web_app(
    sessions: async_sessionmaker[AsyncSession],
    spokes: Spokes,
    calendar: WorkingCalendar,
    clock: Callable[[], datetime],
    *,
    zone: ZoneInfo = LONDON,
    dashboard: DashboardOptions | None = None,
) -> web.Application:
    """The Application with the partner API, and the dashboard when `dashboard` is given."""
    # aiohttp's own cap on any body (the partner API checks its smaller one itself).
    app = web.Application(middlewares=[json_errors], client_max_size=4 * MAX_BODY_BYTES)
    app[SESSIONS] = sessions
    app[SPOKES] = spokes
    app[CALENDAR] = calendar
    app[CLOCK] = clock
    app[ZONE] = zone
    add_partner_routes(app)
    if dashboard is not None:
        from dashboard.app import build_dashboard, mount

        mount(
            app,
            build_dashboard(
                sessions,
                spokes,
                calendar,
                clock,
                zone,
                secret_key=dashboard.secret_key,
                cookie_secure=dashboard.cookie_secure,
                session_hours=dashboard.session_hours,
            ),
        )
    return app


async def start_web(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve `app` on host:port until `runner.cleanup()`. Raises OSError if the port is taken."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    log.info("web server listening on http://%s:%d", host, port)
    return runner
