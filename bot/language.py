"""Which language to answer a chat in: the family's choice, else the language of their app."""

from __future__ import annotations

from telegram import Update

from bot.context import GrowWellContext
from domain.families import find_family
from locales import normalise_locale


async def family_locale(update: Update, context: GrowWellContext) -> str:
    chat = update.effective_chat
    if chat is not None:
        async with context.services.sessions() as session:
            family = await find_family(session, chat.id)
        if family is not None:
            return family.locale
    user = update.effective_user
    return normalise_locale(user.language_code if user else None, context.services.default_locale)
