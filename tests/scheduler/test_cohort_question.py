"""The MMRV catch-up's question: most of its cohort is over 5, too old to be added, so every
family with no child of the cohort added is asked once, while it runs, whether they have one."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from domain import families, life_events
from local_bot_api.server import BotApiServer
from resources.message_plan import MessagePlan
from resources.service import ServiceRules
from scheduler.planner import run_planner
from scheduler.rendering import QUESTION_ANSWER_PATTERN
from store.models import Delivery, DeliveryStatus, Family
from tests.conftest import Clock
from tests.scheduler.conftest import local, make_dispatcher, make_family

Sessions = async_sessionmaker[AsyncSession]
QUESTION_KEY = "immunisations_mmrv_catch_up:ask"
ASKED = "Do you have a child born between 1 January 2020 and 31 August 2022?"


async def questions(sessions: Sessions) -> list[tuple[int, DeliveryStatus, date]]:
    """(chat, status, due day) of every question row."""
    async with sessions() as session:
        rows = await session.execute(
            select(Family.chat_id, Delivery.status, Delivery.due_on)
            .join(Family, Family.id == Delivery.family_id)
            .where(Delivery.entry_key == QUESTION_KEY)
            .order_by(Family.chat_id)
        )
        return [(chat, status, due) for chat, status, due in rows]


async def test_when_the_catch_up_starts_each_family_without_a_child_of_its_cohort_is_asked_once(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 10, 20, 9)
    await make_family(sessions, plan, clock, 501, born=date(2021, 6, 1))  # in the cohort
    await make_family(sessions, plan, clock, 502, born=date(2026, 9, 1))
    await make_family(sessions, plan, clock, 503, due=date(2027, 3, 1))
    for chat in (501, 502, 503):
        bot_api.user(user_id=chat)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    day = date(2026, 10, 20)
    while day <= date(2026, 11, 20):
        await run_planner(sessions, plan, day)
        clock.now = local(day.year, day.month, day.day, 10)
        await dispatcher.run_once()
        day += timedelta(days=1)
    assert await questions(sessions) == [
        (502, DeliveryStatus.SENT, date(2026, 11, 1)),
        (503, DeliveryStatus.SENT, date(2026, 11, 1)),
    ]
    for chat in (502, 503):
        [asked] = [m for m in bot_api.user(user_id=chat).messages if ASKED in m.visible_text]
        assert asked.buttons == [["Yes, I do"], ["No, I don't"]]
        for row in asked.inline_keyboard:
            data = row[0]["callback_data"]
            assert re.match(QUESTION_ANSWER_PATTERN, data) and len(data.encode()) <= 64
    assert not any(ASKED in m.visible_text for m in bot_api.user(user_id=501).messages)


async def test_a_family_who_registers_while_it_runs_is_asked_after_the_welcome(
    sessions: Sessions, plan: MessagePlan, clock: Clock
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await run_planner(sessions, plan, date(2026, 11, 23))  # the catch-up has begun
    await make_family(sessions, plan, clock, 510, born=date(2026, 10, 1))
    await make_family(sessions, plan, clock, 511, born=date(2022, 3, 3))  # in the cohort
    await run_planner(sessions, plan, date(2026, 11, 24))
    assert await questions(sessions) == [(510, DeliveryStatus.PENDING, date(2026, 11, 24))]


async def test_a_loss_withdraws_a_question_not_yet_sent(
    sessions: Sessions, plan: MessagePlan, clock: Clock
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 520, due=date(2027, 1, 10))
    async with sessions.begin() as session:
        family = await families.find_family(session, 520)
        assert family is not None
        await life_events.loss_reported(session, family, family.children[0].id, clock())
    [(_chat, status, _due)] = await questions(sessions)
    assert status is DeliveryStatus.CANCELLED


async def test_nobody_is_asked_once_the_catch_up_has_ended(
    sessions: Sessions, plan: MessagePlan, clock: Clock
) -> None:
    clock.now = local(2028, 4, 1, 9)
    await make_family(sessions, plan, clock, 530, born=date(2028, 3, 1))
    await run_planner(sessions, plan, date(2028, 4, 1))
    assert await questions(sessions) == []


async def test_a_family_whose_only_child_died_is_not_asked_when_the_catch_up_starts(
    sessions: Sessions, plan: MessagePlan, clock: Clock
) -> None:
    clock.now = local(2026, 10, 20, 9)
    await make_family(sessions, plan, clock, 540, due=date(2027, 1, 10))
    await make_family(sessions, plan, clock, 541, due=date(2027, 1, 10))
    async with sessions.begin() as session:
        family = await families.find_family(session, 540)
        assert family is not None
        await life_events.loss_reported(session, family, family.children[0].id, clock())
    await run_planner(sessions, plan, date(2026, 11, 1))
    assert [chat for chat, _status, _due in await questions(sessions)] == [541]
