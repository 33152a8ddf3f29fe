"""The answer to a campaign's question ("Do you have a child born between ...?"), asked of
families who may have a child of its cohort too old to add to the bot."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler

from bot.context import GrowWellContext
from bot.keyboards import column
from bot.language import family_locale
from bot.steps import Handler
from locales import gettext_for
from scheduler.rendering import QUESTION_ANSWER_PATTERN, Rendered, plan_message


async def answer_question(update: Update, context: GrowWellContext) -> None:
    """Yes: the campaign's own message (who it is for, whom to ask). No: thanks, and that is
    all. The buttons go, so the question is answered once."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    _ask, answer, key = query.data.split(":")
    plan = context.services.plan
    entry = plan.by_key.get(key)
    await query.answer()
    if entry is None or not entry.ask_families:
        return
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        await query.edit_message_reply_markup(None)
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    reply = (
        plan_message(plan, entry, locale, context.services.article_ids)
        if answer == "yes"
        else Rendered(_("Thank you. I won't ask again."))
    )
    await context.bot.send_message(
        update.effective_chat.id,
        reply.text,
        parse_mode=ParseMode.HTML,
        reply_markup=column(reply.buttons) if reply.buttons else None,
    )


def handlers() -> list[Handler]:
    return [CallbackQueryHandler(answer_question, pattern=QUESTION_ANSWER_PATTERN)]
