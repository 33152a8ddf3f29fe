"""Reminders as the family meets them: the welcome, 'My reminders', tips, appointments."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import GrowWellApplication
from local_bot_api.server import BotApiServer
from scheduler.dispatcher import Dispatcher
from scheduler.planner import run_planner
from store.models import Delivery, DeliveryStatus, MutedTopic
from tests.conftest import Clock
from tests.e2e.test_onboarding import signed_up
from tests.e2e.transcript import flat, presses, says, taps
from tests.scheduler.conftest import local, make_family

Sessions = async_sessionmaker[AsyncSession]


def dispatcher_of(bot: GrowWellApplication) -> Dispatcher:
    dispatcher: Dispatcher = bot.bot_data["dispatcher"]
    return dispatcher


async def test_after_sign_up_the_welcome_waits_until_the_family_is_idle(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, clock: Clock
) -> None:
    clock.now = local(2026, 11, 23, 10)
    user = await signed_up(bot_api, user_id=8001, born="2/9/2026")
    await dispatcher_of(bot_without_jobs).run_once()
    assert [m for m in await user.replies(timeout=0.3)] == []  # they are still using the bot
    clock.advance(minutes=11)
    await dispatcher_of(bot_without_jobs).run_once()
    [welcome] = await user.replies()
    assert welcome.visible_text.startswith("Here is where you are now")
    assert "Immunisations: I will remind you around" in welcome.visible_text


async def test_my_reminders_lists_what_is_coming_with_dates_in_the_familys_language(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
) -> None:
    plan = bot_without_jobs.bot_data["services"].plan
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, plan, clock, 8002, born=date(2026, 11, 1))
    await make_family(sessions, plan, clock, 8003, born=date(2026, 11, 1), locale="pl")
    english = bot_api.user(user_id=8002)
    [coming] = await says(english, "/reminders")
    assert coming.visible_text.startswith("Coming up")
    assert "2026: immunisations" in coming.visible_text
    assert "Wednesday, 23 December 2026: immunisations" in coming.visible_text
    assert flat(coming.buttons) == [
        "🔕 Choose my tips",
        "📅 Add an appointment",
        "⬅️ Back to the menu",
    ]
    polish = bot_api.user(user_id=8003, language_code="pl")
    [coming_pl] = await says(polish, "/reminders")
    assert "środa, 23 grudnia 2026" in coming_pl.visible_text


async def test_a_tip_can_be_switched_off_from_the_message_and_back_on(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
) -> None:
    services = bot_without_jobs.bot_data["services"]
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, services.plan, clock, 8004, born=date(2026, 11, 20))
    user = bot_api.user(user_id=8004)
    dispatcher = dispatcher_of(bot_without_jobs)
    await dispatcher.run_once()  # the welcome
    await user.replies()
    clock.now = local(2026, 11, 24, 9, 30)
    await run_planner(services.sessions, services.plan, date(2026, 11, 24))
    await dispatcher.run_once()
    [tip] = await user.replies()
    assert "🔕 No more tips like this" in flat(tip.buttons)
    async with sessions() as session:
        topic = await session.scalar(
            select(Delivery.topic).where(
                Delivery.status == DeliveryStatus.SENT, Delivery.priority == 0
            )
        )
    [edited] = await presses(user, "🔕 No more tips like this")
    assert "🔕 No more tips like this" not in flat(edited.buttons)
    assert user.callback_answers[-1].startswith("OK, no more tips about")
    async with sessions() as session:
        assert list(await session.scalars(select(MutedTopic.topic))) == [topic]
        pending = await session.scalars(
            select(Delivery).where(
                Delivery.topic == topic, Delivery.status == DeliveryStatus.PENDING
            )
        )
        assert list(pending) == []
    await says(user, "/reminders")
    [tips] = await presses(user, "🔕 Choose my tips")
    off = next(label for label in flat(tips.buttons) if label.startswith("⬜"))
    await presses(user, off)
    async with sessions() as session:
        assert list(await session.scalars(select(MutedTopic.topic))) == []


async def test_read_more_on_a_reminder_opens_the_library_article(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
) -> None:
    services = bot_without_jobs.bot_data["services"]
    clock.now = local(2026, 11, 23, 9)
    await make_family(sessions, services.plan, clock, 8005, born=date(2026, 11, 20))
    user = bot_api.user(user_id=8005)
    dispatcher = dispatcher_of(bot_without_jobs)
    await dispatcher.run_once()
    await user.replies()
    for day in range(24, 31):
        clock.now = local(2026, 11, day, 9, 30)
        await run_planner(services.sessions, services.plan, clock.now.date())
        await dispatcher.run_once()
        [tip] = await user.replies()
        if "📖 Read more" in flat(tip.buttons):
            break
    else:
        raise AssertionError("no reminder with Read more in a week")
    [article] = await taps(user, "📖 Read more")
    assert article.parse_mode == "HTML"
    assert "Sources" in article.visible_text or "Next ▶️" in " ".join(flat(article.buttons))


async def test_adding_an_appointment_and_being_reminded_the_evening_before(
    bot_without_jobs: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
) -> None:
    services = bot_without_jobs.bot_data["services"]
    clock.now = local(2026, 11, 23, 10)
    await make_family(sessions, services.plan, clock, 8006, born=date(2026, 10, 1))
    user = bot_api.user(user_id=8006)
    [what] = await says(user, "/appointment")
    assert what.visible_text.startswith("What is the appointment?")
    [when] = await says(user, "8 week jabs at the GP")
    assert when.visible_text.startswith("What date is it?")
    explanation, again = await says(user, "someday")
    assert again.visible_text.startswith("What date is it?")
    assert explanation.visible_text.startswith("Sorry, I couldn't read that as a date.")
    [at] = await says(user, "26/11/2026")
    assert at.visible_text.startswith("What time is it?")
    explanation, again = await says(user, "25:99")
    assert again.visible_text.startswith("What time is it?")
    assert explanation.visible_text.startswith("Sorry, I couldn't read that as a time.")
    [check] = await says(user, "2:15pm")
    assert check.visible_text == (
        "Shall I save this? 8 week jabs at the GP on Thursday, 26 November 2026 at 14:15."
    )
    [saved] = await taps(user, "Yes, save it")
    assert saved.visible_text.startswith("Saved. I will remind you the evening before")
    clock.now = local(2026, 11, 25, 18, 45)
    await dispatcher_of(bot_without_jobs).run_once()
    messages = [m.visible_text for m in await user.replies()]
    assert (
        "⏰ Reminder: 8 week jabs at the GP is tomorrow, Thursday, 26 November 2026, at 14:15."
        in messages
    )
