"""What every route of the web app needs, stored on the aiohttp Application (typed keys)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.working_days import WorkingCalendar
from resources.spokes import Spokes

SESSIONS = web.AppKey[async_sessionmaker[AsyncSession]]("sessions")
SPOKES = web.AppKey[Spokes]("spokes")
CALENDAR = web.AppKey[WorkingCalendar]("calendar")
CLOCK = web.AppKey[Callable[[], datetime]]("clock")
ZONE = web.AppKey[ZoneInfo]("zone")
