"""A family stops health campaign messages from the message itself, and switches them on and off
again in /settings; reminders are not touched."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import GrowWellApplication
from domain import campaigns
from domain.campaigns import Draft, Segment
from local_bot_api.server import BotApiServer
from store.models import Campaign, Delivery, DeliveryStatus, Family, StaffMember, StaffRole
from tests.conftest import Clock
from tests.e2e.test_reminders import dispatcher_of
from tests.e2e.transcript import flat, presses, says, taps
from tests.scheduler.conftest import local, make_family

Sessions = async_sessionmaker[AsyncSession]
TEXTS = {
    "en": "Free MMR catch-up clinics run in Bootle all this week.",
    "pl": "Przez cały tydzień w Bootle działają bezpłatne punkty szczepień MMR.",
    "pt": "Durante toda esta semana há vacinação MMR gratuita em Bootle.",
    "ar": "تتوفر عيادات مجانية للقاح MMR في بوتل طوال هذا الأسبوع.",
}


async def campaign_arrives(bot: GrowWellApplication, sessions: Sessions, clock: Clock) -> None:
    """The family's welcome went yesterday; today a campaign for everyone is its message."""
    dispatcher = dispatcher_of(bot)
    await dispatcher.run_once()
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.SKIPPED)
        )
        member = StaffMember(name="Pat Admin", role=StaffRole.ADMIN, created_at=clock())
        session.add(member)
        await session.flush()
        draft = Draft.typed(name="MMR", texts=TEXTS, segment=Segment(), send_on=date(2026, 11, 24))
        made = await campaigns.create_draft(
            session, draft, staff_id=member.id, today=clock().date(), now=clock()
        )
        assert isinstance(made, Campaign)
        await campaigns.schedule(
            session, made.id, staff_id=member.id, today=clock().date(), now=clock()
        )
    clock.now = local(2026, 11, 24, 9, 31)
    await dispatcher.run_once()


async def opted_out(sessions: Sessions, chat_id: int) -> bool:
    async with sessions() as session:
        value = await session.scalar(
            select(Family.campaigns_opt_out).where(Family.chat_id == chat_id)
        )
        assert value is not None
        return value


async def test_no_more_messages_like_this_stops_campaigns_and_settings_turn_them_back_on(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 23, 10)
    user = bot_api.user(user_id=8801)
    plan = bot_without_jobs.bot_data["services"].plan
    await make_family(sessions, plan, clock, 8801, born=date(2026, 6, 1))
    await campaign_arrives(bot_without_jobs, sessions, clock)
    welcome, campaign = await user.replies()
    assert welcome.visible_text.startswith("Here is where you are now")
    assert campaign.visible_text == TEXTS["en"]
    assert flat(campaign.buttons) == ["🔕 No more messages like this"]

    [edited] = await presses(user, "🔕 No more messages like this")
    assert edited.buttons == []
    assert user.callback_answers[-1] == (
        "OK, no more messages like this. Your reminders carry on. "
        "You can switch these messages on again in /settings."
    )
    assert await opted_out(sessions, 8801)

    [menu] = await says(user, "/settings")
    assert "📣 Health campaign messages: off" in flat(menu.buttons)
    saved, menu = await taps(user, "📣 Health campaign messages: off")
    assert saved.visible_text == "Saved."
    assert "📣 Health campaign messages: on" in flat(menu.buttons)
    assert not await opted_out(sessions, 8801)
    saved, menu = await taps(user, "📣 Health campaign messages: on")
    assert "📣 Health campaign messages: off" in flat(menu.buttons)
    assert await opted_out(sessions, 8801)
