"""The one conversation a chat is in at a time: signing up, settings, or adding an appointment.

Each flow module gives its steps (`Flow`); `conversation` joins them into one persistent PTB
ConversationHandler, so two can never run at once, and adds what every step shares:

- a step and the answers so far are on disk before its question goes out (`go`);
- a step whose answers were lost asks for them again (`Need`);
- an error ends the conversation; the error handler says sorry and shows the menu;
- /delete, /help, /start and /menu work at every step, and opening another flow asks before
  leaving this one (sign-up is finished first);
- a step left for the timeout in resources/service.yaml is over: PTB's `conversation_timeout`
  ends it while the bot runs, a step older than that after a restart is read as ended, and the
  dispatcher stops waiting for it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.account import ERASE, KEEP, end_and_ask_delete, erase_if_confirmed, keep_data
from bot.context import GrowWellContext
from bot.errors import ConversationBroke
from bot.keyboards import column
from bot.language import family_locale
from bot.menu import send_way_back
from bot.persistence import STEP_AT_KEY, DatabasePersistence
from bot.steps import (
    END,
    Ask,
    Callback,
    Handler,
    acknowledge,
    carry_on,
    command_mid_step,
    current_only,
    help_mid_step,
    send_question,
    show_choice,
    stale_button,
    unexpected_input,
)
from locales import gettext_for

log = logging.getLogger(__name__)

NAME = "conversation"
STAY = "^leave:stay$"


@dataclass(frozen=True)
class Need:
    """An answer a step relies on: its key in the drafts, and the step that asks for it."""

    key: str
    state: str
    ask: Ask


@dataclass(frozen=True)
class Step:
    """One question: how to ask it, the handlers of its answers, and the answers it needs."""

    ask: Ask
    handlers: tuple[Handler, ...]
    expects_text: bool
    needs: tuple[Need, ...]


def step(
    ask: Ask, *handlers: Handler, expects_text: bool = False, needs: Sequence[Need] = ()
) -> Step:
    return Step(ask, handlers, expects_text, tuple(needs))


@dataclass(frozen=True)
class Flow:
    """A conversation module: what opens it, its steps, and what to ask before leaving it.

    `open` answers a tapped button itself and returns the first state (or END). A flow with no
    `leave_question` (sign-up) is finished before anything else can start.
    """

    name: str
    open: Callback
    commands: tuple[str, ...]
    buttons: tuple[str, ...]  # callback data patterns that open it
    steps: Mapping[str, Step]
    leave_question: str | None = None  # marked with N_


def _persistence(context: GrowWellContext) -> DatabasePersistence:
    persistence = context.application.persistence
    assert isinstance(persistence, DatabasePersistence)
    return persistence


async def _save(update: Update, context: GrowWellContext, state: str | None) -> None:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    if state is not None:
        context.drafts[STEP_AT_KEY] = context.now().isoformat()
    await _persistence(context).save_step(NAME, (chat.id, user.id), state, context.drafts)


async def go(update: Update, context: GrowWellContext, state: str, ask: Ask) -> str:
    """Move to `state`: the step and the answers so far go to disk, then its question goes out."""
    await _save(update, context, state)
    await ask(update, context)
    return state


async def finish(update: Update, context: GrowWellContext) -> int:
    """The conversation is done: its answers go, on disk too, before the last reply goes out."""
    context.forget_answers()
    await _save(update, context, None)
    return END


def move_to(ask: Ask, state: str) -> Callback:
    """A button that only leads on: settle it, then go to the next step."""

    async def answer(update: Update, context: GrowWellContext) -> str:
        await show_choice(update)
        return await go(update, context, state, ask)

    return answer


def _is_over(context: GrowWellContext) -> bool:
    """The family's last step is older than the timeout (PTB's own timer died with a restart)."""
    at = context.drafts.get(STEP_AT_KEY)
    if not isinstance(at, str):
        return False
    timeout = context.services.rules.conversations.timeout
    return context.now() - datetime.fromisoformat(at) > timeout


def _the_conversation(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> ConversationHandler[GrowWellContext]:
    found = next(
        handler
        for group in application.handlers.values()
        for handler in group
        if isinstance(handler, ConversationHandler) and handler.name == NAME
    )
    return cast("ConversationHandler[GrowWellContext]", found)


async def _as_if_over(update: Update, context: GrowWellContext) -> object:
    """End the conversation, then read the update as the app would with none going on: an
    opening command or button opens its flow, anything else goes to the next handler."""
    await finish(update, context)
    application: Application[Any, Any, Any, Any, Any, Any] = context.application
    conversation = _the_conversation(application)
    for entry in conversation.entry_points:
        check = entry.check_update(update)
        if check is not None and check is not False:
            return await entry.handle_update(update, application, check, context)
    group: list[BaseHandler[Any, Any, Any]] = next(
        handlers for handlers in application.handlers.values() if conversation in handlers
    )
    for handler in group[group.index(conversation) + 1 :]:
        check = handler.check_update(update)
        if check is not None and check is not False:
            await handler.handle_update(update, application, check, context)
            break
    return END


async def _broke(update: Update, context: GrowWellContext, error: Exception) -> int:
    """End the conversation a failed step was in, then let the error handler tell the family."""
    context.forget_answers()
    try:
        await _save(update, context, None)
    except Exception:  # the database may be the fault; PTB writes the end again later
        log.warning("could not write the end of a broken conversation")
    broke = ConversationBroke()
    broke.__cause__ = error
    await context.application.process_error(update, broke)
    return END


def _after(context: GrowWellContext, new_state: object) -> object:
    if new_state == END:
        context.forget_answers()
    else:
        context.drafts[STEP_AT_KEY] = context.now().isoformat()
    return new_state


def _within(handler: Handler, needs: Sequence[Need]) -> Handler:
    """A step's handler runs only in a live conversation that has the answers the step needs;
    an error in it ends the conversation."""
    callback = handler.callback

    async def run(update: Update, context: GrowWellContext) -> object:
        try:
            if _is_over(context):
                return await _as_if_over(update, context)
            missing = next((need for need in needs if need.key not in context.drafts), None)
            if missing is not None:
                await acknowledge(update)
                return _after(context, await go(update, context, missing.state, missing.ask))
            return _after(context, await callback(update, context))
        except Exception as error:
            return await _broke(update, context, error)

    handler.callback = run
    return handler


def _opening(handler: Handler) -> Handler:
    """A flow opens with no answers left from before; an error ends it as in any step."""
    callback = handler.callback

    async def run(update: Update, context: GrowWellContext) -> object:
        context.forget_answers()
        try:
            return _after(context, await callback(update, context))
        except Exception as error:
            return await _broke(update, context, error)

    handler.callback = run
    return handler


async def _timed_out(update: Update, context: GrowWellContext) -> None:
    """PTB ended an idle conversation: its answers go too. Nothing is sent: the family walked
    away, and a message now could land in quiet hours."""
    context.forget_answers()
    try:
        await _save(update, context, None)
    except Exception:  # PTB must still end the state in memory
        log.warning("could not write the end of a timed-out conversation")


def _openers(flow: Flow, callback: Callback) -> list[Handler]:
    handlers: list[Handler] = [
        CallbackQueryHandler(callback, pattern=pattern) for pattern in flow.buttons
    ]
    if flow.commands:
        handlers.insert(0, CommandHandler(list(flow.commands), callback))
    return handlers


def _open_instead(flow: Flow) -> Callback:
    """End this conversation and open `flow` at once: the flow's own command or button opens it
    afresh, and /start (for a registered family, the menu or a linked article) needs no asking."""

    async def open_instead(update: Update, context: GrowWellContext) -> object:
        await finish(update, context)
        return await flow.open(update, context)

    return open_instead


def _ask_to_leave(current: Flow, target: Flow, ask: Ask) -> Callback:
    """Another flow's command or button: ask before leaving this one."""
    assert current.leave_question is not None
    leave_question = current.leave_question

    async def ask_first(update: Update, context: GrowWellContext) -> None:
        await acknowledge(update)
        _ = gettext_for(await family_locale(update, context))
        await send_question(
            update,
            context,
            _(leave_question),
            column(
                [(_("Yes, leave it"), f"leave:{target.name}"), (_("No, carry on"), "leave:stay")]
            ),
        )

    return ask_first


def _leave(flows: Sequence[Flow]) -> Callback:
    """'Yes, leave it': the answers so far go, and the flow asked for opens."""
    by_name = {flow.name: flow for flow in flows}

    async def leave(update: Update, context: GrowWellContext) -> object:
        assert update.callback_query is not None and update.callback_query.data is not None
        target = by_name[update.callback_query.data.removeprefix("leave:")]
        await show_choice(update, answer=False)  # the flow opening answers the tap
        await finish(update, context)
        return await target.open(update, context)

    return leave


def _stay(ask: Ask) -> Callback:
    async def stay(update: Update, context: GrowWellContext) -> None:
        await show_choice(update)
        await ask(update, context)

    return stay


async def _leave_for_menu(update: Update, context: GrowWellContext) -> int:
    """/menu in settings or an appointment: leave it for the menu."""
    await finish(update, context)
    await send_way_back(update, context)
    return END


def _erase_or_carry_on(ask: Ask) -> Callback:
    async def answer(update: Update, context: GrowWellContext) -> int | None:
        if await erase_if_confirmed(update, context):
            return END
        await ask(update, context)
        return None

    return answer


def _keep_and_carry_on(ask: Ask) -> Callback:
    async def answer(update: Update, context: GrowWellContext) -> None:
        await keep_data(update, context)
        await ask(update, context)

    return answer


def _guards(flow: Flow, this: Step, flows: Sequence[Flow]) -> list[Handler]:
    """What every step answers besides its own question, in this order."""
    ask = this.ask
    guards: list[Handler] = [
        CommandHandler("delete", end_and_ask_delete),
        CallbackQueryHandler(_erase_or_carry_on(ask), pattern=ERASE),
        CallbackQueryHandler(_keep_and_carry_on(ask), pattern=KEEP),
        CommandHandler("help", help_mid_step(ask)),
    ]
    if flow.leave_question is None:  # signing up: finish it first
        guards.append(CommandHandler("start", carry_on(ask)))
    else:
        guards.append(CommandHandler("menu", _leave_for_menu))
        for other in flows:
            if other is flow or other.leave_question is None:
                opened = _open_instead(other)
            else:
                opened = _ask_to_leave(flow, other, ask)
            guards += _openers(other, opened)
        leavable = "|".join(other.name for other in flows if other.leave_question is not None)
        guards += [
            CallbackQueryHandler(
                current_only(ask, _leave(flows)), pattern=f"^leave:({leavable})$"
            ),
            CallbackQueryHandler(current_only(ask, _stay(ask)), pattern=STAY),
        ]
    return [
        *guards,
        MessageHandler(filters.COMMAND, command_mid_step(ask)),
        MessageHandler(filters.ALL, unexpected_input(ask, expects_text=this.expects_text)),
        CallbackQueryHandler(stale_button(ask)),
    ]


def conversation(
    flows: Sequence[Flow], *, timeout: timedelta
) -> ConversationHandler[GrowWellContext]:
    """The app's one ConversationHandler: every flow's steps, each with the shared guards."""
    states: dict[object, list[Handler]] = {}
    for flow in flows:
        for state, this in flow.steps.items():
            if state in states:
                raise ValueError(f"two steps are called {state!r}")
            handlers = [*this.handlers, *_guards(flow, this, flows)]
            states[state] = [_within(handler, this.needs) for handler in handlers]
    states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, _timed_out)]
    # Which question is current is tracked per message by `current_only`, not by PTB.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return ConversationHandler(
            entry_points=[_opening(h) for flow in flows for h in _openers(flow, flow.open)],
            states=states,
            # Only reached in a state no step has (renamed since it was stored): start afresh.
            fallbacks=[
                _within(MessageHandler(filters.ALL, _as_if_over), ()),
                _within(CallbackQueryHandler(_as_if_over), ()),
            ],
            name=NAME,
            persistent=True,
            conversation_timeout=timeout,
        )
