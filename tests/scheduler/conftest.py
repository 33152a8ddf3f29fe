"""Fixtures for the reminder pipeline: families made through the domain, a real bot over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from domain import families, life_events
from local_bot_api.server import BotApiServer
from resources.message_plan import MessagePlan, load_plan
from resources.service import ServiceRules, shipped_service_rules
from scheduler.dispatcher import Dispatcher, DispatchReport
from store.engine import create_engine, session_factory
from store.models import Family, Role, SendTime
from tests.conftest import Clock

LONDON = ZoneInfo("Europe/London")
TOKEN = "123456789:TEST-token-for-the-local-bot-api"


@pytest.fixture(scope="session")
def plan() -> MessagePlan:
    return load_plan()


@pytest.fixture(scope="session")
def rules() -> ServiceRules:
    return shipped_service_rules()


@pytest.fixture
async def bot_api() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(port=0) as server:
        yield server


@pytest.fixture
async def bot(bot_api: BotApiServer) -> AsyncIterator[Bot]:
    """A plain PTB bot (no rate limiter), so faults the server injects reach the dispatcher."""
    async with Bot(TOKEN, base_url=bot_api.base_url) as client:
        yield client


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


async def make_family(
    sessions: async_sessionmaker[AsyncSession],
    plan: MessagePlan,
    clock: Clock,
    chat_id: int,
    *,
    born: date | None = None,
    due: date | None = None,
    twins: bool = False,
    send_time: SendTime = SendTime.MORNING,
    role: Role = Role.MUM,
    locale: str = "en",
) -> int:
    """A family registered now, as sign-up leaves it (children planned, welcome queued)."""
    now = clock()
    today = now.astimezone(LONDON).date()
    async with sessions.begin() as session:
        family = await families.record_consent(
            session, chat_id, locale=locale, source=None, now=now
        )
        families.set_role(family, role)
        for _ in range(2 if twins else 1):
            child = (
                families.add_child(family, born=born)
                if born
                else families.add_child(family, due_date=due)
            )
            await life_events.child_added(session, plan, family, child, now, today)
        families.set_area(family, "bootle", in_sefton=True)
        families.set_send_time(family, send_time)
        families.complete_registration(family, now)
        await life_events.registration_completed(session, plan, family, now, today)
        return family.id


async def get_family(sessions: async_sessionmaker[AsyncSession], chat_id: int) -> Family:
    async with sessions() as session:
        family = await families.find_family(session, chat_id)
        assert family is not None
        return family


def make_dispatcher(
    sessions: async_sessionmaker[AsyncSession],
    bot: Bot,
    plan: MessagePlan,
    rules: ServiceRules,
    clock: Clock,
    **options: object,
) -> Dispatcher:
    return Dispatcher(
        sessions=sessions,
        bot=bot,
        plan=plan,
        rules=rules,
        zone=LONDON,
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


async def race_dispatchers(
    count: int,
    database_url: str,
    bot_api: BotApiServer,
    plan: MessagePlan,
    rules: ServiceRules,
    clock: Clock,
    *,
    batch_size: int,
) -> list[DispatchReport]:
    """`count` dispatchers, each with its own engine and bot, running one pass at the same time.

    Every send takes as long as a short trip to Telegram, and every engine is connected first,
    so the dispatchers really overlap instead of one finishing before the next starts.
    """
    engines = [create_engine(database_url) for _ in range(count)]
    bots = [Bot(f"1:A-dispatcher-{n}", base_url=bot_api.base_url) for n in range(count)]
    bot_api.add_latency(0.01)
    try:
        for client in bots:
            await client.initialize()
        for engine in engines:
            async with engine.connect():
                pass
        dispatchers = [
            make_dispatcher(
                session_factory(engine), client, plan, rules, clock, batch_size=batch_size
            )
            for engine, client in zip(engines, bots, strict=True)
        ]
        return await asyncio.gather(*(d.run_once() for d in dispatchers))
    finally:
        for client in bots:
            await client.shutdown()
        for engine in engines:
            await engine.dispose()
