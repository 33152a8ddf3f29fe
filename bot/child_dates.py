"""The steps that take a child's due date or date of birth, shared by sign-up and /settings.

A typed date is always shown back in words for the family to confirm before it is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import GrowWellContext
from bot.language import family_locale
from bot.questions import (
    DATE_KEY,
    KIND_KEY,
    ask_child_date,
    ask_date_confirm,
    ask_due_past,
    problem_reply,
    read_child_date,
)
from bot.steps import Callback, Handler, current_only, show_choice, step
from domain.dates import DateProblem

CHILD_DATE, CHILD_CONFIRM, DUE_PAST = "child_date", "child_confirm", "due_past"
MAX_DATE_TEXT = 200

OnConfirmed = Callable[[Update, GrowWellContext, str, date], Awaitable[object]]


def child_date_states(
    on_confirmed: OnConfirmed, *, on_delete: Callback
) -> dict[object, list[Handler]]:
    """States for typing, checking and confirming a date; `on_confirmed` picks what follows."""

    async def typed(update: Update, context: GrowWellContext) -> str | None:
        """A typed date: confirm it, explain what is wrong with it, or ask if the baby is born."""
        if context.emergency_shown:
            await ask_child_date(update, context)
            return None
        assert update.message is not None
        assert update.message.text is not None
        kind = context.drafts.get(KIND_KEY, "due")
        result = read_child_date(update.message.text[:MAX_DATE_TEXT], kind, context.today())
        if result is DateProblem.DUE_LONG_PAST:
            await ask_due_past(update, context)
            return DUE_PAST
        if isinstance(result, DateProblem):
            locale = await family_locale(update, context)
            await update.message.reply_text(problem_reply(result, locale))
            await ask_child_date(update, context)
            return None
        context.drafts[DATE_KEY] = result.isoformat()
        await ask_date_confirm(update, context)
        return CHILD_CONFIRM

    async def confirmed(update: Update, context: GrowWellContext) -> object:
        """The family says the date is right: hand it on."""
        await show_choice(update)
        day = date.fromisoformat(context.drafts.pop(DATE_KEY))
        return await on_confirmed(update, context, context.drafts.get(KIND_KEY, "due"), day)

    async def retype(update: Update, context: GrowWellContext) -> str:
        """The family wants to type the date again."""
        await show_choice(update)
        context.drafts.pop(DATE_KEY, None)
        await ask_child_date(update, context)
        return CHILD_DATE

    async def now_born(update: Update, context: GrowWellContext) -> str:
        """The due date has passed and the baby is born: ask for the date of birth."""
        await show_choice(update)
        context.drafts[KIND_KEY] = "born"
        await ask_child_date(update, context)
        return CHILD_DATE

    return {
        CHILD_DATE: step(
            ask_child_date,
            MessageHandler(filters.TEXT & ~filters.COMMAND, typed),
            expects_text=True,
            on_delete=on_delete,
        ),
        CHILD_CONFIRM: step(
            ask_date_confirm,
            CallbackQueryHandler(current_only(ask_date_confirm, confirmed), pattern="^date:ok$"),
            CallbackQueryHandler(current_only(ask_date_confirm, retype), pattern="^date:retype$"),
            on_delete=on_delete,
        ),
        DUE_PAST: step(
            ask_due_past,
            CallbackQueryHandler(current_only(ask_due_past, now_born), pattern="^past:born$"),
            CallbackQueryHandler(current_only(ask_due_past, retype), pattern="^past:retype$"),
            on_delete=on_delete,
        ),
    }
