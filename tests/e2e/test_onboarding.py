"""Sign-up as transcripts: the family sends this, the bot answers that, with these buttons."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from local_bot_api.server import BotApiServer
from local_bot_api.users import TelegramUser
from locales import SUPPORTED_LOCALES, gettext_for
from store.models import Child, Family, Role, SendTime
from tests.e2e.transcript import flat, presses, says, taps, texts


async def test_a_mum_expecting_twins_signs_up_in_english(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    amy = bot_api.user(user_id=1001, first_name="Amy", language_code="en")

    [welcome] = await says(amy, "/start")
    assert "Welcome to Grow Well" in welcome.visible_text
    assert "no one reads these messages all day and night" in welcome.visible_text
    assert welcome.buttons == [
        ["Yes, that's OK"],
        ["No, thank you"],
        ["Polski", "Português", "العربية"],
    ]
    async with sessions() as session:  # nothing is stored before consent
        assert await session.scalar(select(func.count()).select_from(Family)) == 0

    [language] = await taps(amy, "Yes, that's OK")
    assert language.visible_text == "Which language would you like me to use?"
    assert flat(language.buttons) == ["English", "Polski", "Português", "العربية"]

    [role] = await taps(amy, "English")
    assert role.visible_text == "Who are you to the baby?"
    assert flat(role.buttons) == [
        "Mum",
        "Dad",
        "Partner",
        "Other carer (like a grandparent or foster carer)",
    ]

    [kind] = await taps(amy, "Mum")
    assert kind.visible_text == "Are you expecting a baby, or has your baby been born?"

    [due] = await taps(amy, "I'm expecting a baby")
    assert due.visible_text == "When is your baby due? Please type the date, like 14/3/2027."

    [check] = await says(amy, "03/04/2027")
    assert check.visible_text == "Just to check: did you mean Saturday, 3 April 2027?"
    assert flat(check.buttons) == ["Yes, that's right", "No, I'll type it again"]

    [more] = await taps(amy, "Yes, that's right")
    assert "Baby due on 3 April 2027" in more.visible_text
    assert flat(more.buttons) == [
        "Add a twin (same date)",
        "Add another child under 5",
        "No, that's everyone",
    ]

    [more] = await taps(amy, "Add a twin (same date)")
    assert more.visible_text.count("Baby due on 3 April 2027") == 2

    [area] = await taps(amy, "No, that's everyone")
    assert area.visible_text.startswith("Where do you live?")
    assert "Bootle" in flat(area.buttons)
    assert "I don't live in Sefton" in flat(area.buttons)

    [when] = await says(amy, "l20 3ab")
    assert when.visible_text == "What time of day is best for my messages?"
    assert flat(when.buttons) == [
        "Morning, around 09:30",
        "Afternoon, around 13:00",
        "Evening, around 18:30",
    ]

    summary, menu = await taps(amy, "Evening, around 18:30")
    assert "All done, thank you!" in summary.visible_text
    assert "Language: English" in summary.visible_text
    assert "You are: Mum" in summary.visible_text
    assert "Area: L20" in summary.visible_text
    assert "Messages: Evening, around 18:30" in summary.visible_text
    assert menu.visible_text == "What would you like to do?"
    assert flat(menu.buttons) == [
        "🤝 Get support",
        "📨 My requests",
        "📚 Library",
        "🔔 My reminders",
        "⚙️ Settings",
        "⏸ Pause messages",
        "📄 My data",
        "❓ Help",
    ]

    async with sessions() as session:
        family = await session.scalar(select(Family).where(Family.chat_id == amy.id))
        assert family is not None
        assert family.locale == "en"
        assert family.role is Role.MUM
        assert family.fathers_track is False
        assert (family.area, family.in_sefton) == ("L20", True)
        assert family.send_time is SendTime.EVENING
        assert family.registered_at is not None
        assert [c.due_date for c in family.children] == [date(2027, 4, 3)] * 2


async def test_a_second_start_after_sign_up_opens_the_menu(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ben = await signed_up(bot_api, user_id=1002, role="Dad", born="1/10/2026")
    [menu] = await says(ben, "/start")
    assert menu.visible_text == "What would you like to do?"
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Family)) == 1
        assert await session.scalar(select(func.count()).select_from(Child)) == 1
        family = await session.scalar(select(Family))
        assert family is not None
        assert family.fathers_track is True


async def test_declining_consent_stores_nothing(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    cara = bot_api.user(user_id=1003, first_name="Cara", language_code="en")
    await says(cara, "/start")
    [goodbye] = await taps(cara, "No, thank you")
    assert "I have not kept any details about you" in goodbye.visible_text
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Family)) == 0


async def test_the_privacy_notice_can_be_read_in_another_language_first(
    bot: object, bot_api: BotApiServer
) -> None:
    dora = bot_api.user(user_id=1004, first_name="Dora", language_code="en")
    await says(dora, "/start")
    [edited] = await presses(dora, "Polski")
    assert edited.edited
    assert "Grow Well" in edited.visible_text
    assert "English" in flat(edited.buttons)
    assert texts([edited]) != ""


async def signed_up(
    bot_api: BotApiServer,
    *,
    user_id: int,
    role: str = "Mum",
    due: str | None = None,
    born: str | None = None,
    language: str = "English",
    twins: bool = False,
) -> TelegramUser:
    """A family that has finished sign-up through the real conversation."""
    user = bot_api.user(user_id=user_id, first_name=f"User{user_id}", language_code="en")
    await says(user, "/start")
    await taps(user, "Yes, that's OK")
    await taps(user, language)
    await taps(user, role)
    if born is not None:
        await taps(user, "My baby has been born")
        await says(user, born)
    else:
        await taps(user, "I'm expecting a baby")
        await says(user, due or "1/5/2027")
    await taps(user, "Yes, that's right")
    if twins:
        await taps(user, "Add a twin (same date)")
    await taps(user, "No, that's everyone")
    await taps(user, "Bootle")
    await taps(user, "Morning, around 09:30")
    return user


async def test_commands_are_registered_in_every_language(
    bot: object, bot_api: BotApiServer
) -> None:
    english = bot_api.commands()
    assert [c["command"] for c in english] == [
        "start",
        "menu",
        "library",
        "reminders",
        "appointment",
        "support",
        "requests",
        "settings",
        "pause",
        "resume",
        "mydata",
        "delete",
        "help",
    ]
    for locale in SUPPORTED_LOCALES:
        assert [c["command"] for c in bot_api.commands(language_code=locale)] == [
            c["command"] for c in english
        ]
    polish = {c["command"]: c["description"] for c in bot_api.commands(language_code="pl")}
    assert polish["help"] != "Help, and what to do in an emergency"


async def test_a_dad_signs_up_in_polish(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The same sign-up in Polish; every question and button comes from the Polish catalog."""
    pl = gettext_for("pl")
    piotr = bot_api.user(user_id=1010, first_name="Piotr", language_code="pl")
    [welcome] = await says(piotr, "/start")
    assert pl("Is it OK for me to keep these details?") in welcome.visible_text
    assert welcome.buttons[0] == [pl("Yes, that's OK")]
    assert pl("Yes, that's OK") != "Yes, that's OK"
    [language] = await taps(piotr, pl("Yes, that's OK"))
    assert language.visible_text == pl("Which language would you like me to use?")
    [role] = await taps(piotr, "Polski")
    assert role.visible_text == pl("Who are you to the baby?")
    [kind] = await taps(piotr, pl("Dad"))
    [ask] = await taps(piotr, pl("My baby has been born"))
    assert ask.visible_text == pl("When was your baby born? Please type the date, like 2/9/2026.")
    [check] = await says(piotr, "3 września 2026")
    assert "czwartek, 3 września 2026" in check.visible_text
    [more] = await taps(piotr, pl("Yes, that's right"))
    assert "3 września 2026" in more.visible_text
    [area] = await taps(piotr, pl("No, that's everyone"))
    assert "Maghull" in flat(area.buttons)
    [when] = await taps(piotr, "Maghull")
    assert when.visible_text == pl("What time of day is best for my messages?")
    summary, menu = await taps(piotr, when.buttons[0][0])
    assert "Polski" in summary.visible_text
    assert "Maghull" in summary.visible_text
    assert menu.visible_text == pl("What would you like to do?")
    assert kind.visible_text == pl("Are you expecting a baby, or has your baby been born?")
    async with sessions() as session:
        family = await session.scalar(select(Family).where(Family.chat_id == piotr.id))
        assert family is not None
        assert (family.locale, family.role, family.area) == ("pl", Role.DAD, "maghull")
        assert family.fathers_track is True
        assert [c.birth_date for c in family.children] == [date(2026, 9, 3)]
