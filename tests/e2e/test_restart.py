"""The real `growwell` process, killed mid-sign-up and started again: the family carries on."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from local_bot_api.server import BotApiServer
from tests.e2e.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]


async def start_growwell(bot_api: BotApiServer, database_url: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
        "DATABASE_URL": database_url,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.main",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_killed_mid_sign_up_the_family_continues_at_the_same_question(
    bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    process = await start_growwell(bot_api, database_url)
    try:
        user = bot_api.user(user_id=5001, first_name="Iris", language_code="en")
        await user.send("/start")
        await user.replies(timeout=60)
        for label in ("Yes, that's OK", "English", "Mum", "I'm expecting a baby"):
            await user.press(label)
            await user.replies(timeout=10)
        assert user.last_message is not None
        assert user.last_message.visible_text.startswith("When is your baby due?")
        await asyncio.sleep(0.5)  # let the bot confirm the last update, as it would in life
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    process = await start_growwell(bot_api, database_url)
    try:
        await user.send("3/4/2027")
        replies = [m for m in await user.replies(timeout=60) if not m.edited]
        assert [m.visible_text for m in replies] == [
            "Just to check: did you mean Saturday, 3 April 2027?"
        ]
        await user.press("Yes, that's right")
        replies = [m for m in await user.replies(timeout=10) if not m.edited]
        assert replies[-1].visible_text.startswith("Thank you. I have:")
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()


async def test_killed_right_after_a_typed_answer_the_answer_is_kept(
    bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    user = bot_api.user(user_id=5002, first_name="Jo", language_code="en")
    process = await start_growwell(bot_api, database_url)
    try:
        await user.send("/start")
        await user.replies(timeout=60)
        for label in ("Yes, that's OK", "English", "Mum", "I'm expecting a baby"):
            await user.press(label)
            await user.replies(timeout=10)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    process = await start_growwell(bot_api, database_url)
    try:  # the first update of a fresh process: nothing of it was ever saved late before
        await user.send("3/4/2027")
        replies = [m for m in await user.replies(timeout=60, settle=0.0) if not m.edited]
        assert replies[-1].visible_text == "Just to check: did you mean Saturday, 3 April 2027?"
    finally:
        process.send_signal(signal.SIGKILL)  # the moment the question is on the screen
        await process.wait()

    process = await start_growwell(bot_api, database_url)
    try:
        await user.press("Yes, that's right")
        replies = [m for m in await user.replies(timeout=60) if not m.edited]
        assert replies[-1].visible_text.startswith("Thank you. I have:")
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
