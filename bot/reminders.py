"""'My reminders': what is coming, which tips to get, and appointments the family adds."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import cohort_question
from bot.context import GrowWellContext
from bot.conversation import Flow, Need, finish, go, step
from bot.keyboards import column, keyboard
from bot.language import family_locale
from bot.menu import registered_family, send_menu
from bot.onboarding import describe_child
from bot.steps import END, Handler, current_only, send_question, show_choice
from domain import families, life_events
from domain.appointments import MAX_WHAT, add_appointment, parse_time
from domain.dates import DateInputError, parse_date
from domain.schedule import upcoming_for_child
from locales import N_, format_day, gettext_for
from resources.message_plan import Priority
from resources.topics import Topic
from scheduler.rendering import topic_name
from store.models import Family

APPT_WHAT, APPT_DATE, APPT_TIME, APPT_CONFIRM = (
    "appointment.what",
    "appointment.date",
    "appointment.time",
    "appointment.confirm",
)
WHAT_KEY, DAY_KEY, TIME_KEY = "appt_what", "appt_day", "appt_time"  # drafts
MAX_AHEAD = timedelta(days=366)


def coming_up_text(family: Family, context: GrowWellContext, muted: set[str]) -> str:
    locale = family.locale
    _ = gettext_for(locale)
    lines = [_("<b>Coming up</b>")]
    children = families.active_children(family)
    for child in children:
        # Reviews and immunisations always show, with the next few tips among them.
        upcoming = sorted(
            (
                item
                for priority in (Priority.CRITICAL, Priority.TIP)
                for item in upcoming_for_child(
                    context.services.plan,
                    born=child.birth_date,
                    due=child.due_date,
                    today=context.today(),
                    fathers=family.fathers_track,
                    muted=muted,
                    priority=priority,
                    limit=3,
                )
            ),
            key=lambda item: item.day,
        )
        if len(children) > 1:
            lines += ["", f"<i>{describe_child(child.due_date, child.birth_date, locale)}</i>"]
        if not upcoming:
            lines.append(_("Nothing in the next while."))
        for item in upcoming:
            lines.append(
                _("• {date}: {topic}").format(
                    date=format_day(item.day, locale), topic=topic_name(item.entry.topic, locale)
                )
            )
    if family.paused:
        lines += ["", _("Your messages are paused. Send /resume to start them again.")]
    return "\n".join(lines)


def _reminders_markup(locale: str) -> InlineKeyboardMarkup:
    _ = gettext_for(locale)
    return column(
        [
            (_("🔕 Choose my tips"), "rem:tips"),
            (_("📅 Add an appointment"), "rem:appt"),
            (_("⬅️ Back to the menu"), "rem:menu"),
        ]
    )


async def show_reminders(update: Update, context: GrowWellContext) -> None:
    """/reminders: the next messages for each child, with dates in the family's language."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    family = await registered_family(update, context)
    if family is None:
        return
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        coming_up_text(family, context, await context.family.muted_topics()),
        parse_mode=ParseMode.HTML,
        reply_markup=_reminders_markup(family.locale),
    )


def _tips_markup(context: GrowWellContext, locale: str, muted: set[str]) -> InlineKeyboardMarkup:
    _ = gettext_for(locale)
    rows = [
        [
            (
                f"{'⬜' if topic.value in muted else '✅'} {topic_name(topic, locale)}",
                f"tip:{topic.value}",
            )
        ]
        for topic in life_events.mutable_topics(context.services.plan)
    ]
    rows.append([(_("✔️ Done"), "rem:menu")])
    return keyboard(rows)


async def show_tips(update: Update, context: GrowWellContext) -> None:
    """Tips the family gets, each one switchable; reviews and immunisations always stay on."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    family = await context.family.registered()
    if family is None:
        return
    muted = await context.family.muted_topics()
    _ = gettext_for(family.locale)
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        _(
            "Tap a topic to switch its tips on ✅ or off ⬜. "
            "Reminders about reviews and immunisations always stay on."
        ),
        reply_markup=_tips_markup(context, family.locale, muted),
    )


async def toggle_tip(update: Update, context: GrowWellContext) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    try:
        topic = Topic(query.data.removeprefix("tip:"))
    except ValueError:
        await query.answer()
        return
    if topic not in life_events.mutable_topics(context.services.plan) or (
        await context.family.find() is None
    ):
        await query.answer()
        return
    async with context.family.editing() as edit:
        session, family = edit.session, edit.family
        if topic.value in await families.muted_topics(session, family):
            await life_events.unmute_topic(
                session, context.services.plan, family, topic, context.today()
            )
        else:
            await life_events.mute_topic(session, family, topic)
        muted = await families.muted_topics(session, family)
        locale = family.locale
    await query.answer()
    await query.edit_message_reply_markup(_tips_markup(context, locale, muted))


async def mute_from_message(update: Update, context: GrowWellContext) -> None:
    """'No more tips like this' under a tip: switch the topic off and drop the button."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    try:
        topic = Topic(query.data.removeprefix("mute:"))
    except ValueError:
        await query.answer()
        return
    if topic not in life_events.mutable_topics(context.services.plan) or (
        await context.family.find() is None
    ):
        await query.answer()
        return
    async with context.family.editing() as edit:
        await life_events.mute_topic(edit.session, edit.family, topic)
        locale = edit.family.locale
    _ = gettext_for(locale)
    await query.answer(
        _("OK, no more tips about {topic}. You can switch them on again in /reminders.").format(
            topic=topic_name(topic, locale)
        ),
        show_alert=True,
    )
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        kept = [
            [b for b in row if b.callback_data != query.data]
            for row in query.message.reply_markup.inline_keyboard
        ]
        await query.edit_message_reply_markup(InlineKeyboardMarkup([r for r in kept if r]))


async def back_to_menu(update: Update, context: GrowWellContext) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
    await send_menu(update, context, await family_locale(update, context))


# --- adding an appointment --------------------------------------------------------------------


async def ask_what(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    await send_question(
        update,
        context,
        _("What is the appointment? For example: 8 week jabs at the GP, or baby clinic."),
    )


async def ask_day(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    await send_question(update, context, _("What date is it? For example 14/1/2027."))


async def ask_time(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    await send_question(update, context, _("What time is it? For example 9:30 or 14:15."))


async def ask_save(update: Update, context: GrowWellContext) -> None:
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    day = date.fromisoformat(context.drafts[DAY_KEY])
    await send_question(
        update,
        context,
        _("Shall I save this? <b>{what}</b> on {date} at {time}.").format(
            what=escape(context.drafts[WHAT_KEY], quote=False),
            date=format_day(day, locale),
            time=context.drafts[TIME_KEY],
        ),
        column([(_("Yes, save it"), "appt:save"), (_("No, cancel"), "appt:cancel")]),
    )


async def start_appointment(update: Update, context: GrowWellContext) -> str | int:
    if update.callback_query is not None:
        await update.callback_query.answer()
    if await registered_family(update, context) is None:
        return END
    return await go(update, context, APPT_WHAT, ask_what)


async def what_typed(update: Update, context: GrowWellContext) -> str | None:
    assert update.message is not None
    assert update.message.text is not None
    text = " ".join(update.message.text.split())
    if context.emergency_shown:
        await ask_what(update, context)
        return None
    if len(text) > MAX_WHAT:
        _ = gettext_for(await family_locale(update, context))
        await update.message.reply_text(
            _("That is a bit long. Please use {count} letters or fewer.").format(count=MAX_WHAT)
        )
        await ask_what(update, context)
        return None
    context.drafts[WHAT_KEY] = text
    return await go(update, context, APPT_DATE, ask_day)


async def day_typed(update: Update, context: GrowWellContext) -> str | None:
    assert update.message is not None
    assert update.message.text is not None
    if context.emergency_shown:
        await ask_day(update, context)
        return None
    today = context.today()
    _ = gettext_for(await family_locale(update, context))
    try:
        day = parse_date(update.message.text, today=today, expect="future")
    except DateInputError:
        await update.message.reply_text(
            _("Sorry, I couldn't read that as a date. Please type it like 14/1/2027.")
        )
        await ask_day(update, context)
        return None
    if not today <= day <= today + MAX_AHEAD:
        await update.message.reply_text(_("Please type a date between today and a year from now."))
        await ask_day(update, context)
        return None
    context.drafts[DAY_KEY] = day.isoformat()
    return await go(update, context, APPT_TIME, ask_time)


async def time_typed(update: Update, context: GrowWellContext) -> str | None:
    assert update.message is not None
    assert update.message.text is not None
    if context.emergency_shown:
        await ask_time(update, context)
        return None
    at = parse_time(update.message.text)
    if at is None:
        _ = gettext_for(await family_locale(update, context))
        await update.message.reply_text(
            _("Sorry, I couldn't read that as a time. Please type it like 9:30 or 14:15.")
        )
        await ask_time(update, context)
        return None
    context.drafts[TIME_KEY] = at.strftime("%H:%M")
    return await go(update, context, APPT_CONFIRM, ask_save)


async def save(update: Update, context: GrowWellContext) -> int:
    await show_choice(update)
    drafts = context.drafts
    parsed = parse_time(drafts[TIME_KEY])
    assert parsed is not None
    async with context.family.editing() as edit:
        services = context.services
        await add_appointment(
            edit.session,
            edit.family,
            what=drafts[WHAT_KEY],
            day=date.fromisoformat(drafts[DAY_KEY]),
            at=parsed,
            now=context.now(),
            rules=services.rules,
            zone=services.zone,
        )
        locale = edit.family.locale
    await finish(update, context)
    _ = gettext_for(locale)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _("Saved. I will remind you the evening before, and two hours before.")
    )
    return END


async def cancel(update: Update, context: GrowWellContext) -> int:
    await show_choice(update)
    return await finish(update, context)


def appointment_flow() -> Flow:
    text = filters.TEXT & ~filters.COMMAND
    what = Need(WHAT_KEY, APPT_WHAT, ask_what)
    day = Need(DAY_KEY, APPT_DATE, ask_day)
    at = Need(TIME_KEY, APPT_TIME, ask_time)
    return Flow(
        name="appointment",
        open=start_appointment,
        commands=("appointment",),
        buttons=("^rem:appt$",),
        leave_question=N_(
            "We have not finished adding your appointment. Do you want to leave it? "
            "It will not be saved."
        ),
        steps={
            APPT_WHAT: step(ask_what, MessageHandler(text, what_typed), expects_text=True),
            APPT_DATE: step(
                ask_day, MessageHandler(text, day_typed), expects_text=True, needs=[what]
            ),
            APPT_TIME: step(
                ask_time, MessageHandler(text, time_typed), expects_text=True, needs=[what, day]
            ),
            APPT_CONFIRM: step(
                ask_save,
                CallbackQueryHandler(current_only(ask_save, save), pattern="^appt:save$"),
                CallbackQueryHandler(current_only(ask_save, cancel), pattern="^appt:cancel$"),
                needs=[what, day, at],
            ),
        },
    )


def handlers() -> list[Handler]:
    return [
        CommandHandler("reminders", show_reminders),
        CallbackQueryHandler(show_reminders, pattern="^menu:reminders$"),
        CallbackQueryHandler(show_tips, pattern="^rem:tips$"),
        CallbackQueryHandler(back_to_menu, pattern="^rem:menu$"),
        CallbackQueryHandler(toggle_tip, pattern="^tip:[a-z_]{1,20}$"),
        CallbackQueryHandler(mute_from_message, pattern="^mute:[a-z_]{1,20}$"),
        *cohort_question.handlers(),
    ]
