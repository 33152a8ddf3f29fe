"""Bad input at the date question: a kind word, the same question again, nothing stored lost."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from local_bot_api.server import BotApiServer
from local_bot_api.users import TelegramUser
from store.models import Child, Family
from tests.e2e.transcript import PROGRESS, forges, says, taps

DUE_QUESTION = "When is your baby due? Please type the date, like 14/3/2027."
BORN_QUESTION = "When was your baby born? Please type the date, like 2/9/2026."


async def at_date_question(bot_api: BotApiServer, user_id: int, kind: str) -> TelegramUser:
    user = bot_api.user(user_id=user_id, first_name="Eve", language_code="en")
    await says(user, "/start")
    await taps(user, "Yes, that's OK")
    await taps(user, "English")
    await taps(user, "Mum")
    await taps(user, kind)
    return user


@pytest.mark.parametrize(
    ("typed", "kind", "reply"),
    [
        ("31/02/2027", "I'm expecting a baby", "That date doesn't exist on the calendar."),
        ("banana", "I'm expecting a baby", "Sorry, I couldn't read that as a date."),
        ("   ", "I'm expecting a baby", "I didn't get a date there."),
        ("March 2027", "I'm expecting a baby", "Please add the day too"),
        ("😀👶", "I'm expecting a baby", "Sorry, I couldn't read that as a date."),
        ("x" * 5000, "I'm expecting a baby", "Sorry, I couldn't read that as a date."),
        ("1/1/2029", "I'm expecting a baby", "That is more than 42 weeks away."),
        ("1/1/2027", "My baby has been born", "That date is still to come."),
        ("1/1/2019", "My baby has been born", "Grow Well is for babies and children under 5."),
    ],
)
async def test_a_wrong_date_gets_a_kind_reply_and_the_same_question(
    bot: object, bot_api: BotApiServer, typed: str, kind: str, reply: str
) -> None:
    user = await at_date_question(bot_api, 2001, kind)
    explanation, again = await says(user, typed)
    assert explanation.visible_text.startswith(reply)
    assert again.visible_text in (DUE_QUESTION, BORN_QUESTION)
    confirm = await says(user, "2/3/2026" if "born" in kind else "2/3/2027")
    assert confirm[-1].visible_text.startswith("Just to check: did you mean")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("3 March 2027", "Wednesday, 3 March 2027"),
        ("3 marca 2027", "Wednesday, 3 March 2027"),
        ("3 de março de 2027", "Wednesday, 3 March 2027"),
        ("3 مارس 2027", "Wednesday, 3 March 2027"),
        ("03/04/2027", "Saturday, 3 April 2027"),
    ],
)
async def test_dates_in_words_and_day_first_numbers_are_shown_back_to_confirm(
    bot: object, bot_api: BotApiServer, typed: str, shown: str
) -> None:
    user = await at_date_question(bot_api, 2002, "I'm expecting a baby")
    [check] = await says(user, typed)
    assert check.visible_text == f"Just to check: did you mean {shown}?"


async def test_a_due_date_long_past_offers_that_the_baby_is_born(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await at_date_question(bot_api, 2003, "I'm expecting a baby")
    [question] = await says(user, "1/9/2026")
    assert (
        question.visible_text == "That due date is more than a month ago. Has your baby been born?"
    )
    [born] = await taps(user, "Yes, my baby has been born")
    assert born.visible_text == BORN_QUESTION
    [check] = await says(user, "28/8/2026")
    assert check.visible_text == "Just to check: did you mean Friday, 28 August 2026?"
    await taps(user, "Yes, that's right")
    async with sessions() as session:
        child = await session.scalar(select(Child))
        assert child is not None
        assert child.birth_date is not None
        assert child.due_date is None


async def test_stickers_photos_and_voice_notes_get_the_question_again(
    bot: object, bot_api: BotApiServer
) -> None:
    user = await at_date_question(bot_api, 2004, "I'm expecting a baby")
    for send in (user.send_sticker, user.send_photo, user.send_voice):
        before = PROGRESS.seen(user.id)
        await send()
        await PROGRESS.wait_past(user.id, before)
        explanation, again = [m for m in await user.replies(timeout=0.05) if not m.edited]
        assert explanation.visible_text == (
            "Sorry, I can only read typed words here. Please type your answer.\n\n"
            "If this is happening now, call 999. If you are worried, call NHS 111."
        )
        assert again.visible_text == DUE_QUESTION


async def test_words_where_a_button_is_expected_ask_for_a_tap(
    bot: object, bot_api: BotApiServer
) -> None:
    user = bot_api.user(user_id=2005, first_name="Fay", language_code="en")
    await says(user, "/start")
    await taps(user, "Yes, that's OK")
    explanation, again = await says(user, "English please")
    assert explanation.visible_text == "Please tap one of the buttons to answer."
    assert again.visible_text == "Which language would you like me to use?"


async def test_commands_mid_conversation_keep_the_place(
    bot: object, bot_api: BotApiServer
) -> None:
    user = await at_date_question(bot_api, 2006, "I'm expecting a baby")
    note, again = await says(user, "/pause")
    assert note.visible_text.startswith("Let's finish this question first.")
    assert again.visible_text == DUE_QUESTION
    help_text, again = await says(user, "/help")
    assert "not an emergency service" in help_text.visible_text
    assert again.visible_text == DUE_QUESTION
    note, again = await says(user, "/start")
    assert note.visible_text.startswith("We are in the middle of this already")
    assert again.visible_text == DUE_QUESTION


async def test_old_and_forged_buttons_are_refused_and_the_question_repeated(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = bot_api.user(user_id=2007, first_name="Gil", language_code="en")
    await says(user, "/start")
    await taps(user, "Yes, that's OK")
    [role] = await taps(user, "English")
    language_message_id = role.message_id - 1
    # Tapping "Polski" on the settled language question again, and a made-up button.
    replies = [m for m in await forges(user, language_message_id, "lang:pl") if not m.edited]
    assert [m.visible_text for m in replies] == ["Who are you to the baby?"]
    assert user.callback_answers[-1] == (
        "That button is from an earlier message. Here is where we are now."
    )
    replies = [m for m in await forges(user, replies[0].message_id, "role:king") if not m.edited]
    assert [m.visible_text for m in replies] == ["Who are you to the baby?"]
    async with sessions() as session:
        family = await session.scalar(select(Family))
        assert family is not None
        assert family.locale == "en"
        assert family.role is None


async def test_a_typed_area_that_is_not_a_postcode_is_asked_again(
    bot: object, bot_api: BotApiServer
) -> None:
    user = await at_date_question(bot_api, 2008, "I'm expecting a baby")
    await says(user, "1/5/2027")
    await taps(user, "Yes, that's right")
    await taps(user, "No, that's everyone")
    explanation, again = await says(user, "near the park")
    assert explanation.visible_text.startswith("Sorry, I couldn't find that.")
    assert again.visible_text.startswith("Where do you live?")
    note, when = await says(user, "M1 1AA")
    assert "M1 looks like it is outside Sefton" in note.visible_text
    assert when.visible_text == "What time of day is best for my messages?"


async def test_nothing_is_stored_twice_when_sign_up_is_repeated(
    bot: object, bot_api: BotApiServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await at_date_question(bot_api, 2009, "I'm expecting a baby")
    await says(user, "/start")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Family)) == 1
