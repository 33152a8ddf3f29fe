"""The reminder pipeline on a real database and a real Bot API server: life events, delivery
rules, and what happens when Telegram says no."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from domain import families, life_events, outbox
from domain.appointments import EVENING_BEFORE, SOON, add_appointment, reminder_times
from local_bot_api.server import BotApiServer
from resources.message_plan import MessagePlan
from resources.service import ServiceRules
from scheduler.planner import run_planner
from store.models import ConversationState, Delivery, DeliveryStatus, Family, SendTime
from tests.conftest import Clock
from tests.scheduler.conftest import (
    LONDON,
    get_family,
    local,
    make_dispatcher,
    make_family,
    race_dispatchers,
)

Sessions = async_sessionmaker[AsyncSession]


async def rows(sessions: Sessions, **where: object) -> list[Delivery]:
    async with sessions() as session:
        query = select(Delivery).order_by(Delivery.due_on, Delivery.id)
        for name, value in where.items():
            query = query.where(getattr(Delivery, name) == value)
        return list(await session.scalars(query))


async def test_planning_a_day_twice_adds_nothing_the_second_time(
    sessions: Sessions, plan: MessagePlan, clock: Clock
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 1, born=date(2026, 11, 20))
    first = await run_planner(sessions, plan, date(2026, 11, 23))
    before = len(await rows(sessions))
    from scheduler.planner import plan_day

    again = await plan_day(sessions, plan, date(2026, 11, 24))
    assert again == 0
    assert len(await rows(sessions)) == before
    assert first.days == 3


async def test_a_late_joiner_gets_one_welcome_and_no_backlog(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 2, born=date(2026, 9, 10))  # 10 weeks old
    await run_planner(sessions, plan, date(2026, 11, 23))
    planned = await rows(sessions)
    assert all(r.due_on >= date(2026, 11, 23) for r in planned)
    assert [r.entry_key for r in planned if r.send_at is not None] == ["where_you_are_now"]
    user = bot_api.user(user_id=2)
    await make_dispatcher(sessions, bot, plan, rules, clock).run_once()
    [welcome] = user.messages
    assert "Here is where you are now" in welcome.visible_text
    assert "Immunisations: I will remind you around" in welcome.visible_text
    assert "on their back" in welcome.visible_text


async def test_an_early_birth_switches_to_the_postnatal_plan(
    sessions: Sessions, plan: MessagePlan, clock: Clock
) -> None:
    clock.now = local(2026, 11, 23, 9)
    antenatal = {e.key for e in plan.entries if e.anchor.value == "due_date"}
    latest = max((e for e in plan.entries if e.key in antenatal), key=lambda e: e.offset_days)
    due = date(2026, 11, 24) - timedelta(days=latest.offset_days)  # a pregnancy message tomorrow
    await make_family(sessions, plan, clock, 3, due=due)
    await run_planner(sessions, plan, date(2026, 11, 23))
    assert any(r.entry_key in antenatal for r in await rows(sessions, status="pending"))
    clock.now = local(2026, 11, 25, 12)
    async with sessions.begin() as session:
        family = await families.find_family(session, 3)
        assert family is not None
        await life_events.birth_reported(
            session, plan, family, family.children[0].id, date(2026, 11, 24), date(2026, 11, 25)
        )
    pending = await rows(sessions, status="pending")
    assert not any(r.entry_key in antenatal for r in pending)
    for day in range(26, 31):
        await run_planner(sessions, plan, date(2026, 11, day))
    days = {r.entry_key: r.due_on for r in await rows(sessions, status="pending")}
    assert set(days) - antenatal, "the postnatal plan has started"
    born = date(2026, 11, 24)
    for entry in plan.entries_for(born_on=born):
        if entry.key in days:
            assert days[entry.key] >= entry.due_day(born)


async def test_twins_get_each_message_once(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 4, born=date(2026, 11, 22), twins=True)
    user = bot_api.user(user_id=4)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    for day in range(30):
        today = date(2026, 11, 23) + timedelta(days=day)
        await run_planner(sessions, plan, today)
        clock.now = datetime(today.year, today.month, today.day, 10, tzinfo=LONDON)
        await dispatcher.run_once()
    texts = [m.text for m in user.messages]
    assert len(texts) == len(set(texts)) > 5
    async with sessions() as session:
        family = await families.find_family(session, 4)
        assert family is not None
        assert len(family.children) == 2


async def test_a_loss_cancels_every_pending_message_about_the_child_at_once(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, plan, clock, 5, due=date(2027, 1, 10))
    await run_planner(sessions, plan, date(2026, 11, 23))
    assert await rows(sessions, status="pending")
    async with sessions.begin() as session:
        family = await families.find_family(session, 5)
        assert family is not None
        cancelled = await life_events.loss_reported(
            session, family, family.children[0].id, clock()
        )
    assert cancelled > 0
    assert await rows(sessions, status="pending") == []
    await run_planner(sessions, plan, date(2026, 11, 24))
    user = bot_api.user(user_id=5)
    clock.now = local(2026, 11, 24, 10)
    await make_dispatcher(sessions, bot, plan, rules, clock).run_once()
    assert user.messages == []


async def test_send_time_is_local_and_follows_the_clock_change(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    """09:30 in London is 09:30 UTC in winter and 08:30 UTC in summer (clocks go forward on
    28 March 2027)."""
    clock.now = local(2027, 3, 26, 7)
    await make_family(sessions, plan, clock, 6, born=date(2027, 3, 1))
    user = bot_api.user(user_id=6)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    async with sessions.begin() as session:
        family = await families.find_family(session, 6)
        assert family is not None
        for offset, day in enumerate((date(2027, 3, 27), date(2027, 3, 28))):
            session.add(
                Delivery(
                    family_id=family.id,
                    child_id=family.children[0].id,
                    entry_key=plan.entries[offset].key,
                    topic="safe_sleep",
                    priority=0,
                    due_on=day,
                    stale_on=day + timedelta(days=5),
                    status=DeliveryStatus.PENDING,
                    attempts=0,
                )
            )
        await session.execute(
            Delivery.__table__.update()  # type: ignore[attr-defined]
            .where(Delivery.entry_key == "where_you_are_now")
            .values(status=DeliveryStatus.SENT)
        )
    from datetime import UTC

    clock.now = datetime(2027, 3, 27, 9, 29, tzinfo=UTC)  # winter: 09:29 local
    await dispatcher.run_once()
    assert user.messages == []
    clock.now = datetime(2027, 3, 27, 9, 30, tzinfo=UTC)
    await dispatcher.run_once()
    assert len(user.messages) == 1
    clock.now = datetime(2027, 3, 28, 8, 29, tzinfo=UTC)  # summer: 09:29 local
    await dispatcher.run_once()
    assert len(user.messages) == 1
    clock.now = datetime(2027, 3, 28, 8, 30, tzinfo=UTC)  # 09:30 BST
    await dispatcher.run_once()
    assert len(user.messages) == 2


async def test_quiet_hours_hold_everything_until_morning(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 20, 59)
    await make_family(sessions, plan, clock, 7, born=date(2026, 10, 1), send_time=SendTime.EVENING)
    user = bot_api.user(user_id=7)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    clock.now = local(2026, 11, 23, 21, 0)
    report = await dispatcher.run_once()
    assert report.quiet_hours
    clock.now = local(2026, 11, 24, 7, 59)
    await dispatcher.run_once()
    assert user.messages == []
    clock.now = local(2026, 11, 24, 8, 0)
    await dispatcher.run_once()
    assert [m.visible_text.split("\n")[0] for m in user.messages] == ["Here is where you are now"]


async def test_a_paused_family_gets_nothing_until_it_resumes(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 8, born=date(2026, 10, 1))
    async with sessions.begin() as session:
        family = await families.find_family(session, 8)
        assert family is not None
        family.paused = True
    user = bot_api.user(user_id=8)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    await dispatcher.run_once()
    assert user.messages == []
    async with sessions.begin() as session:
        family = await families.find_family(session, 8)
        assert family is not None
        family.paused = False
    await dispatcher.run_once()
    assert len(user.messages) == 1


async def test_a_reminder_waits_while_the_family_is_talking_to_the_bot(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 9, born=date(2026, 10, 1))
    user = bot_api.user(user_id=9)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    async with sessions.begin() as session:
        session.add(
            ConversationState(
                name="conversation",
                chat_id=9,
                user_id=9,
                state={"v": "settings.menu"},
                updated_at=clock(),
            )
        )
    await dispatcher.run_once()
    assert user.messages == []
    async with sessions.begin() as session:
        await session.execute(ConversationState.__table__.delete())  # type: ignore[attr-defined]
        await families.record_seen(session, 9, clock())
    await dispatcher.run_once()
    assert user.messages == []  # just tapped a button: still busy
    clock.advance(minutes=11)
    await dispatcher.run_once()
    assert len(user.messages) == 1


async def test_a_403_marks_the_family_blocked_and_stops_sending(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 10, born=date(2026, 10, 1))
    user = bot_api.user(user_id=10)
    await user.block_bot()
    report = await make_dispatcher(sessions, bot, plan, rules, clock).run_once()
    assert report.outcomes["blocked"] == 1
    assert (await get_family(sessions, 10)).blocked
    [welcome] = await rows(sessions, entry_key="where_you_are_now")
    assert welcome.status is DeliveryStatus.FAILED
    assert welcome.last_error is not None
    assert welcome.last_error.startswith("403")


async def test_a_429_is_retried_after_the_time_telegram_asks(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 11, born=date(2026, 10, 1))
    user = bot_api.user(user_id=11)
    bot_api.inject_fault(method="sendMessage", status=429, retry_after=7, times=1)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    report = await dispatcher.run_once()
    assert report.outcomes["rate_limited"] == 1
    [row] = await rows(sessions, entry_key="where_you_are_now")
    assert row.status is DeliveryStatus.PENDING
    assert row.next_attempt_at == clock() + timedelta(seconds=7)
    assert row.attempts == 0
    clock.advance(seconds=6)
    await dispatcher.run_once()
    assert user.messages == []
    clock.advance(seconds=1)
    await dispatcher.run_once()
    assert len(user.messages) == 1


async def test_server_errors_are_retried_with_backoff_then_given_up(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 12, born=date(2026, 10, 1))
    bot_api.user(user_id=12)
    bot_api.inject_fault(method="sendMessage", status=502, times=10)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS):
        await dispatcher.run_once()
        [row] = await rows(sessions, entry_key="where_you_are_now")
        if row.status is DeliveryStatus.FAILED:
            break
        assert row.next_attempt_at is not None
        waits.append(row.next_attempt_at - clock())
        clock.now = row.next_attempt_at
    assert waits == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=8),
        timedelta(minutes=32),
    ]
    assert row.status is DeliveryStatus.FAILED
    assert row.last_error == "gave up: NetworkError"


async def test_a_dropped_connection_is_retried_and_a_400_is_not(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 13, born=date(2026, 10, 1))
    await make_family(sessions, plan, clock, 14, born=date(2026, 10, 1))
    bot_api.user(user_id=13)
    bot_api.user(user_id=14)
    bot_api.inject_fault(method="sendMessage", status=0, times=1, chat_id=13)
    bot_api.inject_fault(method="sendMessage", status=400, times=1, chat_id=14)
    await make_dispatcher(sessions, bot, plan, rules, clock).run_once()
    async with sessions() as session:
        statuses = dict(
            (
                await session.execute(
                    select(Family.chat_id, Delivery.status)
                    .join(Family)
                    .where(Delivery.entry_key == "where_you_are_now")
                )
            ).all()
        )
    assert statuses == {13: DeliveryStatus.PENDING, 14: DeliveryStatus.FAILED}


async def test_a_dispatcher_that_dies_holding_a_claim_loses_nothing_and_its_rows_come_back_soon(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    for chat in range(100, 120):
        await make_family(sessions, plan, clock, chat, born=date(2026, 10, 1))
        bot_api.user(user_id=chat)
    # A dispatcher claims a batch of 8, sends 3 of them, and dies before recording them.
    async with sessions.begin() as session:
        claimed = await outbox.claim_batch(
            session,
            now=clock(),
            today=clock().astimezone(LONDON).date(),
            passed_slots=[SendTime.MORNING],
            idle_after=timedelta(minutes=10),
            conversation_timeout=rules.conversations.timeout,
            limit=8,
        )
    assert len(claimed) == 8
    for row in claimed[:3]:
        await bot.send_message(row.chat_id, "sent before the crash")
    # Another dispatcher carries on; the abandoned rows come back after a few minutes.
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    await dispatcher.run_once()
    assert len(await rows(sessions, status="sent")) == 12
    clock.advance(minutes=3)
    report = await dispatcher.run_once()
    assert report.recovered == 8
    assert len(await rows(sessions, status="sent")) == 20
    received = [len(bot_api.user(user_id=chat).messages) for chat in range(100, 120)]
    assert received.count(2) == 3  # the three sent before the crash arrive twice
    assert received.count(1) == 17


async def test_two_dispatchers_at_once_send_each_delivery_exactly_once(
    database_url: str,
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    chats = range(1000, 1300)
    for chat in chats:
        await make_family(sessions, plan, clock, chat, born=date(2026, 10, 1))
        bot_api.user(user_id=chat)
    reports = await race_dispatchers(2, database_url, bot_api, plan, rules, clock, batch_size=25)
    assert sum(r.outcomes["sent"] for r in reports) == len(chats)
    assert all(r.outcomes["sent"] > 0 for r in reports), [r.outcomes["sent"] for r in reports]
    assert [len(bot_api.user(user_id=chat).messages) for chat in chats] == [1] * len(chats)


async def test_a_backlog_after_downtime_goes_out_once_oldest_first_and_stale_tips_are_skipped(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 1, 10)
    await make_family(sessions, plan, clock, 15, born=date(2026, 10, 30))
    user = bot_api.user(user_id=15)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    await run_planner(sessions, plan, date(2026, 11, 1))
    await dispatcher.run_once()
    sent_before = len(user.messages)
    # Down for three weeks; on return the planner catches up and stale tips are skipped.
    clock.now = local(2026, 11, 22, 10)
    report = await run_planner(sessions, plan, date(2026, 11, 22))
    assert report.days == 21
    assert report.skipped_stale > 0
    await dispatcher.run_once()
    assert len(user.messages) == sent_before + 1  # one message, not a pile
    pending = await rows(sessions, status="pending")
    assert all(r.stale_on >= date(2026, 11, 22) for r in pending)
    async with sessions() as session:
        sent_today = await session.scalar(
            select(Delivery).where(Delivery.sent_at == clock()).limit(1)
        )
        oldest = await session.scalar(
            select(func.min(Delivery.due_on)).where(
                Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENT]),
                Delivery.send_at.is_(None),
                Delivery.priority == sent_today.priority,  # type: ignore[union-attr]
                Delivery.due_on >= date(2026, 11, 2),
            )
        )
    assert sent_today is not None
    assert sent_today.due_on == oldest


def test_appointment_reminders_come_the_evening_before_and_two_hours_before(
    rules: ServiceRules,
) -> None:
    now = local(2026, 11, 23, 10)
    times = reminder_times(local(2026, 11, 26, 14, 15), now=now, rules=rules, zone=LONDON)
    assert times == {
        EVENING_BEFORE: local(2026, 11, 25, 18, 30),
        SOON: local(2026, 11, 26, 12, 15),
    }
    early = reminder_times(local(2026, 11, 26, 9, 0), now=now, rules=rules, zone=LONDON)
    assert early[SOON] == local(2026, 11, 26, 8, 0)  # 07:00 is in quiet hours
    too_early = reminder_times(local(2026, 11, 26, 8, 15), now=now, rules=rules, zone=LONDON)
    assert SOON not in too_early


async def test_an_appointment_is_reminded_at_its_times(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 16, born=date(2026, 10, 1))
    user = bot_api.user(user_id=16)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    await dispatcher.run_once()  # the welcome
    async with sessions.begin() as session:
        family = await families.find_family(session, 16)
        assert family is not None
        from datetime import time

        await add_appointment(
            session,
            family,
            what="8 week jabs",
            day=date(2026, 11, 26),
            at=time(14, 15),
            now=clock(),
            rules=rules,
            zone=LONDON,
        )
    clock.now = local(2026, 11, 25, 18, 30)
    await dispatcher.run_once()
    assert user.messages[-1].visible_text == (
        "⏰ Reminder: 8 week jabs is tomorrow, Thursday, 26 November 2026, at 14:15."
    )
    clock.now = local(2026, 11, 26, 12, 15)
    await dispatcher.run_once()
    assert user.messages[-1].visible_text == "⏰ Reminder: 8 week jabs is today at 14:15."
