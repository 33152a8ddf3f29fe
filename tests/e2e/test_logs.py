"""Logs are safe to keep and to turn up: no message text, name, chat id or token, even at DEBUG;
an error names its kind and where it happened, never the row it was writing."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.app import GrowWellApplication
from bot.context import GrowWellContext
from local_bot_api.server import BotApiServer
from local_bot_api.users import TelegramUser
from store.models import Family
from tests.e2e.test_startup import SECRET, Growwell
from tests.e2e.transcript import says

CHAT_ID = 7351942086
FIRST_NAME = "Wilhelmina"
TYPED = "Zanzibar quokka lullaby"


async def said(user: TelegramUser, start: str, timeout: float = 30) -> None:  # noqa: ASYNC109
    """Wait until the bot has sent or edited a message that starts with `start`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        if any(m.visible_text.startswith(start) for m in await user.replies(timeout=left)):
            return
    raise AssertionError(f"the bot never said {start!r}")


async def test_at_debug_the_logs_hold_no_message_text_name_chat_id_or_token(
    bot_api: BotApiServer, database_url: str
) -> None:
    growwell = await Growwell.start(
        TELEGRAM_API_BASE_URL=bot_api.base_url, DATABASE_URL=database_url, LOG_LEVEL="DEBUG"
    )
    try:
        user = bot_api.user(user_id=CHAT_ID, first_name=FIRST_NAME, last_name="Quist")
        await user.send("/start")
        await said(user, "👋 Welcome to Grow Well")
        await user.send(TYPED)  # words where a button is expected
        await said(user, "Please tap one of the buttons")
        for label, question in (
            ("Yes, that's OK", "Which language"),
            ("English", "Who are you to the baby?"),
            ("Mum", "Are you expecting a baby"),
            ("I'm expecting a baby", "When is your baby due?"),
        ):
            await user.press(label)
            await said(user, question)
        await user.send("3/4/2027")
        await said(user, "Just to check")
    finally:
        await growwell.stop()
    output = growwell.output
    assert "Grow Well is running" in output  # the log was being written
    for private in (TYPED, FIRST_NAME, "Quist", str(CHAT_ID), "3/4/2027", SECRET):
        assert private not in output


async def test_a_database_error_is_logged_by_kind_and_place_without_the_rows_values(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def store_the_family_twice(update: Update, context: GrowWellContext) -> None:
        async with sessions.begin() as session:
            for _ in range(2):  # chat_id is unique: the second row breaks the constraint
                session.add(Family(chat_id=CHAT_ID, locale="pl", consented_at=datetime.now(UTC)))

    bot_without_jobs.add_handler(
        MessageHandler(filters.Regex("^twice$"), store_the_family_twice), group=-5
    )
    user = bot_api.user(user_id=CHAT_ID, first_name=FIRST_NAME)
    with caplog.at_level(logging.ERROR):
        await says(user, "twice")
    [record] = caplog.records
    line = caplog.text  # as a log handler prints it, with any exception attached
    assert record.getMessage().startswith("handler failed: IntegrityError")
    assert "tests/e2e/test_logs.py" in record.getMessage()  # where it happened
    assert "store_the_family_twice" in record.getMessage()
    assert str(CHAT_ID) not in line
    assert "'pl'" not in line
