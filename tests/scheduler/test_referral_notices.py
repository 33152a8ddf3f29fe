"""Notices about a request for support go through the outbox: at once, even to a family that
paused its tips or is busy in a conversation, in its language, and after a Telegram outage."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from domain import referrals, staff
from domain.referrals import Contact, Done
from domain.working_days import WorkingCalendar
from local_bot_api.server import BotApiServer
from resources.message_plan import MessagePlan
from resources.service import ServiceRules
from resources.spokes import load_spokes
from store.models import ContactMethod, Delivery, DeliveryStatus, Family, StaffMember, StaffRole
from tests.conftest import Clock
from tests.scheduler.conftest import local, make_dispatcher, make_family

Sessions = async_sessionmaker[AsyncSession]
SPOKES = load_spokes()


async def claimed_request(sessions: Sessions, clock: Clock, chat_id: int) -> str:
    """A paused family's BABS request, claimed by a member of the team now."""
    now = clock()
    async with sessions.begin() as session:
        family = await session.get(Family, await _family_id(sessions, chat_id))
        assert family is not None
        family.paused = True
        family.last_seen_at = now  # just wrote: planned tips would wait, notices do not
        created = await referrals.create(
            session,
            family=family,
            spoke=SPOKES.spoke("babs"),
            answers={"what_is_hard": "feelings"},
            contact=Contact(ContactMethod.MESSAGE),
            consent_at=now,
            now=now,
            calendar=WorkingCalendar(),
        )
        member = await staff.create_staff(
            session, name="Ann", team_id="babs", role=StaffRole.STAFF, teams=SPOKES.teams, now=now
        )
        linked = await staff.link_telegram(session, member.code, 9000 + chat_id, now)
        assert isinstance(linked, StaffMember)
        assert isinstance(await referrals.claim(session, created.referral.id, linked, now), Done)
        return created.referral.reference


async def _family_id(sessions: Sessions, chat_id: int) -> int:
    from domain import families

    async with sessions() as session:
        family = await families.find_family(session, chat_id)
        assert family is not None
        return family.id


async def test_a_claim_reaches_a_paused_family_in_polish_in_one_cycle(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 24, 10)
    await make_family(sessions, plan, clock, 710, born=date(2026, 10, 1), locale="pl")
    user = bot_api.user(user_id=710)
    before = len(user.messages)
    reference = await claimed_request(sessions, clock, 710)
    await make_dispatcher(sessions, bot, plan, rules, clock).run_once()
    texts = [m.text for m in user.messages[before:]]
    assert texts == [
        f"✅ Twoje zgłoszenie {reference} (Więź z dzieckiem (BABS)) trafiło do osoby z zespołu. "
        "Wkrótce się z tobą skontaktuje."
    ]


async def test_a_telegram_outage_delays_a_notice_and_never_drops_it(
    sessions: Sessions,
    plan: MessagePlan,
    rules: ServiceRules,
    bot: Bot,
    bot_api: BotApiServer,
    clock: Clock,
) -> None:
    clock.now = local(2026, 11, 24, 10)
    await make_family(sessions, plan, clock, 720, born=date(2026, 10, 1))
    user = bot_api.user(user_id=720)
    before = len(user.messages)
    reference = await claimed_request(sessions, clock, 720)
    bot_api.inject_fault(method="sendMessage", status=502, chat_id=720, times=1)
    dispatcher = make_dispatcher(sessions, bot, plan, rules, clock)
    await dispatcher.run_once()
    assert [m.text for m in user.messages[before:]] == []
    clock.advance(minutes=1)
    await dispatcher.run_once()
    assert [reference in m.text for m in user.messages[before:]] == [True]
    async with sessions() as session:
        status = await session.scalar(
            select(Delivery.status).where(Delivery.referral_event_id.is_not(None))
        )
    assert status is DeliveryStatus.SENT
