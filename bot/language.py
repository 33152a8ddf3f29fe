"""Which language to answer a chat in: the family's choice, else the language of their app."""

from __future__ import annotations

from telegram import Update

from bot.context import GrowWellContext
from locales import normalise_locale


async def family_locale(update: Update, context: GrowWellContext) -> str:
    family = await context.family.find()
    if family is not None:
        return family.locale
    return app_locale(update, context)


def app_locale(update: Update, context: GrowWellContext) -> str:
    """The language of the family's Telegram app, for chats with no family (yet)."""
    user = update.effective_user
    return normalise_locale(user.language_code if user else None, context.services.default_locale)
