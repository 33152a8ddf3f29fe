"""Conversations that always recover, as transcripts: whatever fails or is left half done, the
family is never locked out, one conversation runs at a time, and /delete means what it says."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import GrowWellApplication, shipped_resources
from local_bot_api.chats import SentMessage
from local_bot_api.server import BotApiServer
from local_bot_api.users import TelegramUser
from store.models import Appointment, Child, ConversationState, Family
from tests.conftest import Clock
from tests.e2e.conftest import start_bot, stop_bot
from tests.e2e.test_bad_input import DUE_QUESTION, at_date_question
from tests.e2e.test_reminders import dispatcher_of
from tests.e2e.transcript import PROGRESS, flat, forges, says, taps
from tests.scheduler.conftest import make_family

Sessions = async_sessionmaker[AsyncSession]
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
CARRY_ON = "Send /start to carry on signing up where you left off."
MENU = "What would you like to do?"
SETTINGS = "What would you like to change?"
WHERE = "Where do you live?"
LEAVE_APPOINTMENT = (
    "We have not finished adding your appointment. Do you want to leave it? It will not be saved."
)


async def registered(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock, chat: int
) -> TelegramUser:
    """A family that finished sign-up a moment ago, with a baby born last month."""
    await make_family(sessions, bot.bot_data["services"].plan, clock, chat, born=date(2026, 10, 1))
    return bot_api.user(user_id=chat, first_name=f"User{chat}")


async def at_appointment_date(user: TelegramUser) -> None:
    [what] = await says(user, "/appointment")
    assert what.visible_text.startswith("What is the appointment?")
    [when] = await says(user, "8 week jabs")
    assert when.visible_text.startswith("What date is it?")


async def family_count(sessions: Sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(Family)) or 0


def visible(messages: list[SentMessage]) -> list[str]:
    return [m.visible_text for m in messages]


# --- nothing that fails locks a family out ----------------------------------------------------


async def test_a_502_after_yes_thats_right_ends_kindly_and_start_carries_on(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions
) -> None:
    user = await at_date_question(bot_api, 9101, "I'm expecting a baby")
    await says(user, "3/4/2027")
    bot_api.inject_fault("sendMessage", status=502, times=1, chat_id=user.id)
    assert visible(await taps(user, "Yes, that's right")) == [SORRY, CARRY_ON]
    [not_yet] = await says(user, "/menu")
    assert not_yet.visible_text == "Please send /start to sign up first."
    [area] = await says(user, "/start")  # the baby was stored before the fault
    assert area.visible_text.startswith(WHERE)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Child)) == 1


async def test_a_database_error_mid_step_ends_kindly_and_start_asks_again(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions
) -> None:
    user = await at_date_question(bot_api, 9102, "I'm expecting a baby")
    await says(user, "3/4/2027")
    async with sessions.begin() as session:
        await session.execute(text("ALTER TABLE children RENAME TO children_away"))
    try:
        replies = await taps(user, "Yes, that's right")
    finally:
        async with sessions.begin() as session:
            await session.execute(text("ALTER TABLE children_away RENAME TO children"))
    assert visible(replies)[0] == SORRY
    [kind] = await says(user, "/start")  # the date was never stored: it is asked for again
    assert kind.visible_text == "Are you expecting a baby, or has your baby been born?"
    await taps(user, "I'm expecting a baby")
    [check] = await says(user, "3/4/2027")
    assert check.visible_text == "Just to check: did you mean Saturday, 3 April 2027?"


async def test_a_forged_add_another_child_past_eight_is_refused_and_sign_up_goes_on(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions
) -> None:
    user = await at_date_question(bot_api, 9103, "I'm expecting a baby")
    await says(user, "3/4/2027")
    [more] = await taps(user, "Yes, that's right")
    for _ in range(7):
        [more] = await taps(user, "Add a twin (same date)")
    assert flat(more.buttons) == ["No, that's everyone"]
    replies = [m for m in await forges(user, more.message_id, "more:another") if not m.edited]
    assert visible(replies)[0] == "I can't add more children, sorry."
    assert "Do you have another child to add?" in replies[1].visible_text
    [area] = await taps(user, "No, that's everyone")
    assert area.visible_text.startswith(WHERE)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Child)) == 8


async def test_an_error_in_settings_ends_them_kindly_with_the_menu(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    user = await registered(bot, bot_api, sessions, clock, 9104)
    await says(user, "/settings")
    bot_api.inject_fault("sendMessage", status=502, times=1, chat_id=user.id)
    sorry, menu = await taps(user, "🕒 Message time")
    assert (sorry.visible_text, menu.visible_text) == (SORRY, MENU)
    [settings] = await says(user, "/settings")
    assert settings.visible_text == SETTINGS


async def test_a_lost_answer_is_asked_for_again(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    user = await registered(bot, bot_api, sessions, clock, 9105)
    await at_appointment_date(user)
    await says(user, "26/11/2026")
    [check] = await says(user, "14:15")
    assert check.visible_text.startswith("Shall I save this?")
    bot.chat_data[user.id].pop("appt_day")  # as if the answer had never reached the disk
    [again] = await taps(user, "Yes, save it")
    assert again.visible_text.startswith("What date is it?")
    await says(user, "27/11/2026")
    await says(user, "14:15")
    [saved] = await taps(user, "Yes, save it")
    assert saved.visible_text.startswith("Saved.")


async def test_start_and_menu_work_in_the_middle_of_settings(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    user = await registered(bot, bot_api, sessions, clock, 9106)
    await says(user, "/settings")
    await taps(user, "📍 Area")
    [menu] = await says(user, "/menu")
    assert menu.visible_text == MENU
    await says(user, "/settings")
    [menu] = await says(user, "/start")
    assert menu.visible_text == MENU
    [found] = await says(user, "teething")  # no longer read as an area
    assert not found.visible_text.startswith("Sorry, I couldn't find that.")


# --- one conversation at a time ---------------------------------------------------------------


async def test_settings_ask_before_leaving_a_half_entered_appointment(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    user = await registered(bot, bot_api, sessions, clock, 9107)
    await at_appointment_date(user)
    [leave] = await says(user, "/settings")
    assert leave.visible_text == LEAVE_APPOINTMENT
    assert flat(leave.buttons) == ["Yes, leave it", "No, carry on"]
    [again] = await taps(user, "No, carry on")
    assert again.visible_text.startswith("What date is it?")
    await says(user, "/settings")
    [settings] = await taps(user, "Yes, leave it")
    assert settings.visible_text == SETTINGS
    [menu] = await taps(user, "✅ Done")
    assert menu.visible_text == MENU
    [found] = await says(user, "teething")  # a library question, not an appointment name
    assert not found.visible_text.startswith("Sorry, I couldn't read that as a date.")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 0


async def test_delete_while_settings_wait_to_open_erases_everything(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    user = await registered(bot, bot_api, sessions, clock, 9108)
    await at_appointment_date(user)
    await says(user, "/settings")
    [question] = await says(user, "/delete")
    assert question.visible_text.startswith("Do you want me to delete all your details?")
    [done] = await taps(user, "Yes, delete everything")
    assert done.visible_text.startswith("All your details have been deleted.")
    assert await family_count(sessions) == 0


async def test_delete_in_the_middle_of_a_step_erases_everything(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    user = await registered(bot, bot_api, sessions, clock, 9109)
    await says(user, "/settings")
    await taps(user, "🌐 Language")
    await says(user, "/delete")
    [done] = await taps(user, "Yes, delete everything")
    assert done.visible_text.startswith("All your details have been deleted.")
    assert await family_count(sessions) == 0
    [welcome] = await says(user, "/start")
    assert "Welcome to Grow Well" in welcome.visible_text


# --- a delete button erases only when it answers the question asked last --------------------


async def test_a_leftover_delete_button_erases_nothing(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    user = await registered(bot, bot_api, sessions, clock, 9110)
    [question] = await says(user, "/delete")
    [yes_data, _no] = [row[0]["callback_data"] for row in question.inline_keyboard]
    [kept] = await taps(user, "No, keep my details")
    assert kept.visible_text == "OK, I have kept your details."
    await forges(user, question.message_id, yes_data)
    assert user.callback_answers[-1] == "That button is from an earlier message."
    [first] = await says(user, "/delete")
    await says(user, "/delete")
    await forges(user, first.message_id, first.inline_keyboard[0][0]["callback_data"])
    assert await family_count(sessions) == 1


async def test_a_forged_delete_button_erases_nothing(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    user = await registered(bot, bot_api, sessions, clock, 9111)
    [menu] = await says(user, "/menu")
    for forged in ("del:yes", "del:yes:AAAAAAAA"):
        await forges(user, menu.message_id, forged)
    assert await family_count(sessions) == 1


# --- a conversation left alone times out ------------------------------------------------------


async def test_a_family_that_walks_away_from_settings_gets_reminders_again(
    bot_without_jobs: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    user = await registered(bot_without_jobs, bot_api, sessions, clock, 9112)
    await says(user, "/settings")
    clock.advance(minutes=11)  # idle, but the settings question is still open
    await dispatcher_of(bot_without_jobs).run_once()
    assert await user.replies(timeout=0.3) == []
    clock.advance(minutes=20)
    await dispatcher_of(bot_without_jobs).run_once()
    [welcome] = await user.replies()
    assert welcome.visible_text.startswith("Here is where you are now")


async def test_after_the_timeout_a_message_is_not_read_as_the_old_answer(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions, clock: Clock
) -> None:
    user = await registered(bot, bot_api, sessions, clock, 9113)
    await at_appointment_date(user)
    clock.advance(minutes=31)
    [found] = await says(user, "teething")
    assert not found.visible_text.startswith("Sorry, I couldn't read that as a date.")
    [menu] = await says(user, "/menu")
    assert menu.visible_text == MENU
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationState)) == 0


@pytest.fixture
async def bot_with_a_short_timeout(
    bot_api: BotApiServer, sessions: Sessions, database_url: str, clock: Clock
) -> AsyncIterator[GrowWellApplication]:
    """The whole bot with conversations that time out after half a second of real time."""
    shipped = shipped_resources()
    conversations = shipped.rules.conversations.model_copy(update={"timeout_minutes": 0.5 / 60})
    rules = shipped.rules.model_copy(update={"conversations": conversations})
    resources = dataclasses.replace(shipped, rules=rules)
    application = await start_bot(bot_api, sessions, database_url, clock, resources=resources)
    yield application
    await stop_bot(application)


async def test_ptb_ends_an_idle_conversation_and_forgets_its_answers(
    bot_with_a_short_timeout: GrowWellApplication,
    bot_api: BotApiServer,
    sessions: Sessions,
    clock: Clock,
) -> None:
    user = await registered(bot_with_a_short_timeout, bot_api, sessions, clock, 9114)
    await at_appointment_date(user)
    await asyncio.sleep(1.5)
    assert "appt_what" not in bot_with_a_short_timeout.chat_data[user.id]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationState)) == 0
    [found] = await says(user, "teething")
    assert not found.visible_text.startswith("Sorry, I couldn't read that as a date.")


# --- edits ------------------------------------------------------------------------------------


async def test_an_edited_message_is_not_read_as_an_answer(
    bot: GrowWellApplication, bot_api: BotApiServer
) -> None:
    user = await at_date_question(bot_api, 9115, "I'm expecting a baby")
    before = PROGRESS.seen(user.id)
    sent = await user.send("banana")
    await PROGRESS.wait_past(user.id, before)
    await user.replies(timeout=0.05)
    before = PROGRESS.seen(user.id)
    await user.edit(sent["message_id"], "3/4/2027")
    await PROGRESS.wait_past(user.id, before)
    assert visible(await user.replies(timeout=0.05)) == [
        "I only read new messages, so I have not used your change. "
        "Please send it again as a new message."
    ]
    [check] = await says(user, "3/4/2027")
    assert check.visible_text == "Just to check: did you mean Saturday, 3 April 2027?"
    assert DUE_QUESTION.startswith("When is your baby due?")


async def test_button_data_with_a_trailing_newline_is_refused(
    bot: GrowWellApplication, bot_api: BotApiServer, sessions: Sessions
) -> None:
    user = bot_api.user(user_id=9116, first_name="Kim", language_code="en")
    await says(user, "/start")
    [language] = await taps(user, "Yes, that's OK")
    await forges(user, language.message_id, "lang:pl\n")  # `^lang:(pl|...)$` matches it
    assert user.callback_answers[-1] == "That button is from an earlier message."
    [role] = await taps(user, "English")
    assert role.visible_text == "Who are you to the baby?"
    async with sessions() as session:
        assert await session.scalar(select(Family.locale)) == "en"
