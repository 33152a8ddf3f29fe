"""Campaigns at the desk: an admin writes one in every language, previews it as Telegram shows
it, counts the families it reaches, schedules it and cancels it; staff who are not admins
cannot open the pages, and a form without its CSRF token changes nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from domain import families
from store.models import (
    AuditEvent,
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    SendTime,
    StaffRole,
)
from tests.conftest import Clock
from tests.dashboard.conftest import Client, MakeStaff, Sessions, post_form, sign_in

TEXTS = {
    "text_en": "Free MMR catch-up clinics run in Bootle all next week.",
    "text_pl": "Przez cały przyszły tydzień w Bootle działają bezpłatne punkty szczepień MMR.",
    "text_pt": "Durante toda a próxima semana há vacinação MMR gratuita em Bootle.",
    "text_ar": "تتوفر عيادات مجانية للقاح MMR في بوتل طوال الأسبوع القادم.",
}
FORM = {"name": "MMR catch-up, Bootle", "send_on": "2026-11-30", **TEXTS}


async def families_in(sessions: Sessions, clock: Clock, *locales: str) -> None:
    async with sessions.begin() as session:
        for chat_id, locale in enumerate(locales, start=500):
            family = await families.record_consent(
                session, chat_id, locale=locale, source=None, now=clock()
            )
            families.add_child(family, born=date(2026, 5, 1))
            families.set_area(family, "bootle", in_sefton=True)
            families.set_send_time(family, SendTime.MORNING)
            families.complete_registration(family, clock())


async def signed_in_admin(dashboard: Client, make_staff: MakeStaff) -> None:
    admin = await make_staff(name="Sam Taylor", team=None, role=StaffRole.ADMIN)
    assert admin.email is not None
    await sign_in(dashboard, admin.email)


async def test_an_admin_previews_counts_saves_schedules_and_cancels_a_campaign(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions, clock: Clock
) -> None:
    await families_in(sessions, clock, "en", "pl", "ar")
    await signed_in_admin(dashboard, make_staff)
    listing = await dashboard.get("/dashboard/campaigns")
    assert listing.status == 200
    assert "No campaigns yet." in await listing.text()
    form = await (await dashboard.get("/dashboard/campaigns/new")).text()
    assert 'name="text_ar"' in form and 'dir="rtl"' in form
    assert "0 of 1000 characters" in form

    preview = await post_form(dashboard, "/dashboard/campaigns/new", {**FORM, "action": "preview"})
    page = await preview.text()
    assert preview.status == 200
    assert f'lang="ar" dir="rtl" data-preview="ar">{TEXTS["text_ar"]}</div>' in page.replace(
        "\u2066", ""
    ).replace("\u2069", "")
    assert "🔕 No more messages like this" in page
    assert "🔕 لا أريد رسائل كهذه" in page

    counted = await post_form(
        dashboard,
        "/dashboard/campaigns/new",
        {**FORM, "action": "count", "locales": "pl", "areas": "bootle"},
    )
    assert "<strong>1</strong> family would get it" in await counted.text()

    too_long = await post_form(
        dashboard, "/dashboard/campaigns/new", {**FORM, "text_en": "x" * 1001, "action": "save"}
    )
    assert too_long.status == 422
    assert "The English message has 1001 characters; the most is 1000." in await too_long.text()

    saved = await post_form(dashboard, "/dashboard/campaigns/new", {**FORM, "action": "save"})
    assert saved.status == 303
    campaign_page = saved.headers["Location"]
    shown = await (await dashboard.get(campaign_page)).text()
    assert "The draft is saved." in shown and "draft" in shown

    confirm = await (await dashboard.get(campaign_page.split("?")[0] + "/schedule")).text()
    assert "It will go to <strong>3</strong> families" in confirm
    scheduled = await post_form(dashboard, campaign_page.split("?")[0] + "/schedule", {})
    assert scheduled.status == 303
    async with sessions() as session:
        rows = list(await session.scalars(select(Delivery.status)))
        assert rows == [DeliveryStatus.PENDING] * 3

    cancel_page = await (await dashboard.get(campaign_page.split("?")[0] + "/cancel")).text()
    assert "3 messages not yet sent will be stopped" in cancel_page
    cancelled = await post_form(dashboard, campaign_page.split("?")[0] + "/cancel", {})
    assert cancelled.status == 303
    report = await (await dashboard.get(cancelled.headers["Location"])).text()
    assert "<strong>3</strong> skipped" in report and "campaign cancelled" in report
    again = await post_form(dashboard, campaign_page.split("?")[0] + "/cancel", {})
    assert again.status == 409
    assert "only a scheduled or sending campaign can be cancelled" in await again.text()

    async with sessions() as session:
        campaign = await session.scalar(select(Campaign))
        assert campaign is not None and campaign.status is CampaignStatus.CANCELLED
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.startswith("campaign_"))
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["campaign_created", "campaign_scheduled", "campaign_cancelled"]
    listing_after = await (await dashboard.get("/dashboard/campaigns")).text()
    assert "MMR catch-up, Bootle" in listing_after and "cancelled" in listing_after


async def test_a_member_of_staff_who_is_not_an_admin_gets_403(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions
) -> None:
    member = await make_staff(name="Priya Shah")
    assert member.email is not None
    await sign_in(dashboard, member.email)
    assert (await dashboard.get("/dashboard/campaigns")).status == 403
    assert (await dashboard.get("/dashboard/campaigns/new")).status == 403
    posted = await post_form(dashboard, "/dashboard/campaigns/new", {**FORM, "action": "save"})
    assert posted.status == 403
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 0


async def test_a_form_without_its_csrf_token_is_refused(
    dashboard: Client, make_staff: MakeStaff, sessions: Sessions
) -> None:
    await signed_in_admin(dashboard, make_staff)
    posted = await dashboard.post(
        "/dashboard/campaigns/new", data={**FORM, "action": "save"}, allow_redirects=False
    )
    assert posted.status == 403
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 0
