"""/settings: change language, message time or area; add a child; report a birth or a loss;
fathers' tips and health campaign messages on or off.

A loss is handled gently: one confirmation, then every message about that child stops and
bereavement support is offered.
"""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.child_dates import child_date_states, child_date_steps
from bot.context import GrowWellContext
from bot.conversation import Flow, Need, finish, go, move_to, step
from bot.keyboards import column
from bot.language import family_locale
from bot.menu import registered_family, send_menu
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
from bot.steps import END, Ask, Callback, Handler, current_only, send_question, show_choice
from domain import campaigns, families, life_events
from locales import N_, SUPPORTED_LOCALES, gettext_for
from store.models import Child, SendTime

CHANGE_KEY = "change"  # drafts: the date typed corrects an existing child's date
MENU, LANGUAGE, TIME, AREA, CHILD_KIND, PICK_BORN, PICK_CHANGE, PICK_LOSS, LOSS_CONFIRM = (
    "settings.menu",
    "settings.language",
    "settings.time",
    "settings.area",
    "settings.child_kind",
    "settings.pick_born",
    "settings.pick_change",
    "settings.pick_loss",
    "settings.loss_confirm",
)
DATES = child_date_states("settings")
LOCALES = "|".join(SUPPORTED_LOCALES)


async def ask_settings(update: Update, context: GrowWellContext) -> None:
    family = await context.family.require()
    _ = gettext_for(family.locale)
    dads = (
        _("Fathers' and partners' tips: on")
        if family.fathers_track
        else _("Fathers' and partners' tips: off")
    )
    health_campaigns = (
        _("📣 Health campaign messages: off")
        if family.campaigns_opt_out
        else _("📣 Health campaign messages: on")
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
    choices += [(dads, "set:dads"), (health_campaigns, "set:camp"), (_("✅ Done"), "set:done")]
    await send_question(update, context, _("What would you like to change?"), column(choices))


async def open_settings(update: Update, context: GrowWellContext) -> str | int:
    """/settings or the menu button; families still signing up are sent back to /start."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    if await registered_family(update, context) is None:
        return END
    return await go(update, context, MENU, ask_settings)


async def _saved_then_menu(update: Update, context: GrowWellContext) -> str:
    _ = gettext_for(await family_locale(update, context))
    assert update.effective_message is not None
    await update.effective_message.reply_text(_("Saved."))
    return await go(update, context, MENU, ask_settings)


async def language_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await show_choice(update)
    async with context.family.editing() as edit:
        edit.family.locale = query.data.removeprefix("lang:")
    return await _saved_then_menu(update, context)


async def time_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await show_choice(update)
    async with context.family.editing() as edit:
        families.set_send_time(edit.family, SendTime(query.data.removeprefix("time:")))
    return await _saved_then_menu(update, context)


async def area_chosen(update: Update, context: GrowWellContext) -> str | None:
    if not await save_area(update, context):
        return None
    return await _saved_then_menu(update, context)


async def add_child(update: Update, context: GrowWellContext) -> str | None:
    await show_choice(update)
    family = await context.family.require()
    if not families.has_room_for_child(family):
        _ = gettext_for(family.locale)
        assert update.effective_message is not None
        await update.effective_message.reply_text(_("I can't add more children, sorry."))
        return await go(update, context, MENU, ask_settings)
    return await go(update, context, CHILD_KIND, ask_child_kind)


async def kind_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await show_choice(update)
    context.drafts[KIND_KEY] = query.data.removeprefix("kind:")
    context.drafts.pop(CHILD_KEY, None)
    return await go(update, context, DATES.date, ask_child_date)


async def date_confirmed(update: Update, context: GrowWellContext, kind: str, day: date) -> str:
    """A confirmed date corrects a child's date, reports a birth, or adds a child (if there is
    room for one more)."""
    child_id: int | None = context.drafts.get(CHILD_KEY)
    changing = context.drafts.get(CHANGE_KEY, False)
    async with context.family.editing() as edit:
        session, family = edit.session, edit.family
        plan, now, today = context.services.plan, context.now(), context.today()
        room = changing or child_id is not None or families.has_room_for_child(family)
        if changing:
            assert child_id is not None  # a change is always of a child picked before
            await life_events.date_changed(session, plan, family, child_id, kind, day, today)
        elif child_id is not None:
            await life_events.birth_reported(session, plan, family, child_id, day, today)
        elif room:
            if kind == "born":
                child = families.add_child(family, born=day)
            else:
                child = families.add_child(family, due_date=day)
            await life_events.child_added(session, plan, family, child, now, today)
        locale = family.locale
    for key in (CHILD_KEY, CHANGE_KEY, KIND_KEY):
        context.drafts.pop(key, None)
    _ = gettext_for(locale)
    assert update.effective_message is not None
    if not room:
        await update.effective_message.reply_text(_("I can't add more children, sorry."))
        return await go(update, context, MENU, ask_settings)
    if child_id is not None and not changing:
        await update.effective_message.reply_text(
            _("Congratulations! 🎉 From now on your messages will fit your new baby.")
        )
        return await go(update, context, MENU, ask_settings)
    return await _saved_then_menu(update, context)


def _child_picker(purpose: str) -> Ask:
    async def ask(update: Update, context: GrowWellContext) -> None:
        family = await context.family.require()
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
    expected = families.expected_children(await context.family.require())
    if len(expected) == 1:
        context.drafts[CHILD_KEY] = expected[0].id
        context.drafts[KIND_KEY] = "born"
        return await go(update, context, DATES.date, ask_child_date)
    return await go(update, context, PICK_BORN, ask_pick_born)


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
        return await go(update, context, MENU, ask_settings)
    try:
        child = families.own_child(await context.family.require(), int(choice))
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
    return await go(update, context, DATES.date, ask_child_date)


def _start_change(context: GrowWellContext, child: Child) -> None:
    context.drafts[CHILD_KEY] = child.id
    context.drafts[KIND_KEY] = "born" if child.birth_date else "due"
    context.drafts[CHANGE_KEY] = True


async def choose_change(update: Update, context: GrowWellContext) -> str:
    """Correct a due date (a scan moved it) or a birthday typed wrongly; messages are replanned."""
    await show_choice(update)
    active = families.active_children(await context.family.require())
    if len(active) == 1:
        _start_change(context, active[0])
        return await go(update, context, DATES.date, ask_child_date)
    return await go(update, context, PICK_CHANGE, ask_pick_change)


async def change_picked(update: Update, context: GrowWellContext) -> str | None:
    child = await _picked_child(update, context, "chg", ask_pick_change)
    if not isinstance(child, Child):
        return child
    _start_change(context, child)
    return await go(update, context, DATES.date, ask_child_date)


async def choose_loss(update: Update, context: GrowWellContext) -> str:
    await show_choice(update)
    active = families.active_children(await context.family.require())
    if len(active) == 1:
        context.drafts[CHILD_KEY] = active[0].id
        return await go(update, context, LOSS_CONFIRM, ask_loss_confirm)
    return await go(update, context, PICK_LOSS, ask_pick_loss)


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
    return await go(update, context, LOSS_CONFIRM, ask_loss_confirm)


async def loss_confirmed(update: Update, context: GrowWellContext) -> int:
    """Stop everything about the child at once, and offer support instead of tips."""
    assert update.effective_chat is not None
    await show_choice(update)
    child_id = context.drafts[CHILD_KEY]
    async with context.family.editing() as edit:
        await life_events.loss_reported(edit.session, edit.family, child_id, context.now())
        locale = edit.family.locale
    await finish(update, context)
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
    return await go(update, context, MENU, ask_settings)


async def toggle_fathers_track(update: Update, context: GrowWellContext) -> str:
    await show_choice(update)
    async with context.family.editing() as edit:
        family = edit.family
        await life_events.set_fathers_track(
            edit.session, context.services.plan, family, not family.fathers_track, context.today()
        )
    return await _saved_then_menu(update, context)


async def toggle_campaigns(update: Update, context: GrowWellContext) -> str:
    """Health campaign messages off (pending ones skipped) or on again; reminders unchanged."""
    await show_choice(update)
    async with context.family.editing() as edit:
        await campaigns.set_opt_out(edit.session, edit.family, not edit.family.campaigns_opt_out)
    return await _saved_then_menu(update, context)


async def settings_done(update: Update, context: GrowWellContext) -> int:
    await show_choice(update)
    await finish(update, context)
    await send_menu(update, context, await family_locale(update, context))
    return END


def _on(ask: Ask, callback: Callback, pattern: str) -> Handler:
    return CallbackQueryHandler(current_only(ask, callback), pattern=pattern)


def flow() -> Flow:
    lost = Need(KIND_KEY, MENU, ask_settings)  # what a date was for is gone: start from the menu
    return Flow(
        name="settings",
        open=open_settings,
        commands=("settings",),
        buttons=("^menu:settings$",),
        leave_question=N_(
            "We have not finished changing your settings. Do you want to leave them?"
        ),
        steps={
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
                _on(ask_settings, toggle_campaigns, "^set:camp$"),
                _on(ask_settings, settings_done, "^set:done$"),
            ),
            LANGUAGE: step(
                ask_language, _on(ask_language, language_chosen, rf"^lang:({LOCALES})$")
            ),
            TIME: step(ask_time, _on(ask_time, time_chosen, "^time:(morning|afternoon|evening)$")),
            AREA: step(
                ask_area,
                _on(ask_area, area_chosen, r"^area:[a-z][a-z0-9_]{0,20}$"),
                MessageHandler(filters.TEXT & ~filters.COMMAND, area_chosen),
                expects_text=True,
            ),
            CHILD_KIND: step(
                ask_child_kind, _on(ask_child_kind, kind_chosen, "^kind:(due|born)$")
            ),
            **child_date_steps(DATES, date_confirmed, kind=lost),
            PICK_BORN: step(
                ask_pick_born, _on(ask_pick_born, born_picked, r"^born:(\d{1,12}|back)$")
            ),
            PICK_CHANGE: step(
                ask_pick_change, _on(ask_pick_change, change_picked, r"^chg:(\d{1,12}|back)$")
            ),
            PICK_LOSS: step(
                ask_pick_loss, _on(ask_pick_loss, loss_picked, r"^loss:(\d{1,12}|back)$")
            ),
            LOSS_CONFIRM: step(
                ask_loss_confirm,
                _on(ask_loss_confirm, loss_confirmed, "^loss:yes$"),
                _on(ask_loss_confirm, loss_cancelled, "^loss:no$"),
                needs=[Need(CHILD_KEY, MENU, ask_settings)],
            ),
        },
    )
