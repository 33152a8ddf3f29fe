"""'Get support' as a family meets it: asking a team for help, 'My requests', and /delete while
the team is still helping."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import GrowWellApplication
from domain import referrals
from domain.staff import create_staff, link_telegram
from local_bot_api.server import BotApiServer
from local_bot_api.users import TelegramUser
from store.models import (
    ContactMethod,
    Family,
    Referral,
    ReferralPriority,
    ReferralStatus,
    StaffMember,
    StaffRole,
)
from tests.conftest import Clock
from tests.e2e.conftest import start_bot, stop_bot
from tests.e2e.transcript import flat, says, taps, texts
from tests.scheduler.conftest import local, make_family

Sessions = async_sessionmaker[AsyncSession]
BABS = "Bonding with your baby (BABS)"
HUB = "Not sure? Talk to a health visitor"


async def family_with_baby(
    bot: GrowWellApplication, sessions: Sessions, clock: Clock, chat_id: int, locale: str = "en"
) -> None:
    """A family signed up with a baby born on 1 November 2026 (three weeks old)."""
    clock.now = local(2026, 11, 23, 10)  # a Monday
    plan = bot.bot_data["services"].plan
    await make_family(sessions, plan, clock, chat_id, born=date(2026, 11, 1), locale=locale)


async def requests_of(sessions: Sessions, chat_id: int) -> list[Referral]:
    async with sessions() as session:
        family = await session.scalar(select(Family).where(Family.chat_id == chat_id))
        assert family is not None
        return await referrals.requests_of_family(session, family.id)


async def ask_babs_by_phone(user: TelegramUser) -> str:
    """The family asks BABS for help, to be called in the morning; the confirmation back."""
    [menu] = await says(user, "/menu")
    assert flat(menu.buttons)[:2] == ["🤝 Get support", "📨 My requests"]
    [choose] = await taps(user, "🤝 Get support")
    assert choose.visible_text.startswith("What would you like support with?")
    assert flat(choose.buttons)[0] == HUB
    assert BABS in flat(choose.buttons)
    [question] = await taps(user, BABS)
    assert "What feels hardest at the moment?" in question.visible_text
    assert flat(question.buttons) == [
        "Bonding with my baby",
        "How I am feeling",
        "Things from my past",
        "Something else",
        "⬅️ Back",
        "✖️ Cancel",
    ]
    [more] = await taps(user, "How I am feeling")
    assert "Is there anything else you would like the team to know?" in more.visible_text
    assert "Skip this question" in flat(more.buttons)
    [how] = await says(user, "I am so tired and I cry a lot")
    assert how.visible_text == "How would you like the team to contact you?"
    [phone] = await taps(user, "📞 A phone call")
    assert phone.visible_text.startswith("What UK phone number should the team call?")
    wrong, again = await says(user, "12345")
    assert wrong.visible_text.startswith("Sorry, that doesn't look like a UK phone number.")
    assert again.visible_text == phone.visible_text
    [when] = await says(user, "07911 123456")
    assert when.visible_text.startswith("When is the best time to call you?")
    assert flat(when.buttons)[:3] == ["In the morning", "In the afternoon", "Any time"]
    [check] = await taps(user, "In the morning")
    assert check.visible_text.startswith("Please check your request")
    assert "How I am feeling" in check.visible_text
    assert "I am so tired and I cry a lot" in check.visible_text
    assert "A phone call to 07911 123456, in the morning" in check.visible_text
    assert f"share these answers with the team for {BABS}" in check.visible_text
    [done] = await taps(user, "✅ Yes, send my request")
    return done.visible_text


async def test_a_family_asks_for_support_and_the_request_reaches_the_team(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await family_with_baby(bot_without_jobs, sessions, clock, 9101)
    user = bot_api.user(user_id=9101)
    done = await ask_babs_by_phone(user)
    [request] = await requests_of(sessions, 9101)
    assert done.splitlines()[:2] == [
        f"✅ Thank you. Your request has been sent to the team for {BABS}.",
        f"Your reference is {request.reference}.",
    ]
    assert "The team aims to contact you within 5 working days." in done
    assert "They will call you on 07911 123456." in done
    assert request.spoke_id == "babs" and request.status is ReferralStatus.NEW
    assert request.answers == {
        "what_is_hard": "feelings",
        "anything_else": "I am so tired and I cry a lot",
    }
    assert request.contact_method is ContactMethod.PHONE
    assert (request.phone, request.call_window) == ("+447911123456", "morning")
    assert request.consent_at == clock.now
    assert request.child_age_band == "0 months"
    assert request.priority is ReferralPriority.NORMAL
    async with sessions() as session:  # the team's group post is due at once
        assert [r.id for r in await referrals.posts_due(session)] == [request.id]


async def test_a_second_request_to_the_same_support_shows_the_open_one(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await family_with_baby(bot_without_jobs, sessions, clock, 9102)
    user = bot_api.user(user_id=9102)
    await ask_babs_by_phone(user)
    await says(user, "/menu")
    await taps(user, "🤝 Get support")
    [shown] = await taps(user, BABS)
    [request] = await requests_of(sessions, 9102)
    assert shown.visible_text.startswith(
        f"You already have a request open for {BABS}, so I have not made a new one."
    )
    assert f"Reference: {request.reference}" in shown.visible_text
    assert flat(shown.buttons) == [
        f"✉️ Message the team ({request.reference})",
        f"✖️ Cancel {request.reference}",
    ]


async def test_my_requests_cancel_one_and_message_the_team_about_another(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await family_with_baby(bot_without_jobs, sessions, clock, 9103)
    user = bot_api.user(user_id=9103)
    [empty] = await says(user, "/requests")
    assert empty.visible_text.startswith("You have not asked for support yet.")
    await ask_babs_by_phone(user)
    await says(user, "/support")
    [question] = await taps(user, HUB)
    assert "What would you like help with?" in question.visible_text
    assert "Please type your answer." in question.visible_text
    await says(user, "Help with sleep please")
    [check] = await taps(user, "💬 A message in this chat")
    assert "How to contact you: A message in this chat" in check.visible_text
    [done] = await taps(user, "✅ Yes, send my request")
    assert "The team aims to contact you within 2 working days." in done.visible_text
    assert "They will send you a message here." in done.visible_text
    hub, babs = await requests_of(sessions, 9103)

    [mine] = await says(user, "/requests")
    assert mine.visible_text.startswith("My requests")
    assert f"Reference: {hub.reference}" in mine.visible_text
    assert "Status: Sent. Waiting for the team to pick it up" in mine.visible_text
    assert "Asked on 23 November 2026" in mine.visible_text
    [sure] = await taps(user, f"✖️ Cancel {babs.reference}")
    assert sure.visible_text.startswith(f"Do you want to cancel your request {babs.reference}")
    [cancelled] = await taps(user, "Yes, cancel it")
    assert cancelled.visible_text.startswith(f"I have cancelled your request {babs.reference}.")

    [ask] = await taps(user, f"✉️ Message the team ({hub.reference})")
    assert ask.visible_text == f"Please type your message for the team about {hub.reference}."
    [thanks] = await says(user, "It is mostly at night")
    assert thanks.visible_text == (
        f"Thank you. I have passed your message to the team ({hub.reference})."
    )
    hub, babs = await requests_of(sessions, 9103)
    assert (hub.status, babs.status) == (ReferralStatus.NEW, ReferralStatus.CANCELLED)
    async with sessions() as session:
        [message] = await referrals.thread(session, hub.id)
    assert (message.sender, message.text) == ("family", "It is mostly at night")
    [after] = await says(user, "/requests")
    assert "Status: Cancelled" in after.visible_text
    assert f"✖️ Cancel {babs.reference}" not in flat(after.buttons)


async def test_emergency_words_in_an_answer_get_the_999_reply_first_and_make_it_urgent(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await family_with_baby(bot_without_jobs, sessions, clock, 9104)
    user = bot_api.user(user_id=9104)
    await says(user, "/support")
    await taps(user, BABS)
    await taps(user, "How I am feeling")
    safety, kept, how = await says(user, "I want to kill myself")
    assert "Samaritans" in safety.visible_text
    assert kept.visible_text == (
        "I have kept your answer. I will mark your request as urgent for the team."
    )
    assert how.visible_text == "How would you like the team to contact you?"
    await taps(user, "💬 A message in this chat")
    [done] = await taps(user, "✅ Yes, send my request")
    assert "I have marked it as urgent for the team." in done.visible_text
    assert "call 999" in done.visible_text
    [request] = await requests_of(sessions, 9104)
    assert request.priority is ReferralPriority.URGENT
    assert request.urgent_reason == "emergency words in the family's answer (self_harm)"


async def test_a_restart_mid_request_carries_on_at_the_same_question(
    bot_api: BotApiServer, sessions: Sessions, database_url: str, clock: Clock
) -> None:
    first = await start_bot(bot_api, sessions, database_url, clock, run_jobs=False)
    try:
        await family_with_baby(first, sessions, clock, 9105)
        user = bot_api.user(user_id=9105)
        await says(user, "/support")
        await taps(user, BABS)
        [more] = await taps(user, "Things from my past")
        assert "Is there anything else" in more.visible_text
    finally:
        await stop_bot(first)
    second = await start_bot(bot_api, sessions, database_url, clock, run_jobs=False)
    try:
        [how] = await says(user, "Mornings are the hardest")
        assert how.visible_text == "How would you like the team to contact you?"
        await taps(user, "💬 A message in this chat")
        [done] = await taps(user, "✅ Yes, send my request")
        assert done.visible_text.startswith("✅ Thank you.")
        [request] = await requests_of(sessions, 9105)
        assert request.answers == {
            "what_is_hard": "past",
            "anything_else": "Mornings are the hardest",
        }
    finally:
        await stop_bot(second)


async def test_back_and_cancel(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await family_with_baby(bot_without_jobs, sessions, clock, 9106)
    user = bot_api.user(user_id=9106)
    await says(user, "/support")
    await taps(user, BABS)
    await taps(user, "Bonding with my baby")
    [first] = await taps(user, "⬅️ Back")
    assert "What feels hardest at the moment?" in first.visible_text
    [choose] = await taps(user, "⬅️ Back")
    assert choose.visible_text.startswith("What would you like support with?")
    bye, menu = await taps(user, "✖️ Cancel")
    assert bye.visible_text.startswith("OK, I have not sent anything.")
    assert menu.visible_text == "What would you like to do?"
    assert await requests_of(sessions, 9106) == []


async def test_an_article_on_mental_health_offers_babs(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await family_with_baby(bot_without_jobs, sessions, clock, 9107)
    user = bot_api.user(user_id=9107)
    library = bot_without_jobs.bot_data["services"].library
    article = next(a for a in library.articles_in("mental_health", "en"))
    await says(user, f"/start a_{article.id}")
    message = user.last_message
    assert message is not None
    while "🤝 " + BABS not in flat(message.buttons):  # support is offered on the last page
        [message] = await taps(user, next(b for b in flat(message.buttons) if "Next" in b))
    [question] = await taps(user, "🤝 " + BABS)
    assert "What feels hardest at the moment?" in question.visible_text


async def test_delete_waits_while_the_team_is_helping_and_the_team_is_told(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await family_with_baby(bot_without_jobs, sessions, clock, 9108)
    user = bot_api.user(user_id=9108)
    await ask_babs_by_phone(user)
    [request] = await requests_of(sessions, 9108)
    spokes = bot_without_jobs.bot_data["services"].spokes
    async with sessions.begin() as session:
        new = await create_staff(
            session,
            name="Amy",
            team_id="babs",
            role=StaffRole.STAFF,
            teams=spokes.teams,
            now=clock.now,
        )
        staff = await link_telegram(session, new.code, 777001, clock.now)
        assert isinstance(staff, StaffMember)
        assert isinstance(
            await referrals.claim(session, request.id, staff, clock.now), referrals.Done
        )
    await says(user, "/delete")
    replies = await taps(user, "Yes, delete everything")
    assert texts(replies).startswith(
        "I can't delete your details yet, because the team is still helping you with:\n"
        f"• {request.reference} ({BABS})"
    )
    async with sessions() as session:
        assert await session.scalar(select(Family).where(Family.chat_id == 9108)) is not None
        kinds = [e.kind for e in await referrals.history(session, request.id)]
        fresh = await session.get(Referral, request.id)
    assert kinds[-1] == "erasure_asked"
    assert fresh is not None and fresh.post_version > request.post_version


async def test_a_message_from_the_team_can_be_answered_with_reply(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await family_with_baby(bot_without_jobs, sessions, clock, 9109)
    user = bot_api.user(user_id=9109)
    await ask_babs_by_phone(user)
    [request] = await requests_of(sessions, 9109)
    spokes = bot_without_jobs.bot_data["services"].spokes
    async with sessions.begin() as session:
        new = await create_staff(
            session, name="Amy", team_id="babs", role=StaffRole.STAFF, teams=spokes.teams,
            now=clock.now,
        )  # fmt: skip
        staff = await link_telegram(session, new.code, 777002, clock.now)
        assert isinstance(staff, StaffMember)
        await referrals.claim(session, request.id, staff, clock.now)
        await referrals.add_staff_message(
            session, request.id, staff, "When can I call?", clock.now
        )
    dispatcher = bot_without_jobs.bot_data["dispatcher"]
    await dispatcher.run_once()
    await dispatcher.run_once()
    notices = await user.replies()
    assert notices[-1].visible_text.endswith("When can I call?")
    assert flat(notices[-1].buttons) == ["↩️ Reply"]
    [ask] = await taps(user, "↩️ Reply")
    assert ask.visible_text == f"Please type your message for the team about {request.reference}."
    [thanks] = await says(user, "After 2pm please")
    assert thanks.visible_text.startswith("Thank you. I have passed your message to the team")
    async with sessions() as session:
        thread = await referrals.thread(session, request.id)
    assert [(m.sender, m.text) for m in thread] == [
        ("staff", "When can I call?"),
        ("family", "After 2pm please"),
    ]


async def test_a_polish_family_asks_for_support_in_polish(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    await family_with_baby(bot_without_jobs, sessions, clock, 9110, locale="pl")
    user = bot_api.user(user_id=9110)
    [menu] = await says(user, "/menu")
    assert flat(menu.buttons)[:2] == ["🤝 Poproś o wsparcie", "📨 Moje zgłoszenia"]
    [choose] = await taps(user, "🤝 Poproś o wsparcie")
    assert choose.visible_text.startswith("W czym potrzebujesz wsparcia?")
    [question] = await taps(user, "Więź z dzieckiem (BABS)")
    assert "Co jest teraz dla ciebie najtrudniejsze?" in question.visible_text
    await taps(user, "Moje samopoczucie")
    [how] = await taps(user, "Pomiń to pytanie")
    assert how.visible_text == "Jak zespół ma się z Tobą skontaktować?"
    await taps(user, "📞 Telefon")
    wrong, _again = await says(user, "123")
    assert wrong.visible_text.startswith("Przepraszam, to nie wygląda na brytyjski numer")
    [when] = await says(user, "+44 7911 123456")
    assert when.visible_text.startswith("Kiedy najlepiej do Ciebie zadzwonić?")
    [check] = await taps(user, "Rano")
    assert check.visible_text.startswith("Sprawdź swoje zgłoszenie")
    assert "(pominięto)" in check.visible_text
    [done] = await taps(user, "✅ Tak, wyślij zgłoszenie")
    [request] = await requests_of(sessions, 9110)
    assert done.visible_text.splitlines()[:2] == [
        "✅ Dziękuję. Twoje zgłoszenie trafiło do zespołu: Więź z dzieckiem (BABS).",
        f"Twój numer zgłoszenia to {request.reference}.",
    ]
    assert "w ciągu 5 dni roboczych" in done.visible_text
    assert request.answers == {"what_is_hard": "feelings"}
    assert (request.phone, request.call_window) == ("+447911123456", "morning")
    assert request.consent_at == clock.now
    [mine] = await says(user, "/requests")
    assert "Stan: Wysłane. Czeka, aż zajmie się nim zespół" in mine.visible_text
