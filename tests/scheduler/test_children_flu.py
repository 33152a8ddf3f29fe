"""The children's flu vaccine reminder: every autumn, to every child aged 2 to 4 on 1 September
(the ages are unconfirmed, so the message says to ask), once a season per family."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from domain import families, life_events
from domain.schedule import upcoming_for_child
from local_bot_api.server import BotApiServer
from resources.message_plan import MessagePlan, Priority
from resources.service import ServiceRules
from resources.topics import Topic
from scheduler.planner import run_planner
from store.models import Child, Delivery, DeliveryStatus, Family
from tests.conftest import Clock
from tests.scheduler.conftest import LONDON, local, make_dispatcher, make_family

Sessions = async_sessionmaker[AsyncSession]
FLU = "immunisations_children_flu"
ASK_THE_GP = "Ask your GP surgery or health visitor if your child can have it this year."


async def flu_rows(sessions: Sessions) -> dict[str, list[tuple[int, str]]]:
    """Season key: (chat, status) of each flu row."""
    async with sessions() as session:
        rows = await session.execute(
            select(Delivery.entry_key, Family.chat_id, Delivery.status)
            .join(Family, Family.id == Delivery.family_id)
            .where(Delivery.entry_key.startswith(FLU))
            .order_by(Family.chat_id)
        )
        found: dict[str, list[tuple[int, str]]] = {}
        for key, chat, status in rows:
            found.setdefault(key, []).append((chat, status.value))
        return found


async def test_every_child_aged_2_to_4_on_1_september_gets_it_each_autumn(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 8, 25, 9)
    born = {
        401: date(2024, 9, 1),  # 2 on 1 September 2026
        402: date(2024, 9, 2),  # 2 the day after: waits for autumn 2027
        403: date(2021, 9, 2),  # 4 in 2026, 5 in 2027
        404: date(2021, 9, 1),  # 5 on 1 September 2026
    }
    for chat, day in born.items():
        await make_family(sessions, plan, clock, chat, born=day)
        bot_api.user(user_id=chat)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    for day in range(25, 32):
        await run_planner(sessions, plan, date(2026, 8, day))
    for day in range(1, 4):
        await run_planner(sessions, plan, date(2026, 9, day))
        clock.now = local(2026, 9, day, 10)
        await dispatcher.run_once()
    assert await flu_rows(sessions) == {f"{FLU}:2026": [(401, "sent"), (403, "sent")]}
    for chat in born:
        flu = [m for m in bot_api.user(user_id=chat).messages if ASK_THE_GP in m.text]
        assert len(flu) == (chat in (401, 403)), chat

    for day in (date(2027, 8, 31), date(2027, 9, 1)):
        await run_planner(sessions, plan, day)
    rows = await flu_rows(sessions)
    assert rows[f"{FLU}:2027"] == [(401, "pending"), (402, "pending")]


async def test_a_child_added_in_the_season_gets_it_the_day_after_the_welcome(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 410, born=date(2023, 5, 5))  # 3 on 1 September
    user = bot_api.user(user_id=410)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    for day in (23, 24):
        await run_planner(sessions, plan, date(2026, 11, day))
        clock.now = local(2026, 11, day, 10)
        await dispatcher.run_once()
    welcome, flu = user.messages
    assert welcome.visible_text.startswith("Here is where you are now")
    assert flu.visible_text.startswith("Children's flu vaccine")
    assert ASK_THE_GP in flu.text
    assert await flu_rows(sessions) == {f"{FLU}:2026": [(410, "sent")]}


async def test_brothers_and_sisters_get_one_flu_reminder_a_season(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 8, 25, 9)
    await make_family(sessions, plan, clock, 420, born=date(2024, 3, 3))
    async with sessions.begin() as session:
        family = await families.find_family(session, 420)
        assert family is not None
        sister = families.add_child(family, born=date(2022, 2, 2))
        now = datetime(2026, 8, 25, 9, tzinfo=LONDON)
        await life_events.child_added(session, plan, family, sister, now, now.date())
    user = bot_api.user(user_id=420)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    for day in range(1, 4):
        await run_planner(sessions, plan, date(2026, 9, day))
        clock.now = local(2026, 9, day, 10)
        await dispatcher.run_once()
    assert sum(ASK_THE_GP in m.text for m in user.messages) == 1
    async with sessions() as session:
        statuses = await session.execute(
            select(Child.birth_date, Delivery.status)
            .join(Child, Child.id == Delivery.child_id)
            .where(Delivery.entry_key == f"{FLU}:2026")
        )
        assert sorted(status for _born, status in statuses) == [
            DeliveryStatus.SENT,
            DeliveryStatus.SKIPPED,
        ]


def test_my_reminders_shows_the_next_autumn_a_child_will_be_old_enough(plan: MessagePlan) -> None:
    coming, *_later = upcoming_for_child(
        plan,
        born=date(2024, 10, 15),  # 1 on 1 September 2026, 2 on 1 September 2027
        due=None,
        today=date(2026, 11, 23),
        topics={Topic.IMMUNISATIONS},
        priority=Priority.TIP,
    )
    assert (coming.day, coming.entry.key) == (date(2027, 9, 1), f"{FLU}:2027")


async def test_a_child_who_had_the_old_one_off_flu_reminder_this_autumn_is_not_sent_it_again(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    """Before it came every autumn, the flu reminder was a one-off with the outbox key 'FLU'.
    The 2026 season starts when this code does (late in the season): a child who had the
    one-off this autumn, or has it still to come, is not sent the season's one as well."""
    clock.now = local(2026, 8, 20, 9)
    had_it = {
        430: (DeliveryStatus.SENT, local(2026, 10, 5, 10)),  # this autumn
        431: (DeliveryStatus.PENDING, None),  # planned, still to go
        432: (DeliveryStatus.SENT, local(2025, 10, 5, 10)),  # last autumn
    }
    for chat in (*had_it, 433):
        await make_family(sessions, plan, clock, chat, born=date(2023, 5, 5))  # 3 in September
        bot_api.user(user_id=chat)
    async with sessions.begin() as session:
        for chat, (status, sent_at) in had_it.items():
            family = await families.find_family(session, chat)
            assert family is not None
            day = sent_at.date() if sent_at else date(2026, 11, 23)
            session.add(
                Delivery(
                    family_id=family.id,
                    child_id=family.children[0].id,
                    entry_key=FLU,
                    topic="immunisations",
                    priority=0,
                    due_on=day,
                    stale_on=day + timedelta(days=365),
                    status=status,
                    sent_at=sent_at,
                    attempts=1 if sent_at else 0,
                )
            )
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    await run_planner(sessions, plan, date(2026, 11, 23))
    clock.now = local(2026, 11, 23, 10)
    await dispatcher.run_once()  # the welcomes
    for day in (24, 25):
        await run_planner(sessions, plan, date(2026, 11, day))
        clock.now = local(2026, 11, day, 10)
        await dispatcher.run_once()
    rows = await flu_rows(sessions)
    assert rows[f"{FLU}:2026"] == [(432, "sent"), (433, "sent")]
    assert rows[FLU] == [(430, "sent"), (431, "sent"), (432, "sent")]
    sent_here = {
        chat: sum(ASK_THE_GP in m.text for m in bot_api.user(user_id=chat).messages)
        for chat in (*had_it, 433)
    }
    assert sent_here == {430: 0, 431: 1, 432: 1, 433: 1}  # 430's came before this code

    async with sessions.begin() as session:  # a corrected birthday plans the child again
        family = await families.find_family(session, 430)
        assert family is not None
        await life_events.date_changed(
            session,
            plan,
            family,
            family.children[0].id,
            "born",
            date(2023, 5, 6),
            date(2026, 11, 25),
        )
    assert (await flu_rows(sessions))[f"{FLU}:2026"] == [(432, "sent"), (433, "sent")]
