"""One question of a conversation: asking it, and answering anything that is not an answer.

Every step gets the same guards (`bot.conversation` adds them), so bad input anywhere is met
with a kind word and the same question again, and nothing stored changes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, ConversationHandler

from bot.context import GrowWellContext
from bot.help_text import help_text
from bot.language import family_locale
from bot.safety import safety_net_line
from locales import gettext_for

Ask = Callable[[Update, GrowWellContext], Coroutine[Any, Any, None]]
Callback = Callable[[Update, GrowWellContext], Coroutine[Any, Any, Any]]
Handler = BaseHandler[Update, GrowWellContext, Any]

QUESTION_KEY = "q"


async def send_question(
    update: Update,
    context: GrowWellContext,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send a question and remember it, so presses on older messages can be told apart."""
    assert update.effective_chat is not None
    message = await context.bot.send_message(
        update.effective_chat.id, text, reply_markup=markup, parse_mode=ParseMode.HTML
    )
    context.drafts[QUESTION_KEY] = message.message_id
    return message


async def acknowledge(update: Update) -> None:
    """Stop the spinner on a tapped button, with nothing to say about it."""
    if update.callback_query is not None:
        await update.callback_query.answer()


async def show_choice(update: Update, *, answer: bool = True) -> None:
    """Settle a pressed question: keep its text, drop the buttons, show the one pressed.

    `answer=False` leaves the tap to be answered by what comes next (a tap is answered once).
    """
    query = update.callback_query
    if query is None:
        return
    if answer:
        await query.answer()
    if not isinstance(query.message, Message):
        return
    markup = query.message.reply_markup
    pressed = next(
        (
            b.text
            for row in (markup.inline_keyboard if markup else ())
            for b in row
            if b.callback_data == query.data
        ),
        None,
    )
    original = query.message.text_html or ""
    shown = f"{original}\n\n✔️ <b>{escape(pressed)}</b>" if pressed else original
    await query.edit_message_text(shown, parse_mode=ParseMode.HTML)


def current_only(ask: Ask, callback: Callback) -> Callback:
    """Run a button handler only if it was pressed on the question being asked now.

    That is the question remembered last, or one sent after it: a step is saved before its
    question goes out, but the question's id only after, so a crash in between must not turn
    the question on the screen into an old one. Message ids in a chat only grow.
    """

    async def guarded(update: Update, context: GrowWellContext) -> Any:
        query = update.callback_query
        assert query is not None
        message_id = query.message.message_id if query.message else None
        asked = context.drafts.get(QUESTION_KEY)
        if message_id is None or not isinstance(asked, int) or message_id < asked:
            return await stale_button(ask)(update, context)
        return await callback(update, context)

    return guarded


def stale_button(ask: Ask) -> Callback:
    async def answer(update: Update, context: GrowWellContext) -> None:
        _ = gettext_for(await family_locale(update, context))
        assert update.callback_query is not None
        await update.callback_query.answer(
            _("That button is from an earlier message. Here is where we are now.")
        )
        await ask(update, context)

    return answer


def unexpected_input(ask: Ask, *, expects_text: bool) -> Callback:
    """A sticker, photo, voice note, or words where a button was expected."""

    async def answer(update: Update, context: GrowWellContext) -> None:
        if not context.emergency_shown:
            locale = await family_locale(update, context)
            _ = gettext_for(locale)
            message = update.effective_message
            assert message is not None
            if message.text and not expects_text:
                reply = _("Please tap one of the buttons to answer.")
            else:
                reply = (
                    _("Sorry, I can only read typed words here. Please type your answer.")
                    if expects_text
                    else _("Sorry, I can only read typed words and button taps here.")
                )
                if not message.text:  # a voice note or a photo may be a call for help
                    reply += "\n\n" + safety_net_line(locale)
            await message.reply_text(reply)
        await ask(update, context)

    return answer


def command_mid_step(ask: Ask) -> Callback:
    async def answer(update: Update, context: GrowWellContext) -> None:
        _ = gettext_for(await family_locale(update, context))
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            _("Let's finish this question first. You can use that command straight after.")
        )
        await ask(update, context)

    return answer


def carry_on(ask: Ask) -> Callback:
    """A second /start in the middle of a conversation: nothing is lost, we carry on."""

    async def answer(update: Update, context: GrowWellContext) -> None:
        _ = gettext_for(await family_locale(update, context))
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            _("We are in the middle of this already, so let's carry on from where we were.")
        )
        await ask(update, context)

    return answer


def help_mid_step(ask: Ask) -> Callback:
    async def answer(update: Update, context: GrowWellContext) -> None:
        locale = await family_locale(update, context)
        assert update.effective_message is not None
        await update.effective_message.reply_text(help_text(locale), parse_mode=ParseMode.HTML)
        await ask(update, context)

    return answer


END = ConversationHandler.END
