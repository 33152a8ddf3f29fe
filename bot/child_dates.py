"""The steps that take a child's due date or date of birth, shared by sign-up and /settings.

A typed date is always shown back in words for the family to confirm before it is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import GrowWellContext
from bot.conversation import Need, Step, go, step
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
from bot.steps import current_only, show_choice
from domain.dates import DateProblem

MAX_DATE_TEXT = 200

OnConfirmed = Callable[[Update, GrowWellContext, str, date], Awaitable[object]]


@dataclass(frozen=True)
class ChildDateStates:
    """The three steps of the date question, named for the flow they are part of."""

    date: str
    confirm: str
    due_past: str


def child_date_states(flow: str) -> ChildDateStates:
    return ChildDateStates(f"{flow}.child_date", f"{flow}.child_confirm", f"{flow}.due_past")


def child_date_steps(
    states: ChildDateStates, on_confirmed: OnConfirmed, *, kind: Need
) -> dict[str, Step]:
    """Steps for typing, checking and confirming a date; `on_confirmed` picks what follows.

    `kind` is the flow's step that says whether the date is a due date or a birthday, asked
    again if that answer was lost.
    """
    typed_date = Need(DATE_KEY, states.date, ask_child_date)

    async def typed(update: Update, context: GrowWellContext) -> str | None:
        """A typed date: confirm it, explain what is wrong with it, or ask if the baby is born."""
        if context.emergency_shown:
            await ask_child_date(update, context)
            return None
        assert update.message is not None
        assert update.message.text is not None
        result = read_child_date(
            update.message.text[:MAX_DATE_TEXT], context.drafts[KIND_KEY], context.today()
        )
        if result is DateProblem.DUE_LONG_PAST:
            return await go(update, context, states.due_past, ask_due_past)
        if isinstance(result, DateProblem):
            locale = await family_locale(update, context)
            await update.message.reply_text(problem_reply(result, locale))
            await ask_child_date(update, context)
            return None
        context.drafts[DATE_KEY] = result.isoformat()
        return await go(update, context, states.confirm, ask_date_confirm)

    async def confirmed(update: Update, context: GrowWellContext) -> object:
        """The family says the date is right: hand it on; the typed date goes once it is used."""
        await show_choice(update)
        day = date.fromisoformat(context.drafts[DATE_KEY])
        next_state = await on_confirmed(update, context, context.drafts[KIND_KEY], day)
        context.drafts.pop(DATE_KEY, None)
        return next_state

    async def retype(update: Update, context: GrowWellContext) -> str:
        """The family wants to type the date again."""
        await show_choice(update)
        context.drafts.pop(DATE_KEY, None)
        return await go(update, context, states.date, ask_child_date)

    async def now_born(update: Update, context: GrowWellContext) -> str:
        """The due date has passed and the baby is born: ask for the date of birth."""
        await show_choice(update)
        context.drafts[KIND_KEY] = "born"
        return await go(update, context, states.date, ask_child_date)

    return {
        states.date: step(
            ask_child_date,
            MessageHandler(filters.TEXT & ~filters.COMMAND, typed),
            expects_text=True,
            needs=[kind],
        ),
        states.confirm: step(
            ask_date_confirm,
            CallbackQueryHandler(current_only(ask_date_confirm, confirmed), pattern="^date:ok$"),
            CallbackQueryHandler(current_only(ask_date_confirm, retype), pattern="^date:retype$"),
            needs=[kind, typed_date],
        ),
        states.due_past: step(
            ask_due_past,
            CallbackQueryHandler(current_only(ask_due_past, now_born), pattern="^past:born$"),
            CallbackQueryHandler(current_only(ask_due_past, retype), pattern="^past:retype$"),
            needs=[kind],
        ),
    }
