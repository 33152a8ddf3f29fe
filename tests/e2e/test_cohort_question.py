"""The MMRV catch-up's question as a family meets it: asked once, with Yes and No buttons."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import GrowWellApplication
from local_bot_api.server import BotApiServer
from local_bot_api.users import TelegramUser
from scheduler.dispatcher import Dispatcher
from scheduler.planner import run_planner
from tests.conftest import Clock
from tests.e2e.transcript import flat, forges, presses
from tests.scheduler.conftest import local, make_family

Sessions = async_sessionmaker[AsyncSession]
ASKED = "Do you have a child born between 1 January 2020 and 31 August 2022?"


async def asked(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock, chat: int
) -> TelegramUser:
    """A family with a three-year-old signs up on 23 November 2026; the question comes once
    the welcome and this season's flu reminder have gone."""
    services = bot.bot_data["services"]
    dispatcher: Dispatcher = bot.bot_data["dispatcher"]
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, services.plan, clock, chat, born=date(2023, 6, 1))
    user = bot_api.user(user_id=chat)
    for day in (23, 24, 25):
        await run_planner(sessions, services.plan, date(2026, 11, day))
        clock.now = local(2026, 11, day, 10)
        await dispatcher.run_once()
    *_, question = await user.replies()
    assert question.visible_text == f"A quick question\n{ASKED} " + (
        "I have some health information for children born then."
    )
    assert flat(question.buttons) == ["Yes, I do", "No, I don't"]
    return user


async def test_yes_gives_the_catch_up_information_and_the_question_is_answered(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
) -> None:
    user = await asked(bot_without_jobs, bot_api, sessions, clock, 8101)
    edited, answer = await presses(user, "Yes, I do")
    assert edited.edited and edited.buttons == []
    assert answer.visible_text.startswith("A catch-up for the chickenpox vaccine")
    assert "If your child has not had 2 doses of MMR or MMRV" in answer.visible_text
    assert flat(answer.buttons) == ["📖 Read more"]


async def test_no_is_thanked_and_a_forged_answer_does_nothing(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
) -> None:
    user = await asked(bot_without_jobs, bot_api, sessions, clock, 8102)
    question = user.messages[-1]
    edited, answer = await presses(user, "No, I don't")
    assert edited.buttons == []
    assert answer.visible_text == "Thank you. I won't ask again."
    assert await forges(user, question.message_id, "ask:yes:review_new_birth") == []
