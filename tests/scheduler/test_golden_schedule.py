"""Two years of a baby's reminders, run day by day through the real planner, dispatcher and a
Bot API server: every message and the local time it went out, compared with a reviewed file.

Regenerate after a deliberate plan change with `GOLDEN_UPDATE=1 ./scripts/test -k golden`, and
read the diff: it is the schedule families will get.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

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
) -> list[str]:
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
            clock.now = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
            if clock.now < SIGN_UP:
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
