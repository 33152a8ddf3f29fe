"""A targeted campaign goes out through the same outbox and dispatcher as reminders: on its day
at the family's time, in the family's language, never in quiet hours, never to a family that
paused, blocked the bot or opted out, and as the family's one planned message of the day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from domain import campaigns
from domain.campaigns import Draft, Segment
from local_bot_api.server import BotApiServer
from resources.message_plan import MessagePlan, Priority
from resources.service import ServiceRules
from store.models import Campaign, Delivery, DeliveryStatus, Family, StaffMember, StaffRole
from tests.conftest import Clock
from tests.scheduler.conftest import local, make_dispatcher, make_family

Sessions = async_sessionmaker[AsyncSession]
SEND_ON = date(2026, 11, 25)
TEXTS = {
    "en": "Flu vaccines for children aged 2 and 3 are ready at your GP. Ask for an appointment.",
    "pl": "Szczepionki przeciw grypie dla dzieci w wieku 2 i 3 lat czekają u lekarza rodzinnego.",
    "pt": "A vacina da gripe para crianças de 2 e 3 anos já está no seu médico de família.",
    "ar": "لقاحات الإنفلونزا للأطفال بعمر سنتين و3 سنوات متوفرة الآن لدى طبيبك العام.",
}


async def schedule_for_everyone(sessions: Sessions, clock: Clock) -> int:
    now = clock()
    async with sessions.begin() as session:
        member = StaffMember(name="Pat Admin", role=StaffRole.ADMIN, created_at=now)
        session.add(member)
        await session.flush()
        draft = Draft.typed(name="Flu", texts=TEXTS, segment=Segment(), send_on=SEND_ON)
        campaign = await campaigns.create_draft(
            session, draft, staff_id=member.id, today=now.date(), now=now
        )
        assert isinstance(campaign, Campaign)
        reached = await campaigns.schedule(
            session, campaign.id, staff_id=member.id, today=now.date(), now=now
        )
        assert isinstance(reached, int)
        return campaign.id


async def welcomed(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
    *chats: int,
) -> None:
    """Families registered on the 23rd who had their messages up to the 24th; the rest of
    their reminders are set aside, so what the 25th brings is the campaign's doing."""
    clock.now = local(2026, 11, 23, 10)
    for chat_id, locale in zip(chats, ("pl", "en", "en", "en"), strict=False):
        bot_api.user(user_id=chat_id, language_code=locale)
        await make_family(sessions, plan, clock, chat_id, due=date(2027, 4, 1), locale=locale)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    await dispatcher.run_once()
    clock.now = local(2026, 11, 24, 18, 40)
    await dispatcher.run_once()
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.SKIPPED, last_error="set aside by the test")
        )


async def test_a_campaign_goes_on_its_day_at_the_familys_time_in_its_language(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    await welcomed(sessions, plan, rules, bot, bot_api, clock, 801)
    campaign_id = await schedule_for_everyone(sessions, clock)
    user = bot_api.user(user_id=801)
    before = len(user.messages)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    clock.now = local(2026, 11, 25, 7, 30)  # its day, in quiet hours
    await dispatcher.run_once()
    clock.now = local(2026, 11, 25, 9, 0)  # before the family's morning time (09:30)
    await dispatcher.run_once()
    assert user.messages[before:] == []
    clock.now = local(2026, 11, 25, 9, 31)
    await dispatcher.run_once()
    [message] = user.messages[before:]
    assert message.text == TEXTS["pl"]
    assert message.buttons == [["🔕 Nie chcę takich wiadomości"]]
    async with sessions() as session:
        report = await campaigns.report(session, campaign_id)
    assert (report.sent, report.pending) == (1, 0)


async def test_paused_blocked_and_opted_out_families_are_not_sent_it(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    await welcomed(sessions, plan, rules, bot, bot_api, clock, 811, 812, 813, 814)
    campaign_id = await schedule_for_everyone(sessions, clock)
    async with sessions.begin() as session:
        # After scheduling: one pauses, one blocks the bot, one says no to campaigns (set
        # here without the opt-out's own skipping, so only the dispatcher's check stands).
        for chat_id, change in ((811, "paused"), (812, "blocked"), (813, "campaigns_opt_out")):
            await session.execute(
                update(Family).where(Family.chat_id == chat_id).values({change: True})
            )
    befores = {chat: len(bot_api.user(user_id=chat).messages) for chat in (811, 812, 813, 814)}
    clock.now = local(2026, 11, 25, 9, 31)
    await make_dispatcher(sessions, bot, plan, rules, clock).run_once()
    got = {
        chat: [m.text for m in bot_api.user(user_id=chat).messages[before:]]
        for chat, before in befores.items()
    }
    assert got == {811: [], 812: [], 813: [], 814: [TEXTS["en"]]}
    async with sessions() as session:
        report = await campaigns.report(session, campaign_id)
    assert (report.sent, report.pending) == (1, 3)


async def test_a_campaign_is_the_familys_one_planned_message_of_the_day(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    await welcomed(sessions, plan, rules, bot, bot_api, clock, 821)
    await schedule_for_everyone(sessions, clock)
    tip = next(entry for entry in plan.entries if entry.priority is Priority.TIP)
    async with sessions.begin() as session:
        family = await session.scalar(select(Family).where(Family.chat_id == 821))
        assert family is not None
        session.add(
            Delivery(
                family_id=family.id,
                child_id=family.children[0].id,
                entry_key=tip.key,
                topic=tip.topic.value,
                priority=0,
                due_on=SEND_ON,
                stale_on=date(2026, 12, 31),
            )
        )
    user = bot_api.user(user_id=821)
    before = len(user.messages)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    clock.now = local(2026, 11, 25, 9, 31)
    await dispatcher.run_once()
    clock.now = local(2026, 11, 25, 18, 45)
    await dispatcher.run_once()
    assert [m.text for m in user.messages[before:]] == [TEXTS["pl"]]
    clock.now = local(2026, 11, 26, 9, 31)  # the tip waited for the next day
    await dispatcher.run_once()
    assert len(user.messages[before:]) == 2
    async with sessions() as session:
        statuses = set(
            await session.scalars(select(Delivery.status).where(Delivery.entry_key == tip.key))
        )
    assert statuses == {DeliveryStatus.SENT}
