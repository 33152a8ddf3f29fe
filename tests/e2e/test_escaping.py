"""What a family types is shown back as they typed it: never read as Telegram HTML.

The local Bot API server parses HTML as Telegram does and refuses a message with bad markup, so
an unescaped "Clinic <3" would stop the conversation and its reminders here as it does in life.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import GrowWellApplication
from local_bot_api.server import BotApiServer
from scheduler.dispatcher import Dispatcher
from tests.conftest import Clock
from tests.e2e.transcript import says, taps
from tests.scheduler.conftest import local, make_family


@pytest.mark.parametrize(
    "what",
    ["Clinic <3", '<a href="https://x">hi</a> & <b>jabs</b>'],
    ids=["heart", "markup"],
)
async def test_an_appointment_name_is_shown_back_and_reminded_exactly_as_typed(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    what: str,
) -> None:
    services = bot_without_jobs.bot_data["services"]
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, services.plan, clock, 8101, born=date(2026, 10, 1))
    user = bot_api.user(user_id=8101)
    await says(user, "/appointment")
    await says(user, what)
    await says(user, "26/11/2026")
    [check] = await says(user, "2:15pm")
    assert check.visible_text == (
        f"Shall I save this? {what} on Thursday, 26 November 2026 at 14:15."
    )
    # The name is in bold, and nothing the family typed became a link or a tag.
    assert [e["type"] for e in check.raw.get("entities", [])] == ["bold"]
    [saved] = await taps(user, "Yes, save it")
    assert saved.visible_text.startswith("Saved.")

    dispatcher: Dispatcher = bot_without_jobs.bot_data["dispatcher"]
    clock.now = local(2026, 11, 25, 18, 45)
    await dispatcher.run_once()
    clock.now = local(2026, 11, 26, 12, 20)
    await dispatcher.run_once()
    reminders = [m for m in await user.replies() if m.visible_text.startswith("⏰")]
    assert [m.visible_text for m in reminders] == [
        f"⏰ Reminder: {what} is tomorrow, Thursday, 26 November 2026, at 14:15.",
        f"⏰ Reminder: {what} is today at 14:15.",
    ]
    assert all(not m.raw.get("entities") for m in reminders)
