"""Campaigns such as the MMRV catch-up: calendar dates and a birth cohort, not an age.

Every family with a child in the cohort gets the message once, whether the child was registered
before the campaign began, joins while it runs, or the campaign was added to the plan late.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from local_bot_api.server import BotApiServer
from locales import gettext_for
from resources.message_plan import MessagePlan
from resources.service import ServiceRules
from scheduler import planner
from scheduler.planner import CAMPAIGN, run_planner
from store.models import Delivery, DeliveryStatus, SchedulerState
from tests.conftest import Clock
from tests.scheduler.conftest import local, make_dispatcher, make_family

Sessions = async_sessionmaker[AsyncSession]
CATCH_UP = "immunisations_mmrv_catch_up"
WELCOME_PL = gettext_for("pl")("<b>Here is where you are now</b>")[3:-4]


async def catch_up_rows(sessions: Sessions) -> list[Delivery]:
    async with sessions() as session:
        query = select(Delivery).where(Delivery.entry_key == CATCH_UP).order_by(Delivery.id)
        return list(await session.scalars(query))


def without_campaigns(plan: MessagePlan) -> MessagePlan:
    """The shipped plan as it was before the catch-up was added to it."""
    entries = [e for e in plan.entries if not e.is_campaign]
    texts = {loc: {e.key: plan.text(e.key, loc) for e in entries} for loc in plan.locales}
    return MessagePlan(entries, texts)


async def test_every_registered_child_of_the_cohort_gets_it_once_on_its_first_day(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 10, 20, 10)
    cohort = {201: date(2020, 1, 1), 202: date(2022, 8, 31), 203: date(2021, 5, 1)}
    outside = {204: date(2019, 12, 31), 205: date(2022, 9, 1)}
    for chat, born in (cohort | outside).items():
        await make_family(sessions, plan, clock, chat, born=born)
        bot_api.user(user_id=chat)
    await make_family(sessions, plan, clock, 206, born=date(2022, 3, 3), twins=True)
    bot_api.user(user_id=206)

    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    for day in range(20, 32):
        clock.now = local(2026, 10, day, 19)
        await run_planner(sessions, plan, date(2026, 10, day))
        await dispatcher.run_once()
    planned = await catch_up_rows(sessions)
    assert len(planned) == 5  # 201, 202, 203 and both twins of 206, planned ahead...
    assert {r.due_on for r in planned} == {date(2026, 11, 1)}
    assert {r.stale_on for r in planned} == {date(2028, 3, 31)}
    assert {r.status for r in planned} == {DeliveryStatus.PENDING}  # ...and not sent early

    for day in range(1, 8):
        clock.now = local(2026, 11, day, 19)
        await run_planner(sessions, plan, date(2026, 11, day))
        await dispatcher.run_once()
    assert len(await catch_up_rows(sessions)) == 5  # later days never plan it again
    for chat in (*cohort, 206):
        texts = [m.text for m in bot_api.user(user_id=chat).messages]
        assert sum("catch-up for the chickenpox vaccine" in t for t in texts) == 1, chat
    for chat in outside:
        assert not any("chickenpox vaccine" in m.text for m in bot_api.user(user_id=chat).messages)
    statuses = sorted(r.status for r in await catch_up_rows(sessions))
    assert statuses == [DeliveryStatus.SENT] * 4 + [DeliveryStatus.SKIPPED]  # the twin


async def test_a_child_added_while_it_runs_gets_it_the_day_after_the_welcome(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await run_planner(sessions, plan, date(2026, 11, 23))  # the campaign has already begun
    user = bot_api.user(user_id=210, language_code="pl")
    await make_family(sessions, plan, clock, 210, born=date(2022, 2, 14), locale="pl")
    dispatcher = make_dispatcher(
        sessions, bot, plan, rules, clock, article_ids=frozenset({"immunisations-mmrv"})
    )
    await dispatcher.run_once()
    assert [m.visible_text.splitlines()[0] for m in user.messages] == [WELCOME_PL]
    clock.now = local(2026, 11, 24, 10)
    await run_planner(sessions, plan, date(2026, 11, 24))
    await dispatcher.run_once()
    catch_up = user.messages[-1]
    assert catch_up.visible_text.startswith("Nadrabianie szczepienia przeciw ospie wietrznej")
    links = [b.get("callback_data") for row in catch_up.inline_keyboard for b in row]
    assert links == ["lib:a:immunisations-mmrv", "sup:s:vaccinations"]  # and a person to ask


async def test_a_campaign_added_to_the_plan_while_it_runs_reaches_families_the_same_day(
    sessions: Sessions, plan: MessagePlan, clock: Clock
) -> None:
    clock.now = local(2026, 11, 10, 10)
    older = without_campaigns(plan)
    await make_family(sessions, older, clock, 220, born=date(2021, 9, 9))
    await run_planner(sessions, older, date(2026, 11, 10))
    assert await catch_up_rows(sessions) == []

    clock.now = local(2026, 11, 23, 8)
    for day in range(11, 23):
        await run_planner(sessions, older, date(2026, 11, day))
    report = await run_planner(sessions, plan, date(2026, 11, 23))  # the new plan is loaded
    assert [r.due_on for r in await catch_up_rows(sessions)] == [date(2026, 11, 23)]
    assert report.days == 2  # the day it starts, then the one new day of the horizon
    async with sessions() as session:
        marker = await session.get(SchedulerState, CAMPAIGN + CATCH_UP)
    assert marker is not None and marker.value == "2026-11-23"


async def test_a_campaign_start_stopped_half_way_is_finished_by_the_next_run(
    sessions: Sessions, plan: MessagePlan, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It goes in chunks of ids, each committed: a stop leaves some planned and no marker,
    and the next run plans the rest, nothing twice."""
    clock.now = local(2026, 10, 20, 10)
    for chat in range(230, 234):
        await make_family(sessions, plan, clock, chat, born=date(2021, 6, 1))
    for day in range(20, 30):
        await run_planner(sessions, plan, date(2026, 10, day))
    monkeypatch.setattr(planner, "CHUNK_IDS", 2)
    insert_rows = planner._insert_rows
    committed: list[int] = []

    async def stopped_after_one_chunk(*args: Any) -> int:
        if committed:
            raise ConnectionError("the planner was stopped")
        inserted = await insert_rows(*args)
        if inserted and args[-1]:  # a chunk of what opens that day
            committed.append(inserted)
        return inserted

    monkeypatch.setattr(planner, "_insert_rows", stopped_after_one_chunk)
    with pytest.raises(ConnectionError):
        await run_planner(sessions, plan, date(2026, 10, 30))  # plans 1 November: it starts
    assert 0 < len(await catch_up_rows(sessions)) < 4
    async with sessions() as session:
        assert await session.get(SchedulerState, CAMPAIGN + CATCH_UP) is None

    monkeypatch.setattr(planner, "_insert_rows", insert_rows)
    await run_planner(sessions, plan, date(2026, 10, 30))
    planned = await catch_up_rows(sessions)
    assert len(planned) == 4
    assert {r.due_on for r in planned} == {date(2026, 11, 1)}
    async with sessions() as session:
        assert await session.get(SchedulerState, CAMPAIGN + CATCH_UP) is not None
