"""The dashboard on a real database, served by aiohttp's test server as the bot serves it
(the partner API and the dashboard in one web app), with helpers to make staff and sign in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.server import DashboardOptions, build_web_app
from dashboard.app import new_secret_key
from domain import referrals, web_accounts
from domain import staff as accounts
from domain.working_days import WorkingCalendar
from resources.spokes import load_spokes
from store.models import StaffMember, StaffRole
from tests.conftest import Clock

SPOKES = load_spokes()
CALENDAR = referrals.calendar_for(SPOKES, WorkingCalendar())
PASSWORD = "correct horse battery staple"
Sessions = async_sessionmaker[AsyncSession]
Client = TestClient[web.Request, web.Application]
MakeStaff = Callable[..., Awaitable[StaffMember]]

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def web_app(sessions: Sessions, clock: Clock, secret_key: bytes | None = None) -> web.Application:
    options = DashboardOptions(secret_key or new_secret_key(), cookie_secure=False)
    return build_web_app(sessions, SPOKES, CALENDAR, clock, dashboard=options)


@pytest.fixture
async def dashboard(sessions: Sessions, clock: Clock) -> AsyncIterator[Client]:
    """A client of the whole web app; its cookie jar keeps the dashboard session."""
    async with TestClient(TestServer(web_app(sessions, clock))) as client:
        yield client


@pytest.fixture
def make_staff(sessions: Sessions, clock: Clock) -> MakeStaff:
    """make_staff(name=, team=, role=, email=, password=): a member who can sign in."""

    async def make(
        name: str = "Priya Shah",
        team: str | None = "health_visiting",
        role: StaffRole = StaffRole.STAFF,
        email: str | None = None,
        password: str = PASSWORD,
    ) -> StaffMember:
        email = email or f"{name.lower().replace(' ', '.')}@nhs.example"
        async with sessions.begin() as session:
            created = await accounts.create_staff(
                session, name=name, team_id=team, role=role, teams=SPOKES.teams, now=clock()
            )
            member = created.member
            await web_accounts.set_email(session, member.id, email)
            await web_accounts.set_password(session, member.id, password)
            await session.refresh(member)
        return member

    return make


async def csrf_token(client: Client) -> str:
    """The session's CSRF token, as a page shows it (the account page when signed in, the
    sign-in page otherwise)."""
    response = await client.get("/dashboard/account")
    found = _CSRF_META.search(await response.text())
    assert found, "no csrf-token meta tag on the page"
    return found.group(1)


async def sign_in(
    client: Client, email: str, password: str = PASSWORD, *, follow: bool = False
) -> Any:
    token = await csrf_token(client)
    return await client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=follow,
    )


async def post_form(client: Client, path: str, data: dict[str, str]) -> Any:
    """A form post with the session's CSRF token, not following the redirect."""
    token = await csrf_token(client)
    return await client.post(path, data={**data, "csrf_token": token}, allow_redirects=False)
