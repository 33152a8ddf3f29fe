"""The web app served beside the bot when WEB_PORT is set: the partner API today; the staff
dashboard adds its routes to the same Application."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app_keys import CALENDAR, CLOCK, SESSIONS, SPOKES
from api.partner_routes import MAX_BODY_BYTES, add_partner_routes, json_errors
from domain.working_days import WorkingCalendar
from resources.spokes import Spokes

log = logging.getLogger(__name__)


def build_web_app(
    sessions: async_sessionmaker[AsyncSession],
    spokes: Spokes,
    calendar: WorkingCalendar,
    clock: Callable[[], datetime],
) -> web.Application:
    """The Application with the partner API; more routes may be added before it starts."""
    # aiohttp's own cap on any body (the partner API checks its smaller one itself).
    app = web.Application(middlewares=[json_errors], client_max_size=4 * MAX_BODY_BYTES)
    app[SESSIONS] = sessions
    app[SPOKES] = spokes
    app[CALENDAR] = calendar
    app[CLOCK] = clock
    add_partner_routes(app)
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
