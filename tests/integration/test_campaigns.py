"""Targeted campaigns on a real database: who a segment reaches, scheduling into the outbox,
cancelling while sending, opting out, and the status guards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import campaigns, families
from domain.campaigns import Draft, Invalid, Refused, Segment
from store.models import (
    AuditEvent,
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Family,
    Role,
    SendTime,
    StaffMember,
    StaffRole,
)

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
SEND_ON = date(2027, 3, 15)
TEXTS = {
    "en": "Free MMR catch-up clinics run in Bootle this month.",
    "pl": "W tym miesiącu w Bootle działają bezpłatne punkty szczepień MMR.",
    "pt": "Este mês há vacinação MMR gratuita em Bootle.",
    "ar": "تتوفر عيادات مجانية للقاح MMR في بوتل هذا الشهر.",
}


async def add_family(
    session: AsyncSession,
    chat_id: int,
    *,
    born: date | None = None,
    due: date | None = None,
    area: str = "bootle",
    role: Role = Role.MUM,
    locale: str = "en",
    source: str | None = None,
) -> Family:
    """A registered family, as sign-up leaves it (without its reminders planned)."""
    family = await families.record_consent(session, chat_id, locale=locale, source=source, now=NOW)
    families.set_role(family, role)
    families.add_child(family, born=born) if born else families.add_child(family, due_date=due)
    families.set_area(family, area, in_sefton=True)
    families.set_send_time(family, SendTime.MORNING)
    families.complete_registration(family, NOW)
    await session.flush()
    return family


async def admin(session: AsyncSession) -> int:
    member = StaffMember(name="Pat Admin", role=StaffRole.ADMIN, created_at=NOW)
    session.add(member)
    await session.flush()
    return member.id


async def admin_id(session: AsyncSession) -> int:
    """The admin `scheduled_campaign` made (ids are not 1 on PostgreSQL: sequences go on)."""
    found = await session.scalar(select(StaffMember.id).order_by(StaffMember.id))
    assert found is not None
    return found


ANYONE = Segment()


def draft(segment: Segment = ANYONE, send_on: date = SEND_ON, **texts: str) -> Draft:
    return Draft.typed(
        name="MMR catch-up", texts={**TEXTS, **texts}, segment=segment, send_on=send_on
    )


async def scheduled_campaign(session: AsyncSession, segment: Segment = ANYONE) -> int:
    staff_id = await admin(session)
    campaign = await campaigns.create_draft(
        session, draft(segment), staff_id=staff_id, today=TODAY, now=NOW
    )
    assert isinstance(campaign, Campaign)
    reached = await campaigns.schedule(
        session, campaign.id, staff_id=staff_id, today=TODAY, now=NOW
    )
    assert isinstance(reached, int)
    return campaign.id


async def test_reach_counts_registered_families_that_are_not_paused_blocked_or_opted_out(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        await add_family(session, 1, born=date(2026, 6, 1))
        paused = await add_family(session, 2, born=date(2026, 6, 1))
        paused.paused = True
        blocked = await add_family(session, 3, born=date(2026, 6, 1))
        blocked.blocked = True
        said_no = await add_family(session, 4, born=date(2026, 6, 1))
        await campaigns.set_opt_out(session, said_no, True)
        await families.record_consent(session, 5, locale="en", source=None, now=NOW)
        assert await campaigns.reach(session, Segment(), SEND_ON) == 1


async def test_age_bands_are_the_childs_age_on_the_send_day_and_meet_without_overlap(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        await add_family(session, 10, due=date(2027, 5, 1))
        await add_family(session, 11, born=date(2026, 12, 16))  # 2 months on 15 March
        await add_family(session, 12, born=date(2026, 12, 15))  # 3 months that day
        await add_family(session, 13, born=date(2026, 3, 16))  # 11 months
        await add_family(session, 14, born=date(2026, 3, 15))  # 1 year
        await add_family(session, 15, born=date(2025, 3, 15))  # 2 years
        await add_family(session, 16, born=date(2022, 3, 16))  # 4 years 11 months
        await add_family(session, 17, born=date(2022, 3, 15))  # 5 years: in no band
        counts = {
            band.id: await campaigns.reach(
                session, Segment(age_bands=frozenset({band.id})), SEND_ON
            )
            for band in campaigns.AGE_BANDS
        }
        assert counts == {"pregnant": 1, "0-3m": 1, "3-12m": 2, "1-2y": 1, "2-5y": 2}
        # The same children a day earlier: the 3-month-old was still 2 months old.
        earlier = Segment(age_bands=frozenset({"0-3m"}))
        assert await campaigns.reach(session, earlier, SEND_ON - timedelta(days=1)) == 2


def test_the_latest_birth_of_a_band_follows_short_months() -> None:
    assert campaigns.latest_birth(date(2027, 5, 31), 3) == date(2027, 2, 28)
    assert campaigns.latest_birth(date(2027, 3, 15), 3) == date(2026, 12, 15)
    assert campaigns.latest_birth(date(2027, 3, 15), 0) == date(2027, 3, 15)


async def test_a_segment_narrows_by_area_role_language_and_source(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        born = date(2026, 6, 1)
        await add_family(session, 20, born=born, area="bootle", locale="pl", source="fwc_bootle")
        await add_family(session, 21, born=born, area="southport", role=Role.DAD)
        await add_family(session, 22, born=born, area="L20", locale="ar", source="gp_poster")

        async def count(**parts: set[str]) -> int:
            segment = Segment(**{name: frozenset(values) for name, values in parts.items()})
            return await campaigns.reach(session, segment, SEND_ON)

        assert await count(areas={"bootle", "L20"}) == 2
        assert await count(roles={"dad"}) == 1
        assert await count(locales={"pl", "ar"}) == 2
        assert await count(sources={"fwc_bootle"}) == 1
        assert await count(sources={campaigns.NO_SOURCE}) == 1
        assert await count(areas={"bootle"}, locales={"ar"}) == 0


async def test_scheduling_makes_one_outbox_row_per_family_and_never_a_second(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        for chat_id in (30, 31, 32):
            await add_family(session, chat_id, born=date(2026, 6, 1))
        campaign_id = await scheduled_campaign(session)
        again = await campaigns.schedule(
            session, campaign_id, staff_id=await admin_id(session), today=TODAY, now=NOW
        )
        assert again == Refused("This campaign is scheduled: only a draft can be scheduled.")
        rows = list(
            await session.scalars(select(Delivery).where(Delivery.campaign_id.is_not(None)))
        )
        assert len(rows) == 3
        assert {(r.entry_key, r.topic, r.due_on, r.status) for r in rows} == {
            (f"campaign:{campaign_id}", "campaign", SEND_ON, DeliveryStatus.PENDING)
        }
        # Even a schedule that slipped past the status guard could not add a second row.
        await session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(status=CampaignStatus.DRAFT)
        )
        assert (
            await campaigns.schedule(
                session, campaign_id, staff_id=await admin_id(session), today=TODAY, now=NOW
            )
            == 3
        )
        total = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.campaign_id == campaign_id)
        )
        assert total == 3


async def test_cancelling_while_sending_keeps_what_was_sent_and_skips_the_rest(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        for chat_id in (40, 41, 42):
            await add_family(session, chat_id, born=date(2026, 6, 1))
        campaign_id = await scheduled_campaign(session)
        first = await session.scalar(
            select(Delivery.id).where(Delivery.campaign_id == campaign_id).order_by(Delivery.id)
        )
        await session.execute(
            update(Delivery)
            .where(Delivery.id == first)
            .values(status=DeliveryStatus.SENT, sent_at=NOW)
        )
        assert await campaigns.settle(session, SEND_ON) == 1
        assert (await campaigns.fresh(session, campaign_id)).status is CampaignStatus.SENDING  # type: ignore[union-attr]
        assert (
            await campaigns.cancel(session, campaign_id, staff_id=await admin_id(session), now=NOW)
            == 2
        )
        report = await campaigns.report(session, campaign_id)
        assert (report.sent, report.failed, report.skipped, report.pending) == (1, 0, 2, 0)
        assert report.by_error == {"campaign cancelled": 2}
        assert await campaigns.cancel(
            session, campaign_id, staff_id=await admin_id(session), now=NOW
        ) == Refused(
            "This campaign is cancelled: only a scheduled or sending campaign can be cancelled."
        )
        actions = list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions == ["campaign_created", "campaign_scheduled", "campaign_cancelled"]


async def test_a_campaign_is_sent_once_nothing_of_it_is_left_to_send(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await add_family(session, 45, born=date(2026, 6, 1))
        campaign_id = await scheduled_campaign(session)
        assert await campaigns.settle(session, SEND_ON - timedelta(days=1)) == 0
        await session.execute(
            update(Delivery)
            .where(Delivery.campaign_id == campaign_id)
            .values(status=DeliveryStatus.SENT)
        )
        await campaigns.settle(session, SEND_ON)
        campaign = await campaigns.fresh(session, campaign_id)
        assert campaign is not None and campaign.status is CampaignStatus.SENT


async def test_families_that_opted_out_are_left_out_at_scheduling_and_after_it(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        said_no = await add_family(session, 50, born=date(2026, 6, 1))
        await campaigns.set_opt_out(session, said_no, True)
        changes_mind = await add_family(session, 51, born=date(2026, 6, 1))
        await add_family(session, 52, born=date(2026, 6, 1))
        campaign_id = await scheduled_campaign(session)
        await campaigns.set_opt_out(session, changes_mind, True)
        rows = dict(
            (
                await session.execute(
                    select(Delivery.family_id, Delivery.status).where(
                        Delivery.campaign_id == campaign_id
                    )
                )
            ).all()
        )
        assert said_no.id not in rows
        assert rows[changes_mind.id] is DeliveryStatus.SKIPPED
        assert list(rows.values()).count(DeliveryStatus.PENDING) == 1
        export = await families.export_family(session, changes_mind)
        assert export["health_campaign_messages"] is False


async def test_a_family_that_reported_a_loss_this_year_hears_no_campaign(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        family = await add_family(session, 55, born=date(2026, 6, 1))
        families.add_child(family, due_date=date(2027, 6, 1))
        await session.flush()
        families.report_loss(family, family.children[1].id, NOW - timedelta(days=30))
        assert await campaigns.reach(session, Segment(), SEND_ON) == 0


async def test_a_draft_needs_every_language_short_enough_and_a_day_not_past(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        staff_id = await admin(session)
        made = await campaigns.create_draft(
            session,
            draft(send_on=TODAY - timedelta(days=1), pl="  ", ar="ب" * 1001),
            staff_id=staff_id,
            today=TODAY,
            now=NOW,
        )
        assert made == Invalid(
            [
                "Write the Polish message.",
                "The Arabic message has 1001 characters; the most is 1000.",
                "The send day has passed: choose today or a later day.",
            ]
        )
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 0


async def test_only_a_draft_is_edited_or_scheduled_and_only_an_open_one_cancelled(
    sessions: Sessions,
) -> None:
    async with sessions.begin() as session:
        await add_family(session, 60, born=date(2026, 6, 1))
        staff_id = await admin(session)
        campaign = await campaigns.create_draft(
            session, draft(), staff_id=staff_id, today=TODAY, now=NOW
        )
        assert isinstance(campaign, Campaign)
        assert await campaigns.cancel(session, campaign.id, staff_id=staff_id, now=NOW) == Refused(
            "This campaign is draft: only a scheduled or sending campaign can be cancelled."
        )
        edited = await campaigns.update_draft(
            session, campaign.id, draft(en="Changed."), staff_id=staff_id, today=TODAY, now=NOW
        )
        assert isinstance(edited, Campaign) and edited.texts["en"] == "Changed."
        nobody = Segment(locales=frozenset({"pt"}))
        await campaigns.update_draft(
            session, campaign.id, draft(nobody), staff_id=staff_id, today=TODAY, now=NOW
        )
        assert await campaigns.schedule(
            session, campaign.id, staff_id=staff_id, today=TODAY, now=NOW
        ) == Refused("This campaign reaches no family: widen the segment.")
        await campaigns.update_draft(
            session, campaign.id, draft(), staff_id=staff_id, today=TODAY, now=NOW
        )
        assert (
            await campaigns.schedule(session, campaign.id, staff_id=staff_id, today=TODAY, now=NOW)
            == 1
        )
        assert await campaigns.update_draft(
            session, campaign.id, draft(), staff_id=staff_id, today=TODAY, now=NOW
        ) == Refused("This campaign is scheduled: only a draft can be changed.")
        assert await campaigns.cancel(session, campaign.id, staff_id=staff_id, now=NOW) == 1
        assert await campaigns.schedule(
            session, campaign.id, staff_id=staff_id, today=TODAY, now=NOW
        ) == Refused("This campaign is cancelled: only a draft can be scheduled.")
