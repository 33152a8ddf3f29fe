"""What a family sees when something fails: a kind word, and after a broken conversation the
way back in. Nothing of what they wrote is logged."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update

from bot.context import GrowWellContext
from bot.language import app_locale, family_locale
from bot.menu import send_way_back
from config.logs import describe_error
from locales import gettext_for

log = logging.getLogger(__name__)


class ConversationBroke(Exception):
    """A step failed (its cause is chained); the conversation was ended, so nothing is stuck."""


async def _locale(update: Update, context: GrowWellContext) -> str:
    """The family's language; the language of their app if the database is the fault."""
    try:
        return await family_locale(update, context)
    except SQLAlchemyError:
        return app_locale(update, context)


async def on_error(update: object, context: GrowWellContext) -> None:
    """Log the fault's kind, say sorry, and after a broken conversation show the menu (or how to
    carry on signing up)."""
    error = context.error
    fault = error.__cause__ if isinstance(error, ConversationBroke) else error
    # Its kind and place only: a database error's text holds the row's values, and a traceback
    # handler could print it.
    log.error("handler failed: %s", describe_error(fault) if fault else "no error given")
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        _ = gettext_for(await _locale(update, context))
        await context.bot.send_message(
            update.effective_chat.id,
            _("Sorry, something went wrong on my side. Please try again in a moment."),
        )
        if isinstance(error, ConversationBroke):
            await send_way_back(update, context)
    except Exception:  # the fault may be the network or the database itself; nothing more to do
        log.warning("could not tell the family about the error")
