"""A family's update reaches the database through one connection at a time.

On SQLite every transaction takes the write lock first, so a second connection opened while the
first is still in use waits for it: 30 s, then "something went wrong".
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from local_bot_api.server import BotApiServer
from store.models import Family
from tests.e2e.test_onboarding import signed_up
from tests.e2e.transcript import says, taps


class ConnectionsInUse:
    """The most connections one task of the bot held at the same moment.

    A task that asks for a second connection while it holds one waits on itself if the first
    holds a lock. Different tasks may each hold one: PTB writes its persistence in parallel.
    (SQLAlchemy may give a connection back from a task of its own, so the taker is noted.)
    """

    def __init__(self) -> None:
        self.taken_by: dict[object, asyncio.Task[Any] | None] = {}
        self.held: Counter[asyncio.Task[Any] | None] = Counter()
        self.most = 0

    def checked_out(self, _connection: object, record: object, _proxy: object) -> None:
        task = self.taken_by[record] = asyncio.current_task()
        self.held[task] += 1
        self.most = max(self.most, self.held[task])

    def checked_in(self, _connection: object, record: object) -> None:
        if record in self.taken_by:
            self.held[self.taken_by.pop(record)] -= 1


@contextmanager
def connections_in_use(sessions: async_sessionmaker[AsyncSession]) -> Iterator[ConnectionsInUse]:
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    counter = ConnectionsInUse()
    event.listen(engine.sync_engine, "checkout", counter.checked_out)
    event.listen(engine.sync_engine, "checkin", counter.checked_in)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "checkout", counter.checked_out)
        event.remove(engine.sync_engine, "checkin", counter.checked_in)


async def test_pause_before_signing_up_asks_to_sign_up_first(
    bot_without_jobs: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    nia = bot_api.user(user_id=3101, first_name="Nia", language_code="en")
    [paused] = await says(nia, "/pause")
    assert paused.visible_text == "Please send /start to sign up first."
    [resumed] = await says(nia, "/resume")
    assert resumed.visible_text == "Please send /start to sign up first."
    async with sessions() as session:  # still nothing is kept about them
        assert await session.scalar(select(Family)) is None


async def test_no_update_holds_two_database_connections_at_once(
    bot_without_jobs: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    with connections_in_use(sessions) as connections:
        newcomer = bot_api.user(user_id=3102, first_name="Ola", language_code="pl")
        await says(newcomer, "/pause")
        await says(newcomer, "/mydata")
        await says(newcomer, "/settings")
        family = await signed_up(bot_api, user_id=3103, born="2/9/2026")
        await says(family, "/pause")
        await says(family, "/resume")
        await says(family, "/reminders")
        await taps(family, "🔕 Choose my tips")
        await taps(family, "✅ feeding")
        await says(family, "/library")
        await says(family, "/mydata")
        await says(family, "/settings")
        await taps(family, "🕒 Message time")
        await taps(family, "Evening, around 18:30")
        await taps(family, "🌐 Language")
        await taps(family, "Português")
    assert connections.most == 1
