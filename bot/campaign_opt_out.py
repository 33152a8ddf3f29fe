"""'No more messages like this' under a targeted campaign: the family stops campaigns and keeps
its reminders (switched back on in /settings)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler

from bot.context import GrowWellContext
from bot.steps import Handler
from domain import campaigns
from locales import gettext_for
from scheduler.rendering import STOP_CAMPAIGNS


async def stop_campaigns(update: Update, context: GrowWellContext) -> None:
    """Opt out of campaigns, say so (reminders carry on), and drop the button."""
    query = update.callback_query
    assert query is not None
    if await context.family.find() is None:
        await query.answer()
        return
    async with context.family.editing() as edit:
        await campaigns.set_opt_out(edit.session, edit.family, True)
        locale = edit.family.locale
    _ = gettext_for(locale)
    await query.answer(
        _(
            "OK, no more messages like this. Your reminders carry on. "
            "You can switch these messages on again in /settings."
        ),
        show_alert=True,
    )
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        kept = [
            [button for button in row if button.callback_data != STOP_CAMPAIGNS]
            for row in query.message.reply_markup.inline_keyboard
        ]
        await query.edit_message_reply_markup(InlineKeyboardMarkup([row for row in kept if row]))


def handlers() -> list[Handler]:
    return [CallbackQueryHandler(stop_campaigns, pattern=f"^{STOP_CAMPAIGNS}$")]
