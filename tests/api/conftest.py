"""The partner API against a real database: the web app as `build_web_app` makes it, served
by aiohttp's test server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.server import build_web_app
from domain import partners, referrals
from domain.working_days import WorkingCalendar
from resources.spokes import load_spokes
from tests.conftest import Clock

SPOKES = load_spokes()
CALENDAR = referrals.calendar_for(SPOKES, WorkingCalendar())
Sessions = async_sessionmaker[AsyncSession]
Client = TestClient[web.Request, web.Application]


async def make_key(sessions: Sessions, clock: Clock, partner: str, *spokes: str) -> str:
    async with sessions.begin() as session:
        created = await partners.create_key(
            session,
            partner=partner,
            spokes=spokes,
            known_spokes=[spoke.id for spoke in SPOKES.spokes],
            now=clock(),
        )
        return created.secret


@pytest.fixture
async def client(sessions: Sessions, clock: Clock) -> AsyncIterator[Client]:
    app = build_web_app(sessions, SPOKES, CALENDAR, clock)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def police(sessions: Sessions, clock: Clock) -> str:
    """The police's key, for safe sleep only."""
    return await make_key(sessions, clock, "police", "safe_sleep")
