"""A dispatcher in a process of its own, for tests that kill it mid-batch.

    python -m tests.scheduler.dispatcher_process DATABASE_URL BASE_URL NOW BATCH_SIZE

It sends what is due at NOW (an ISO time) as the dispatcher does, in batches of BATCH_SIZE with
four sends in flight, through a plain PTB bot to the Bot API server at BASE_URL, then exits.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta

from telegram import Bot

from resources.message_plan import load_plan
from resources.service import shipped_service_rules
from scheduler.dispatcher import Dispatcher
from store.engine import create_engine, session_factory
from tests.scheduler.conftest import LONDON, TOKEN

CONCURRENCY = 4


async def dispatch(database_url: str, base_url: str, now: datetime, batch_size: int) -> None:
    engine = create_engine(database_url)
    try:
        async with Bot(TOKEN, base_url=base_url) as bot:
            dispatcher = Dispatcher(
                sessions=session_factory(engine),
                bot=bot,
                plan=load_plan(),
                rules=shipped_service_rules(),
                zone=LONDON,
                clock=lambda: now,
                batch_size=batch_size,
                concurrency=CONCURRENCY,
                budget=timedelta(minutes=1),
            )
            await dispatcher.run_once()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    url, base, at, size = sys.argv[1:5]
    asyncio.run(dispatch(url, base, datetime.fromisoformat(at), int(size)))
