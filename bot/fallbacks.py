"""Answers for anything no conversation or command took: stray text, old buttons, odd commands."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import GrowWellContext
from bot.language import family_locale
from bot.library import answer_question
from bot.menu import send_menu, send_way_back
from bot.safety import safety_net_line
from bot.steps import Handler
from locales import gettext_for


async def unknown_command(update: Update, context: GrowWellContext) -> None:
    """A command we do not have."""
    _ = gettext_for(await family_locale(update, context))
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _("I don't know that command. Send /help to see what I can do.")
    )


async def stray_message(update: Update, context: GrowWellContext) -> None:
    """Text outside any question is a question for the library; media gets the menu."""
    if context.emergency_shown:
        return
    family = await context.family.registered()
    assert update.effective_message is not None
    if family is None:
        locale = await family_locale(update, context)
        _ = gettext_for(locale)
        hello = _("Hello! Send /start to sign up.")
        if not update.effective_message.text:
            hello += "\n\n" + safety_net_line(locale)
        await update.effective_message.reply_text(hello)
        return
    locale = family.locale
    if update.effective_message.text:
        await answer_question(update, context, locale)
        return
    _ = gettext_for(locale)
    await update.effective_message.reply_text(
        _("Thank you! I can only read typed words. Type a question, or use the menu below.")
        + "\n\n"
        + safety_net_line(locale)
    )
    await send_menu(update, context, locale)


async def old_button(update: Update, context: GrowWellContext) -> None:
    """A button from a message that is no longer current."""
    query = update.callback_query
    assert query is not None
    _ = gettext_for(await family_locale(update, context))
    await query.answer(_("That button is from an earlier message."))
    await send_way_back(update, context)


def handlers() -> list[Handler]:
    return [
        MessageHandler(filters.COMMAND, unknown_command),
        MessageHandler(filters.ALL, stray_message),
        CallbackQueryHandler(old_button),
    ]
