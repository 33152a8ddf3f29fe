"""A family's reminders, run day by day through the real planner, dispatcher and a Bot API
server: every message and the local time it went out, compared with a reviewed file. Two years
of a baby three weeks old at sign-up, and a first year from 30 weeks of pregnancy.

Regenerate after a deliberate plan change with `GOLDEN_UPDATE=1 ./scripts/test -k golden`, and
read the diff: it is the schedule families will get.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from domain import families, life_events
from local_bot_api.server import BotApiServer
from resources.message_plan import MessagePlan
from resources.service import ServiceRules
from scheduler.planner import run_planner
from tests.conftest import Clock
from tests.scheduler.conftest import LONDON, make_dispatcher, make_family

GOLDEN = Path(__file__).with_name("golden")
BORN = date(2026, 11, 2)  # three weeks old when the family signs up
SIGN_UP = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)
# When the dispatcher runs each day (local): before the morning send time, at it, and late
# in the evening inside quiet hours.
RUNS = ((9, 0), (9, 30), (12, 0), (21, 30))


async def run_days(
    sessions: async_sessionmaker[AsyncSession],
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
    chat_id: int,
    first: date,
    days: int,
    *,
    sign_up: datetime = SIGN_UP,
    events: dict[date, Callable[[], Awaitable[None]]] | None = None,
) -> list[str]:
    """Each day: the planner just after midnight, then the dispatcher at RUNS; `events` are
    what the family does that day, at noon."""
    user = bot_api.user(user_id=chat_id, first_name="Golden")
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    lines: list[str] = []
    seen = 0
    for offset in range(days):
        day = first + timedelta(days=offset)
        clock.now = datetime.combine(day, datetime.min.time(), tzinfo=LONDON) + timedelta(
            minutes=30
        )
        await run_planner(sessions, plan, day)
        for hour, minute in RUNS:
            if (hour, minute) == (12, 0) and events and day in events:
                clock.now = datetime(day.year, day.month, day.day, 11, 59, tzinfo=LONDON)
                await events[day]()
            clock.now = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
            if clock.now < sign_up:
                continue
            await dispatcher.run_once()
            sent = user.history[seen:]
            seen = len(user.history)
            for message in sent:
                key = _key_of(plan, message.text, message.visible_text)
                lines.append(f"{clock.now:%Y-%m-%d %a %H:%M %Z}  {key}")
    return lines


def _key_of(plan: MessagePlan, text: str, visible: str) -> str:
    for entry in plan.entries:
        if plan.text(entry.key, "en") == text:
            return f"{entry.key} [{entry.topic.value}]"
    return visible.split("\n", 1)[0][:60]


def check_golden(name: str, lines: list[str]) -> None:
    path = GOLDEN / name
    text = "\n".join(lines) + "\n"
    if os.environ.get("GOLDEN_UPDATE"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


async def test_golden_two_year_schedule_for_a_baby_born_on_2_november_2026(
    sessions: async_sessionmaker[AsyncSession],
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = SIGN_UP
    await make_family(sessions, plan, clock, 7001, born=BORN)
    lines = await run_days(sessions, plan, rules, bot, bot_api, clock, 7001, SIGN_UP.date(), 731)
    check_golden("born-2026-11-02.txt", lines)
    # Never more than one planned message a day, never in quiet hours, always at 09:30 local.
    days = [line[:10] for line in lines]
    assert len(days) == len(set(days))
    assert all(" 09:30 " in line or "where you are now" in line for line in lines[1:])


JOINED = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)  # 30 weeks pregnant, in flu season
DUE = date(2027, 2, 1)  # JOINED + 10 weeks
BORN_AT_TERM = DUE  # born on the due date; the family tells the bot the next day


async def test_golden_first_year_for_a_family_who_joins_at_30_weeks_in_november(
    sessions: async_sessionmaker[AsyncSession],
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    """From sign-up to the baby's first birthday. What is still in its window at 30 weeks comes
    first, one a day: reviews and vaccines before tips, the one whose window closes first
    leading (the antenatal contact by 35 weeks, RSV by 36, flu by 39), then Healthy Start."""
    clock.now = JOINED
    await make_family(sessions, plan, clock, 7002, due=DUE)

    async def birth_reported() -> None:
        async with sessions.begin() as session:
            family = await families.find_family(session, 7002)
            assert family is not None
            child_id = family.children[0].id
            await life_events.birth_reported(
                session, plan, family, child_id, BORN_AT_TERM, BORN_AT_TERM + timedelta(days=1)
            )

    first_birthday = date(2028, 2, 1)
    days = (first_birthday - JOINED.date()).days + 1
    events = {BORN_AT_TERM + timedelta(days=1): birth_reported}
    lines = await run_days(
        sessions,
        plan,
        rules,
        bot,
        bot_api,
        clock,
        7002,
        JOINED.date(),
        days,
        sign_up=JOINED,
        events=events,
    )
    check_golden("joins-30-weeks-in-november.txt", lines)
    days_sent = [line[:10] for line in lines]
    assert len(days_sent) == len(set(days_sent))
    catch_up = [line.split("  ")[1] for line in lines[1:5]]
    assert catch_up == [
        "antenatal_contact [reviews]",
        "pregnancy_rsv [immunisations]",
        "pregnancy_flu [immunisations]",
        "pregnancy_healthy_start [feeding]",
    ]
