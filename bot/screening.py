"""What is never read as an answer: an edit of a message already read, and button data that no
button of ours carries. These handlers come first in the main group, before any question."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import GrowWellContext
from bot.language import family_locale
from bot.steps import Handler
from locales import gettext_for


async def edited_message(update: Update, context: GrowWellContext) -> None:
    """An edit would answer whatever is asked now, not what the message first said."""
    if context.emergency_shown:
        return
    _ = gettext_for(await family_locale(update, context))
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _(
            "I only read new messages, so I have not used your change. "
            "Please send it again as a new message."
        )
    )


def _unprintable(data: object) -> bool:
    """Our buttons carry printable data only; a `$` in a pattern would let a final newline in."""
    return isinstance(data, str) and not data.isprintable()


async def forged_button(update: Update, context: GrowWellContext) -> None:
    query = update.callback_query
    assert query is not None
    _ = gettext_for(await family_locale(update, context))
    await query.answer(_("That button is from an earlier message."))


def handlers() -> list[Handler]:
    return [
        MessageHandler(filters.UpdateType.EDITED, edited_message),
        CallbackQueryHandler(forged_button, pattern=_unprintable),
    ]
