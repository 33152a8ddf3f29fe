"""End-to-end fixtures: the real PTB application polling the in-repo Bot API server over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import GrowWellApplication, build_application
from config.settings import load_settings
from local_bot_api.server import BotApiServer
from resources.bundle import Resources
from tests.conftest import Clock
from tests.e2e.transcript import PROGRESS

TOKEN = "123456789:TEST-token-for-the-local-bot-api"
PROCESSED_GROUP = 1000  # after every group of the app, including its persistence flush


async def _mark_processed(update: Update, context: object) -> None:
    if update.effective_chat is not None:
        await PROGRESS.mark(update.effective_chat.id)


@pytest.fixture
async def bot_api() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(port=0) as server:
        yield server


async def start_bot(
    bot_api: BotApiServer,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    clock: Clock,
    *,
    run_jobs: bool = True,
    resources: Resources | None = None,
) -> GrowWellApplication:
    settings = load_settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=bot_api.base_url,
        database_url=database_url,
    )
    application = build_application(
        settings, sessions, clock=clock, run_jobs=run_jobs, resources=resources
    )
    application.add_handler(TypeHandler(Update, _mark_processed), group=PROCESSED_GROUP)
    await application.initialize()
    if application.post_init is not None:  # run_polling() would call it; we start by hand
        await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    return application


async def stop_bot(application: GrowWellApplication) -> None:
    assert application.updater is not None
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


@pytest.fixture
async def bot(
    bot_api: BotApiServer,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    clock: Clock,
) -> AsyncIterator[GrowWellApplication]:
    application = await start_bot(bot_api, sessions, database_url, clock)
    yield application
    await stop_bot(application)


@pytest.fixture
async def bot_without_jobs(
    bot_api: BotApiServer,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    clock: Clock,
) -> AsyncIterator[GrowWellApplication]:
    """The whole bot, but the planner and dispatcher run only when a test calls them."""
    application = await start_bot(bot_api, sessions, database_url, clock, run_jobs=False)
    yield application
    await stop_bot(application)
