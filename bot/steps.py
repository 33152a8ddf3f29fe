"""One question of a conversation: asking it, and answering anything that is not an answer.

Every step gets the same guards, so bad input anywhere is met with a kind word and the same
question again, and nothing stored changes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import GrowWellContext
from bot.help_text import help_text
from bot.language import family_locale
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


async def show_choice(update: Update) -> None:
    """Settle a pressed question: keep its text, drop the buttons, show the one pressed."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    await query.answer()
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
    """Run a button handler only if it was pressed on the question being asked now."""

    async def guarded(update: Update, context: GrowWellContext) -> Any:
        query = update.callback_query
        assert query is not None
        message_id = query.message.message_id if query.message else None
        if message_id is None or message_id != context.drafts.get(QUESTION_KEY):
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
            _ = gettext_for(await family_locale(update, context))
            message = update.effective_message
            if expects_text:
                reply = _("Sorry, I can only read typed words here. Please type your answer.")
            elif message is not None and message.text:
                reply = _("Please tap one of the buttons to answer.")
            else:
                reply = _("Sorry, I can only read typed words and button taps here.")
            assert message is not None
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


def move_to(ask: Ask, state: str) -> Callback:
    """A button that only leads on: settle it, ask the next question, go to its state."""

    async def answer(update: Update, context: GrowWellContext) -> str:
        await show_choice(update)
        await ask(update, context)
        return state

    return answer


def step(
    ask: Ask,
    *handlers: Handler,
    expects_text: bool = False,
    on_delete: Callback,
) -> list[Handler]:
    """The handlers of one state: its own first, then the guards every question shares."""
    guards: list[Handler] = [
        CommandHandler("delete", on_delete),
        CommandHandler("help", help_mid_step(ask)),
        CommandHandler("start", carry_on(ask)),
        MessageHandler(filters.COMMAND, command_mid_step(ask)),
        MessageHandler(filters.ALL, unexpected_input(ask, expects_text=expects_text)),
        CallbackQueryHandler(stale_button(ask)),
    ]
    return [*handlers, *guards]


END = ConversationHandler.END
