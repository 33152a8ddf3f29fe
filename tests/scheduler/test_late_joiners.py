"""A family who joins late still gets what matters while it is in its window: the pregnancy
vaccines, the contacts and reviews ahead, and the safety and wellbeing messages marked
time-critical in the plan. One a day, from the day after the welcome, the most urgent first,
and never a backlog of past tips."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from domain import families, life_events
from local_bot_api.server import BotApiServer
from resources.message_plan import MessagePlan
from resources.service import ServiceRules
from resources.topics import Topic
from scheduler.planner import run_planner
from store.models import Delivery, DeliveryStatus
from tests.conftest import Clock
from tests.scheduler.conftest import local, make_dispatcher, make_family

Sessions = async_sessionmaker[AsyncSession]
WELCOME = "where you are now"
QUESTION = "question"
JOINED = date(2026, 11, 23)


def key_of(plan: MessagePlan, text: str) -> str:
    """Which message a family received: a plan key, the welcome or a campaign's question."""
    for entry in plan.entries:
        if plan.text(entry.key, "en") == text:
            return entry.key
    if "Here is where you are now" in text:
        return WELCOME
    assert "A quick question" in text, text
    return QUESTION


async def day_by_day(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
    chat_id: int,
    first: date,
    days: int,
) -> list[tuple[date, str]]:
    """Plan each day, send at 10:00 (after the family's 09:30); what came on which day."""
    user = bot_api.user(user_id=chat_id)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    received: list[tuple[date, str]] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        await run_planner(sessions, plan, day)
        clock.now = local(day.year, day.month, day.day, 10)
        seen = len(user.history)
        await dispatcher.run_once()
        received += [(day, key_of(plan, m.text)) for m in user.history[seen:]]
    return received


def one_a_day(received: list[tuple[date, str]]) -> bool:
    days = [day for day, _ in received]
    return len(days) == len(set(days))


async def test_a_family_due_in_march_who_joins_in_november_gets_this_seasons_flu_reminder(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 301, due=date(2027, 3, 15))  # 23 weeks
    received = await day_by_day(sessions, plan, rules, bot, bot_api, clock, 301, JOINED, 10)
    keys = [key for _, key in received]
    # Vaccines first (the whooping cough window closes at 28 weeks, flu's at 39), then the
    # tip due on the day they joined, then Healthy Start, still open until 31 weeks.
    assert keys[:5] == [
        WELCOME,
        "pregnancy_whooping_cough",
        "pregnancy_flu",
        "pregnancy_wellbeing",
        "pregnancy_healthy_start",
    ]
    assert received[1][0] == JOINED + timedelta(days=1)
    # Tips dated before they joined are not sent late.
    assert "pregnancy_free_dental_care" not in keys
    assert "pregnancy_smoke_free" not in keys
    assert one_a_day(received)


async def test_at_37_weeks_only_what_is_still_in_its_window_comes(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 302, due=date(2026, 12, 14))
    received = await day_by_day(sessions, plan, rules, bot, bot_api, clock, 302, JOINED, 7)
    # RSV closed at 36 weeks, the antenatal contact at 35, the whooping cough check at 34.
    assert [key for _, key in received] == [WELCOME, "pregnancy_flu", QUESTION]
    assert one_a_day(received)


async def test_a_baby_12_days_old_still_gets_the_new_birth_visit_and_the_safety_messages(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 303, born=date(2026, 11, 11))
    received = await day_by_day(sessions, plan, rules, bot, bot_api, clock, 303, JOINED, 30)
    keys = [key for _, key in received]
    # The review first, then the time-critical tips whose window closes soonest (psychosis
    # by day 27, vitamin D by day 45), then the tip due the day after they joined.
    assert keys[:5] == [
        WELCOME,
        "review_new_birth",
        "wellbeing_postpartum_psychosis",
        "feeding_vitamin_d_baby",
        "safe_sleep_sofas_and_chairs",
    ]
    assert {"safe_sleep_sharing_a_bed", "feeding_healthy_start_baby"} <= set(keys)
    past_tips = {
        "safe_sleep_on_the_back",
        "safe_sleep_feet_to_foot",
        "feeding_responsive",
        "wellbeing_baby_blues",
        "safe_sleep_room_and_temperature",
        "crying_what_to_expect",
    }
    assert past_tips.isdisjoint(keys)
    assert one_a_day(received)


async def test_nothing_a_late_joiner_gets_goes_out_before_the_welcome(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 304, born=date(2026, 11, 11))
    user = bot_api.user(user_id=304)
    bot_api.inject_fault(method="sendMessage", status=429, retry_after=3600, times=1)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    await run_planner(sessions, plan, JOINED)
    for hour, minute in ((10, 0), (10, 30), (11, 1)):
        clock.now = local(2026, 11, 23, hour, minute)
        await dispatcher.run_once()
    assert [key_of(plan, m.text) for m in user.messages] == [WELCOME]  # held back an hour
    await run_planner(sessions, plan, JOINED + timedelta(days=1))
    clock.now = local(2026, 11, 24, 10)
    await dispatcher.run_once()
    assert [key_of(plan, m.text) for m in user.messages] == [WELCOME, "review_new_birth"]


async def test_late_twins_get_each_message_once(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 305, born=date(2026, 11, 11), twins=True)
    received = await day_by_day(sessions, plan, rules, bot, bot_api, clock, 305, JOINED, 8)
    keys = [key for _, key in received]
    assert len(keys) == len(set(keys)) == 8
    async with sessions() as session:
        rows = await session.scalars(
            select(Delivery.status).where(Delivery.entry_key == "review_new_birth")
        )
        assert sorted(rows) == [DeliveryStatus.SENT, DeliveryStatus.SKIPPED]


async def test_a_message_a_late_joiner_already_got_is_not_sent_again_when_plans_change(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 306, born=date(2026, 11, 11))
    first = await day_by_day(sessions, plan, rules, bot, bot_api, clock, 306, JOINED, 3)
    assert [key for _, key in first][1:] == ["review_new_birth", "wellbeing_postpartum_psychosis"]
    # The family corrects the birthday, and mutes and unmutes a topic: both plan again.
    today = JOINED + timedelta(days=3)
    async with sessions.begin() as session:
        family = await families.find_family(session, 306)
        assert family is not None
        child_id = family.children[0].id
        await life_events.date_changed(
            session, plan, family, child_id, "born", date(2026, 11, 12), today
        )
        await life_events.mute_topic(session, family, Topic.MENTAL_HEALTH)
        await life_events.unmute_topic(session, plan, family, Topic.MENTAL_HEALTH, today)
    later = await day_by_day(sessions, plan, rules, bot, bot_api, clock, 306, today, 20)
    keys = [key for _, key in first + later]
    assert keys.count("review_new_birth") == 1
    assert keys.count("wellbeing_postpartum_psychosis") == 1
    assert len(keys) == len(set(keys))


async def test_a_family_who_joins_before_flu_season_gets_the_flu_reminder_when_it_begins(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    """The periodic planner starts the season for late joiners as for everyone."""
    clock.now = local(2026, 8, 20, 9)
    await make_family(sessions, plan, clock, 307, due=date(2026, 12, 20))  # 23 weeks
    received = await day_by_day(
        sessions, plan, rules, bot, bot_api, clock, 307, date(2026, 8, 20), 14
    )
    assert (date(2026, 9, 1), "pregnancy_flu") in received
    assert one_a_day(received)
