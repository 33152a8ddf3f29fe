"""/settings: change language, message time or area; add a child; report a birth or a loss.

A loss is handled gently: one confirmation, then every message about that child stops and
bereavement support is offered.
"""

from __future__ import annotations

import warnings
from datetime import date

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.account import end_and_ask_delete
from bot.child_dates import CHILD_DATE, child_date_states
from bot.context import GrowWellContext
from bot.keyboards import column
from bot.language import family_locale
from bot.menu import send_menu
from bot.onboarding import describe_child
from bot.questions import (
    CHILD_KEY,
    KIND_KEY,
    ask_area,
    ask_child_date,
    ask_child_kind,
    ask_language,
    ask_time,
    save_area,
)
from bot.steps import (
    END,
    Ask,
    Callback,
    Handler,
    current_only,
    move_to,
    send_question,
    show_choice,
    step,
)
from domain import families, life_events
from locales import SUPPORTED_LOCALES, gettext_for
from store.models import Child, Family, SendTime

CHANGE_KEY = "change"  # drafts: the date typed corrects an existing child's date
PICK_CHANGE = "pick_change"
MENU, LANGUAGE, TIME, AREA, CHILD_KIND, PICK_BORN, PICK_LOSS, LOSS_CONFIRM = (
    "menu",
    "language",
    "time",
    "area",
    "child_kind",
    "pick_born",
    "pick_loss",
    "loss_confirm",
)
LOCALES = "|".join(SUPPORTED_LOCALES)


async def _family(update: Update, context: GrowWellContext) -> Family | None:
    assert update.effective_chat is not None
    async with context.services.sessions() as session:
        return await families.find_family(session, update.effective_chat.id)


async def ask_settings(update: Update, context: GrowWellContext) -> None:
    family = await _family(update, context)
    assert family is not None
    _ = gettext_for(family.locale)
    dads = (
        _("Fathers' and partners' tips: on")
        if family.fathers_track
        else _("Fathers' and partners' tips: off")
    )
    choices = [
        (_("🌐 Language"), "set:lang"),
        (_("🕒 Message time"), "set:time"),
        (_("📍 Area"), "set:area"),
        (_("➕ Add a child"), "set:add"),
    ]
    if families.expected_children(family):
        choices.append((_("🎉 My baby has been born"), "set:born"))
    if families.active_children(family):
        choices.append((_("📅 Change a due date or birthday"), "set:date"))
        choices.append((_("💔 Report the loss of a baby"), "set:loss"))
    choices += [(dads, "set:dads"), (_("✅ Done"), "set:done")]
    await send_question(update, context, _("What would you like to change?"), column(choices))


async def open_settings(update: Update, context: GrowWellContext) -> str | int:
    """/settings or the menu button; families still signing up are sent back to /start."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    family = await _family(update, context)
    if family is None or family.registered_at is None:
        _ = gettext_for(await family_locale(update, context))
        assert update.effective_message is not None
        await update.effective_message.reply_text(_("Please send /start to sign up first."))
        return END
    await ask_settings(update, context)
    return MENU


async def _saved_then_menu(update: Update, context: GrowWellContext) -> str:
    _ = gettext_for(await family_locale(update, context))
    assert update.effective_message is not None
    await update.effective_message.reply_text(_("Saved."))
    await ask_settings(update, context)
    return MENU


async def language_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    await show_choice(update)
    async with context.services.sessions.begin() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
        family.locale = query.data.removeprefix("lang:")
    return await _saved_then_menu(update, context)


async def time_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_chat is not None
    await show_choice(update)
    async with context.services.sessions.begin() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
        families.set_send_time(family, SendTime(query.data.removeprefix("time:")))
    return await _saved_then_menu(update, context)


async def area_chosen(update: Update, context: GrowWellContext) -> str | None:
    if not await save_area(update, context):
        return None
    return await _saved_then_menu(update, context)


async def add_child(update: Update, context: GrowWellContext) -> str | None:
    await show_choice(update)
    family = await _family(update, context)
    assert family is not None
    if len(family.children) >= families.MAX_CHILDREN:
        _ = gettext_for(family.locale)
        assert update.effective_message is not None
        await update.effective_message.reply_text(_("I can't add more children, sorry."))
        await ask_settings(update, context)
        return MENU
    await ask_child_kind(update, context)
    return CHILD_KIND


async def kind_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await show_choice(update)
    context.drafts[KIND_KEY] = query.data.removeprefix("kind:")
    context.drafts.pop(CHILD_KEY, None)
    await ask_child_date(update, context)
    return CHILD_DATE


async def date_confirmed(update: Update, context: GrowWellContext, kind: str, day: date) -> str:
    """A confirmed date is either a birth being reported or a new child."""
    assert update.effective_chat is not None
    child_id = context.drafts.pop(CHILD_KEY, None)
    changing = context.drafts.pop(CHANGE_KEY, False)
    async with context.services.sessions.begin() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
        plan, now, today = context.services.plan, context.now(), context.today()
        if changing:
            await life_events.date_changed(session, plan, family, child_id, kind, day, today)
        elif child_id is not None:
            await life_events.birth_reported(session, plan, family, child_id, day, today)
        else:
            if kind == "born":
                child = families.add_child(family, born=day)
            else:
                child = families.add_child(family, due_date=day)
            await life_events.child_added(session, plan, family, child, now, today)
        locale = family.locale
    context.drafts.pop(KIND_KEY, None)
    if child_id is not None and not changing:
        _ = gettext_for(locale)
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            _("Congratulations! 🎉 From now on your messages will fit your new baby.")
        )
        await ask_settings(update, context)
        return MENU
    return await _saved_then_menu(update, context)


def _child_picker(purpose: str) -> Ask:
    async def ask(update: Update, context: GrowWellContext) -> None:
        family = await _family(update, context)
        assert family is not None
        _ = gettext_for(family.locale)
        children = (
            families.expected_children(family)
            if purpose == "born"
            else families.active_children(family)
        )

        question = _("Which baby is this about?")
        choices = [
            (describe_child(c.due_date, c.birth_date, family.locale), f"{purpose}:{c.id}")
            for c in children
        ]
        choices.append((_("Go back"), f"{purpose}:back"))
        await send_question(update, context, question, column(choices))

    return ask


ask_pick_born = _child_picker("born")
ask_pick_change = _child_picker("chg")
ask_pick_loss = _child_picker("loss")


async def choose_born(update: Update, context: GrowWellContext) -> str:
    """With one baby on the way there is nothing to choose: ask for the date of birth."""
    await show_choice(update)
    family = await _family(update, context)
    assert family is not None
    expected = families.expected_children(family)
    if len(expected) == 1:
        context.drafts[CHILD_KEY] = expected[0].id
        context.drafts[KIND_KEY] = "born"
        await ask_child_date(update, context)
        return CHILD_DATE
    await ask_pick_born(update, context)
    return PICK_BORN


async def _picked_child(
    update: Update, context: GrowWellContext, prefix: str, ask_again: Ask
) -> Child | str | None:
    """The child a picker button names, checked to be this family's own.

    Returns MENU when the family went back, and None (the question asked again) for a button
    that names no child of theirs.
    """
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    choice = query.data.removeprefix(f"{prefix}:")
    if choice == "back":
        await show_choice(update)
        await ask_settings(update, context)
        return MENU
    family = await _family(update, context)
    assert family is not None
    try:
        child = families.own_child(family, int(choice))
    except families.NotYourChild:
        await query.answer()
        await ask_again(update, context)
        return None
    await show_choice(update)
    return child


async def born_picked(update: Update, context: GrowWellContext) -> str | None:
    """The baby whose birth is reported."""
    child = await _picked_child(update, context, "born", ask_pick_born)
    if not isinstance(child, Child):
        return child
    context.drafts[CHILD_KEY] = child.id
    context.drafts[KIND_KEY] = "born"
    await ask_child_date(update, context)
    return CHILD_DATE


def _start_change(context: GrowWellContext, child: Child) -> None:
    context.drafts[CHILD_KEY] = child.id
    context.drafts[KIND_KEY] = "born" if child.birth_date else "due"
    context.drafts[CHANGE_KEY] = True


async def choose_change(update: Update, context: GrowWellContext) -> str:
    """Correct a due date (a scan moved it) or a birthday typed wrongly; messages are replanned."""
    await show_choice(update)
    family = await _family(update, context)
    assert family is not None
    active = families.active_children(family)
    if len(active) == 1:
        _start_change(context, active[0])
        await ask_child_date(update, context)
        return CHILD_DATE
    await ask_pick_change(update, context)
    return PICK_CHANGE


async def change_picked(update: Update, context: GrowWellContext) -> str | None:
    child = await _picked_child(update, context, "chg", ask_pick_change)
    if not isinstance(child, Child):
        return child
    _start_change(context, child)
    await ask_child_date(update, context)
    return CHILD_DATE


async def choose_loss(update: Update, context: GrowWellContext) -> str:
    await show_choice(update)
    family = await _family(update, context)
    assert family is not None
    active = families.active_children(family)
    if len(active) == 1:
        context.drafts[CHILD_KEY] = active[0].id
        await ask_loss_confirm(update, context)
        return LOSS_CONFIRM
    await ask_pick_loss(update, context)
    return PICK_LOSS


async def ask_loss_confirm(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    await send_question(
        update,
        context,
        _("I am so sorry. Would you like me to stop all messages about this baby?"),
        column([(_("Yes, please stop them"), "loss:yes"), (_("No, go back"), "loss:no")]),
    )


async def loss_picked(update: Update, context: GrowWellContext) -> str | None:
    child = await _picked_child(update, context, "loss", ask_pick_loss)
    if not isinstance(child, Child):
        return child
    context.drafts[CHILD_KEY] = child.id
    await ask_loss_confirm(update, context)
    return LOSS_CONFIRM


async def loss_confirmed(update: Update, context: GrowWellContext) -> int:
    """Stop everything about the child at once, and offer support instead of tips."""
    assert update.effective_chat is not None
    await show_choice(update)
    child_id = context.drafts.pop(CHILD_KEY)
    async with context.services.sessions.begin() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
        await life_events.loss_reported(session, family, child_id, context.now())
        locale = family.locale
    context.drafts.clear()
    _ = gettext_for(locale)
    await context.bot.send_message(
        update.effective_chat.id,
        "\n\n".join(
            [
                _(
                    "I am so very sorry for your loss. "
                    "I have stopped all messages about your baby."
                ),
                _(
                    "You do not have to go through this alone. "
                    "Your health visitor is there for you."
                ),
                _(
                    "The Lullaby Trust offers bereavement support. You can call them on "
                    "0808 802 6869."
                ),
                _("You can talk to Samaritans at any time, day or night, on 116 123."),
            ]
        ),
        parse_mode=ParseMode.HTML,
    )
    return END


async def loss_cancelled(update: Update, context: GrowWellContext) -> str:
    await show_choice(update)
    context.drafts.pop(CHILD_KEY, None)
    await ask_settings(update, context)
    return MENU


async def toggle_fathers_track(update: Update, context: GrowWellContext) -> str:
    assert update.effective_chat is not None
    await show_choice(update)
    async with context.services.sessions.begin() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
        await life_events.set_fathers_track(
            session, context.services.plan, family, not family.fathers_track, context.today()
        )
    return await _saved_then_menu(update, context)


async def settings_done(update: Update, context: GrowWellContext) -> int:
    await show_choice(update)
    context.drafts.clear()
    await send_menu(update, context, await family_locale(update, context))
    return END


def _on(ask: Ask, callback: Callback, pattern: str) -> Handler:
    return CallbackQueryHandler(current_only(ask, callback), pattern=pattern)


def conversation() -> ConversationHandler[GrowWellContext]:
    on_delete = end_and_ask_delete
    entry: list[Handler] = [
        CommandHandler("settings", open_settings),
        CallbackQueryHandler(open_settings, pattern="^menu:settings$"),
    ]
    # Per-message tracking is done by `current_only`, which also knows which question is current.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return ConversationHandler(
            entry_points=entry,
            states={
                MENU: step(
                    ask_settings,
                    _on(ask_settings, move_to(ask_language, LANGUAGE), "^set:lang$"),
                    _on(ask_settings, move_to(ask_time, TIME), "^set:time$"),
                    _on(ask_settings, move_to(ask_area, AREA), "^set:area$"),
                    _on(ask_settings, add_child, "^set:add$"),
                    _on(ask_settings, choose_born, "^set:born$"),
                    _on(ask_settings, choose_change, "^set:date$"),
                    _on(ask_settings, choose_loss, "^set:loss$"),
                    _on(ask_settings, toggle_fathers_track, "^set:dads$"),
                    _on(ask_settings, settings_done, "^set:done$"),
                    CommandHandler("settings", open_settings),
                    on_delete=on_delete,
                ),
                LANGUAGE: step(
                    ask_language,
                    _on(ask_language, language_chosen, rf"^lang:({LOCALES})$"),
                    on_delete=on_delete,
                ),
                TIME: step(
                    ask_time,
                    _on(ask_time, time_chosen, "^time:(morning|afternoon|evening)$"),
                    on_delete=on_delete,
                ),
                AREA: step(
                    ask_area,
                    _on(ask_area, area_chosen, r"^area:[a-z][a-z0-9_]{0,20}$"),
                    MessageHandler(filters.TEXT & ~filters.COMMAND, area_chosen),
                    expects_text=True,
                    on_delete=on_delete,
                ),
                CHILD_KIND: step(
                    ask_child_kind,
                    _on(ask_child_kind, kind_chosen, "^kind:(due|born)$"),
                    on_delete=on_delete,
                ),
                **child_date_states(date_confirmed, on_delete=on_delete),
                PICK_BORN: step(
                    ask_pick_born,
                    _on(ask_pick_born, born_picked, r"^born:(\d{1,12}|back)$"),
                    on_delete=on_delete,
                ),
                PICK_CHANGE: step(
                    ask_pick_change,
                    _on(ask_pick_change, change_picked, r"^chg:(\d{1,12}|back)$"),
                    on_delete=on_delete,
                ),
                PICK_LOSS: step(
                    ask_pick_loss,
                    _on(ask_pick_loss, loss_picked, r"^loss:(\d{1,12}|back)$"),
                    on_delete=on_delete,
                ),
                LOSS_CONFIRM: step(
                    ask_loss_confirm,
                    _on(ask_loss_confirm, loss_confirmed, "^loss:yes$"),
                    _on(ask_loss_confirm, loss_cancelled, "^loss:no$"),
                    on_delete=on_delete,
                ),
            },
            fallbacks=[],
            name="settings",
            persistent=True,
        )
