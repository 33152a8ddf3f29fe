"""Questions shared by sign-up and /settings: language, a child's date, area and message time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from telegram import Update

from bot.context import GrowWellContext
from bot.keyboards import column, grid, keyboard
from bot.language import family_locale
from bot.steps import send_question, show_choice
from domain.dates import (
    DateInputError,
    DateProblem,
    check_birth_date,
    check_due_date,
    parse_date,
)
from domain.families import set_area
from locales import LANGUAGE_NAMES, N_, SUPPORTED_LOCALES, format_clock, format_day, gettext_for
from resources.areas import OUTSIDE_SEFTON
from store.models import Role, SendTime

KIND_KEY = "kind"  # drafts: "due" or "born", the date being asked for
DATE_KEY = "date"  # drafts: the typed date, waiting to be confirmed
CHILD_KEY = "child"  # drafts: the child a birth or loss is about

ROLE_LABELS = {
    Role.MUM: N_("Mum"),
    Role.DAD: N_("Dad"),
    Role.PARTNER: N_("Partner"),
    Role.CARER: N_("Other carer (like a grandparent or foster carer)"),
}
TIME_LABELS = {
    SendTime.MORNING: N_("Morning, around {time}"),
    SendTime.AFTERNOON: N_("Afternoon, around {time}"),
    SendTime.EVENING: N_("Evening, around {time}"),
}


async def ask_language(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    choices = [(LANGUAGE_NAMES[code], f"lang:{code}") for code in SUPPORTED_LOCALES]
    await send_question(
        update, context, _("Which language would you like me to use?"), grid(choices, 2)
    )


def time_label(send_time: SendTime, context: GrowWellContext, locale: str) -> str:
    moment = getattr(context.services.rules.send_times, send_time.value)
    shown = format_clock(moment, locale)
    return gettext_for(locale)(TIME_LABELS[send_time]).format(time=shown)


async def ask_time(update: Update, context: GrowWellContext) -> None:
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    choices = [(time_label(t, context, locale), f"time:{t.value}") for t in SendTime]
    await send_question(
        update, context, _("What time of day is best for my messages?"), column(choices)
    )


def area_name(area: str | None, context: GrowWellContext, locale: str) -> str:
    _ = gettext_for(locale)
    if area is None:
        return "–"
    if area == OUTSIDE_SEFTON:
        return _("Outside Sefton")
    town = context.services.areas.town(area)
    return town.name if town else area


async def ask_area(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    towns = [(town.name, f"area:{town.id}") for town in context.services.areas.towns]
    rows = [towns[i : i + 2] for i in range(0, len(towns), 2)]
    rows.append([(_("I don't live in Sefton"), f"area:{OUTSIDE_SEFTON}")])
    await send_question(
        update,
        context,
        _("Where do you live? Tap your town, or type the first part of your postcode, like L20."),
        keyboard(rows),
    )


async def ask_child_kind(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    await send_question(
        update,
        context,
        _("Are you expecting a baby, or has your baby been born?"),
        column(
            [(_("I'm expecting a baby"), "kind:due"), (_("My baby has been born"), "kind:born")]
        ),
    )


async def ask_child_date(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    if context.drafts.get(KIND_KEY) == "born":
        text = _("When was your baby born? Please type the date, like 2/9/2026.")
    else:
        text = _("When is your baby due? Please type the date, like 14/3/2027.")
    await send_question(update, context, text)


async def ask_date_confirm(update: Update, context: GrowWellContext) -> None:
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    day = date.fromisoformat(context.drafts[DATE_KEY])
    await send_question(
        update,
        context,
        _("Just to check: did you mean <b>{date}</b>?").format(date=format_day(day, locale)),
        column(
            [(_("Yes, that's right"), "date:ok"), (_("No, I'll type it again"), "date:retype")]
        ),
    )


async def ask_due_past(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    await send_question(
        update,
        context,
        _("That due date is more than a month ago. Has your baby been born?"),
        column(
            [
                (_("Yes, my baby has been born"), "past:born"),
                (_("No, I'll type the date again"), "past:retype"),
            ]
        ),
    )


DATE_PROBLEM_REPLIES = {
    DateProblem.EMPTY: N_("I didn't get a date there. Please type it, like 14/3/2027."),
    DateProblem.NOT_A_DATE: N_(
        "Sorry, I couldn't read that as a date. Please type it like 14/3/2027 or 14 March 2027."
    ),
    DateProblem.NEEDS_DAY: N_("Please add the day too, like 14/3/2027."),
    DateProblem.IMPOSSIBLE: N_(
        "That date doesn't exist on the calendar. Please check it and type it again."
    ),
    DateProblem.IN_FUTURE: N_(
        "That date is still to come. Please type the date your baby was born."
    ),
    DateProblem.OVER_FIVE: N_(
        "Grow Well is for babies and children under 5. "
        "Please type the date of birth of a child under 5."
    ),
    DateProblem.DUE_TOO_FAR_AHEAD: N_(
        "That is more than 42 weeks away. Please check the due date and type it again."
    ),
}


def read_child_date(text: str, kind: str, today: date) -> date | DateProblem:
    """Parse and check a typed date; a problem is returned for the caller to explain."""
    try:
        day = parse_date(text, today=today, expect="past" if kind == "born" else "future")
    except DateInputError as error:
        return error.problem
    problem = (
        check_birth_date(day, today=today) if kind == "born" else check_due_date(day, today=today)
    )
    return problem or day


def problem_reply(problem: DateProblem, locale: str) -> str:
    message = DATE_PROBLEM_REPLIES.get(problem, DATE_PROBLEM_REPLIES[DateProblem.NOT_A_DATE])
    return gettext_for(locale)(message)


@dataclass(frozen=True)
class AreaAnswer:
    area: str
    in_sefton: bool
    note: str | None  # said to the family after saving, e.g. that a postcode is outside Sefton


async def take_area(update: Update, context: GrowWellContext) -> AreaAnswer | None:
    """Read a town button or typed postcode; on anything else, explain and ask again (None)."""
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    query = update.callback_query
    if query is not None:
        area = (query.data or "").removeprefix("area:")
        if area != OUTSIDE_SEFTON and context.services.areas.town(area) is None:
            await query.answer()
            await ask_area(update, context)
            return None
        await show_choice(update)
        return AreaAnswer(area, area != OUTSIDE_SEFTON, None)
    message = update.message
    assert message is not None
    if context.emergency_shown:
        await ask_area(update, context)
        return None
    typed = context.services.areas.read_typed(message.text or "")
    if typed is None:
        await message.reply_text(
            _(
                "Sorry, I couldn't find that. Please tap your town, or type just the first "
                "part of your postcode, like L20 or PR8."
            )
        )
        await ask_area(update, context)
        return None
    note = None
    if not typed.in_sefton:
        note = _(
            "Thank you. {district} looks like it is outside Sefton. You can still use "
            "Grow Well, but some local services may not cover your area."
        ).format(district=typed.district)
    return AreaAnswer(typed.district, typed.in_sefton, note)


async def save_area(update: Update, context: GrowWellContext) -> bool:
    """Take the area answer and store it; False if the question was asked again instead."""
    answer = await take_area(update, context)
    if answer is None:
        return False
    async with context.family.editing() as edit:
        set_area(edit.family, answer.area, in_sefton=answer.in_sefton)
    if answer.note and update.effective_message is not None:
        await update.effective_message.reply_text(answer.note)
    return True
