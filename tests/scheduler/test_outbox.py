"""The outbox under failure, on a real database and a real Bot API server: a row that cannot be
rendered, a loss while a send is under way, several dispatchers at once, and a dispatcher
killed mid-batch. Nothing is sent twice but what was in flight, nothing sticks, and a family
gets at most one planned message a day."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from domain import families, life_events, outbox
from local_bot_api.server import BotApiServer
from resources.message_plan import MessagePlan, Priority
from resources.service import ServiceRules
from scheduler import dispatcher as dispatcher_module
from scheduler.dispatcher import WRITE_GATHER
from store.models import Delivery, DeliveryStatus, Family, SendTime
from tests.conftest import Clock
from tests.scheduler.conftest import LONDON, local, make_dispatcher, make_family, race_dispatchers
from tests.scheduler.dispatcher_process import CONCURRENCY

Sessions = async_sessionmaker[AsyncSession]
ROOT = Path(__file__).resolve().parents[2]
WELCOME = outbox.WHERE_YOU_ARE_NOW
BORN = date(2026, 10, 1)


async def delivery(sessions: Sessions, chat_id: int, entry_key: str = WELCOME) -> Delivery:
    async with sessions() as session:
        row = await session.scalar(
            select(Delivery)
            .join(Family, Family.id == Delivery.family_id)
            .where(Family.chat_id == chat_id, Delivery.entry_key == entry_key)
        )
        assert row is not None
        return row


async def wait_until(condition: Callable[[], Any]) -> None:
    """Poll until `condition()` (or the coroutine it returns) is true, for up to a minute."""
    async with asyncio.timeout(60):
        while True:
            result = condition()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.01)


async def test_a_row_that_cannot_be_rendered_fails_alone_and_stops_at_the_retry_limit(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    chats = range(301, 306)
    for chat in chats:
        await make_family(sessions, plan, clock, chat, born=BORN)
        bot_api.user(user_id=chat)
    render = dispatcher_module.render

    def render_all_but_303(row: outbox.Claimed, *args: Any, **kwargs: Any) -> Any:
        if row.chat_id == 303:
            raise ValueError("a row that cannot be rendered")
        return render(row, *args, **kwargs)

    monkeypatch.setattr(dispatcher_module, "render", render_all_but_303)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    report = await dispatcher.run_once()
    assert report.outcomes == {"sent": 4, "retry": 1}
    bad = await delivery(sessions, 303)
    assert (bad.status, bad.attempts, bad.last_error) == (DeliveryStatus.PENDING, 1, "ValueError")
    while bad.status is DeliveryStatus.PENDING:
        assert bad.next_attempt_at is not None
        clock.now = bad.next_attempt_at
        await dispatcher.run_once()
        bad = await delivery(sessions, 303)
    assert (bad.status, bad.attempts) == (DeliveryStatus.FAILED, outbox.MAX_ATTEMPTS)
    assert bad.last_error == "gave up: ValueError"
    clock.advance(hours=1)
    assert (await dispatcher.run_once()).outcomes == {}
    assert [len(bot_api.user(user_id=chat).messages) for chat in chats] == [1, 1, 0, 1, 1]
    for chat in (301, 302, 304, 305):
        assert (await delivery(sessions, chat)).status is DeliveryStatus.SENT


async def test_rows_about_a_child_no_longer_active_are_never_claimed(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 310, born=BORN)
    user = bot_api.user(user_id=310)
    async with sessions.begin() as session:  # the child's status changes before its rows do
        family = await families.find_family(session, 310)
        assert family is not None
        families.report_loss(family, family.children[0].id, clock())
    await make_dispatcher(sessions, bot, plan, rules, clock).run_once()
    assert user.messages == []
    assert (await delivery(sessions, 310)).status is DeliveryStatus.PENDING


async def test_a_loss_while_a_send_fails_cancels_it_for_good(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 320, born=BORN)
    user = bot_api.user(user_id=320)
    bot_api.inject_fault(method="sendMessage", status=502, chat_id=320)
    bot_api.add_latency(0.3)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    sending = asyncio.create_task(dispatcher.run_once())

    async def claimed() -> bool:
        return (await delivery(sessions, 320)).status is DeliveryStatus.SENDING

    await wait_until(claimed)
    async with sessions.begin() as session:
        family = await families.find_family(session, 320)
        assert family is not None
        await life_events.loss_reported(session, family, family.children[0].id, clock())
    await sending
    bot_api.add_latency(0)
    assert (await delivery(sessions, 320)).status is DeliveryStatus.CANCELLED
    clock.advance(hours=2)
    await dispatcher.run_once()
    assert user.messages == []
    assert (await delivery(sessions, 320)).status is DeliveryStatus.CANCELLED


async def test_a_loss_stops_a_message_already_claimed_but_not_yet_sent(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    chats = range(331, 341)
    for chat in chats:
        await make_family(sessions, plan, clock, chat, born=BORN)
        bot_api.user(user_id=chat)
    bot_api.add_latency(0.05)
    # One send at a time, so the last family's welcome waits in the claimed batch.
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock, concurrency=1)
    sending = asyncio.create_task(dispatcher.run_once())

    async def two_sent() -> bool:
        async with sessions() as session:
            rows = await session.scalars(
                select(Delivery.id).where(Delivery.status == DeliveryStatus.SENT)
            )
            return len(list(rows)) >= 2

    await wait_until(two_sent)
    async with sessions.begin() as session:
        family = await families.find_family(session, 340)
        assert family is not None
        await life_events.loss_reported(session, family, family.children[0].id, clock())
    report = await sending
    assert bot_api.user(user_id=340).messages == []
    assert report.outcomes == {"sent": 9, "taken_back": 1}
    assert (await delivery(sessions, 340)).status is DeliveryStatus.CANCELLED


async def test_a_claim_taken_back_cannot_be_marked_by_the_dispatcher_that_lost_it(
    sessions: Sessions, plan: MessagePlan, rules: ServiceRules, clock: Clock
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 350, born=BORN)

    async def claim() -> list[outbox.Claimed]:
        async with sessions.begin() as session:
            await outbox.recover_abandoned(session, clock())
            return await outbox.claim_batch(
                session,
                now=clock(),
                today=clock().astimezone(LONDON).date(),
                passed_slots=[SendTime.MORNING],
                idle_after=timedelta(minutes=10),
                conversation_timeout=rules.conversations.timeout,
                limit=10,
            )

    first = await claim()
    clock.advance(minutes=3)  # the first dispatcher went quiet: its claim is abandoned
    second = await claim()
    assert [r.delivery_id for r in first] == [r.delivery_id for r in second]
    async with sessions.begin() as session:
        assert await outbox.mark_sent(session, first, clock()) == 0
        assert not await outbox.mark_failed(session, first[0], "too late")
        assert await outbox.mark_sent(session, second, clock()) == 1
    row = await delivery(sessions, 350)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)


async def add_plan_rows(
    sessions: Sessions, plan: MessagePlan, chat_id: int, day: date, count: int
) -> None:
    """`count` more tips due on `day` for the family's child, and its welcome already sent."""
    async with sessions.begin() as session:
        family = await families.find_family(session, chat_id)
        assert family is not None
        child = family.children[0]
        planned = set(
            await session.scalars(select(Delivery.entry_key).where(Delivery.child_id == child.id))
        )
        tips = [
            e
            for e in plan.entries_for(born_on=child.birth_date)
            if e.priority is Priority.TIP and e.offset_days is not None and e.key not in planned
        ]
        for entry in tips[:count]:
            session.add(
                Delivery(
                    family_id=family.id,
                    child_id=child.id,
                    entry_key=entry.key,
                    topic=entry.topic.value,
                    priority=0,
                    due_on=day,
                    stale_on=day + timedelta(days=10),
                    status=DeliveryStatus.PENDING,
                    attempts=0,
                )
            )
        await session.execute(
            update(Delivery)
            .where(Delivery.family_id == family.id, Delivery.entry_key == WELCOME)
            .values(status=DeliveryStatus.SENT)
        )


async def test_three_dispatchers_at_once_send_a_family_one_planned_message_a_day(
    database_url: str,
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    chats = range(2000, 2060)
    for chat in chats:
        await make_family(sessions, plan, clock, chat, born=BORN)
        await add_plan_rows(sessions, plan, chat, date(2026, 11, 23), 3)
        bot_api.user(user_id=chat)
    reports = await race_dispatchers(3, database_url, bot_api, plan, rules, clock, batch_size=10)
    assert sum(r.outcomes["sent"] for r in reports) == len(chats)
    assert [len(bot_api.user(user_id=chat).messages) for chat in chats] == [1] * len(chats)
    clock.advance(hours=3)  # later the same day: still nothing more
    await make_dispatcher(sessions, bot, plan, rules, clock).run_once()
    assert [len(bot_api.user(user_id=chat).messages) for chat in chats] == [1] * len(chats)


async def test_a_dispatcher_killed_mid_batch_repeats_only_its_sends_in_flight(
    database_url: str,
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    chats = range(3000, 3040)
    for chat in chats:
        await make_family(sessions, plan, clock, chat, born=BORN)
        bot_api.user(user_id=chat)
    # Each send takes longer than a write waits for more answers to join it, as with Telegram.
    assert WRITE_GATHER < 0.1
    bot_api.add_latency(0.1)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.scheduler.dispatcher_process",
        database_url,
        bot_api.base_url,
        clock().isoformat(),
        str(len(chats)),  # one batch for them all
        cwd=ROOT,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_until(
            lambda: bot_api.sent_messages_count >= 15 or process.returncode is not None
        )
    finally:
        process.send_signal(signal.SIGKILL)
        _, errors = await process.communicate()
    assert process.returncode == -signal.SIGKILL, errors.decode()
    await asyncio.sleep(0.1)  # sends the server had in hand when the dispatcher died
    before_the_kill = bot_api.sent_messages_count
    assert 15 <= before_the_kill < len(chats)
    bot_api.add_latency(0)

    clock.advance(minutes=3)  # another dispatcher, a few minutes later
    report = await make_dispatcher(sessions, bot, plan, rules, clock).run_once()
    assert report.recovered > 0
    received = [len(bot_api.user(user_id=chat).messages) for chat in chats]
    assert min(received) == 1, received  # nothing lost
    repeated = sum(count - 1 for count in received)
    # At most the sends in flight, and those Telegram had answered just before, waiting for
    # their write.
    assert repeated <= 2 * CONCURRENCY, (repeated, before_the_kill)
