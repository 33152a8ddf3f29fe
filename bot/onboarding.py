"""Sign-up (/start): consent, language, role, children, area and message time, then the menu.

The flow is persistent: a restart of the bot leaves the family at the same question, and /start
after it ended asks the first question not yet answered. Nothing but the chat id is stored
before the family agrees to the privacy notice.
"""

from __future__ import annotations

import re
from datetime import date
from functools import partial
from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.child_dates import child_date_states, child_date_steps
from bot.context import GrowWellContext
from bot.conversation import Flow, Need, finish, go, move_to, step
from bot.keyboards import column, keyboard
from bot.language import app_locale, family_locale
from bot.library import open_article
from bot.menu import send_menu
from bot.questions import (
    KIND_KEY,
    ROLE_LABELS,
    area_name,
    ask_area,
    ask_child_date,
    ask_child_kind,
    ask_language,
    ask_time,
    save_area,
    time_label,
)
from bot.steps import END, current_only, send_question, show_choice
from domain import families, life_events
from locales import LANGUAGE_NAMES, SUPPORTED_LOCALES, format_day, gettext_for
from store.models import Family, Role, SendTime

CONSENT, LANGUAGE, ROLE, CHILD_KIND, MORE, AREA, TIME = (
    "signup.consent",
    "signup.language",
    "signup.role",
    "signup.child_kind",
    "signup.more",
    "signup.area",
    "signup.time",
)
DATES = child_date_states("signup")
SOURCE = re.compile(r"^[a-z0-9_-]{1,40}$")  # a poster code, or a_<article> from a link
SOURCE_DATA = "[a-z0-9_-]{0,40}"  # the same in callback data, where it may be empty
LOCALES = "|".join(SUPPORTED_LOCALES)


def _consent_text(locale: str) -> str:
    _ = gettext_for(locale)
    return "\n\n".join(
        [
            _("👋 <b>Welcome to Grow Well</b>, from your health visiting team in Sefton."),
            _(
                "I can send you reminders and tips that fit your baby's age, "
                "and help you find support."
            ),
            _(
                "To do this, I need to keep a few details: your language, who you are to the "
                "baby, your baby's due date or birthday, your area, and the time you like "
                "messages. I keep them safe and use them only to send you the right messages."
            ),
            _("You can see your details with /mydata and delete them with /delete at any time."),
            _(
                "Please remember: no one reads these messages all day and night. "
                "In an emergency, call 999."
            ),
            _("Is it OK for me to keep these details?"),
        ]
    )


def _consent_markup(locale: str, source: str) -> InlineKeyboardMarkup:
    _ = gettext_for(locale)
    languages = [
        (LANGUAGE_NAMES[code], f"c:show:{code}:{source}")
        for code in SUPPORTED_LOCALES
        if code != locale
    ]
    return keyboard(
        [
            [(_("Yes, that's OK"), f"c:yes:{locale}:{source}")],
            [(_("No, thank you"), "c:no")],
            languages,
        ]
    )


async def ask_consent(update: Update, context: GrowWellContext, source: str = "") -> None:
    assert update.effective_chat is not None
    locale = app_locale(update, context)
    await context.bot.send_message(
        update.effective_chat.id,
        _consent_text(locale),
        reply_markup=_consent_markup(locale, source),
        parse_mode=ParseMode.HTML,
    )


async def start(update: Update, context: GrowWellContext) -> str | int:
    """/start: the menu for a registered family; otherwise sign-up, resuming where it stopped."""
    payload = context.args[0].lower() if context.args else ""
    family = await context.family.find()
    if family is None:
        source = payload if SOURCE.match(payload) else ""
        return await go(update, context, CONSENT, partial(ask_consent, source=source))
    if family.registered_at is not None:
        article = linked_article(payload, context)
        if article is not None:
            await open_article(update, context, article, new=True)
        else:
            await send_menu(update, context, family.locale)
        return END
    return await _resume(update, context, family)


def linked_article(payload: str | None, context: GrowWellContext) -> str | None:
    """The article a t.me/<bot>?start=a_<id> link points to, if it exists."""
    if payload and payload.startswith("a_") and payload[2:] in context.services.article_ids:
        return payload[2:]
    return None


async def _resume(update: Update, context: GrowWellContext, family: Family) -> str:
    missing = families.next_missing_answer(family)
    if missing == "role":
        return await go(update, context, ROLE, ask_role)
    if missing == "child":
        return await go(update, context, CHILD_KIND, ask_child_kind)
    if missing == "area":
        return await go(update, context, AREA, ask_area)
    return await go(update, context, TIME, ask_time)


async def consent_language(update: Update, context: GrowWellContext) -> None:
    """Show the privacy notice in another language; still nothing is stored."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, _, locale, source = query.data.split(":", 3)
    await query.answer()
    await query.edit_message_text(
        _consent_text(locale),
        reply_markup=_consent_markup(locale, source),
        parse_mode=ParseMode.HTML,
    )


async def consent_given(update: Update, context: GrowWellContext) -> str:
    """Consent: the first moment anything about the family is stored."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, _, locale, source = query.data.split(":", 3)
    await show_choice(update)
    await context.family.consent(locale=locale, source=source or None, now=context.now())
    return await go(update, context, LANGUAGE, ask_language)


async def consent_declined(update: Update, context: GrowWellContext) -> int:
    """No consent: nothing is kept, and the door stays open."""
    await show_choice(update)
    await finish(update, context)
    _ = gettext_for(await family_locale(update, context))
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _(
            "That's fine. I have not kept any details about you. "
            "If you change your mind, just send /start."
        )
    )
    return END


async def language_chosen(update: Update, context: GrowWellContext) -> str:
    """Store the language; every question from here on is in it."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    locale = query.data.removeprefix("lang:")
    await show_choice(update)
    async with context.family.editing() as edit:
        edit.family.locale = locale
    return await go(update, context, ROLE, ask_role)


async def ask_role(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    await send_question(
        update,
        context,
        _("Who are you to the baby?"),
        column([(_(label), f"role:{role.value}") for role, label in ROLE_LABELS.items()]),
    )


async def role_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await show_choice(update)
    async with context.family.editing() as edit:
        families.set_role(edit.family, Role(query.data.removeprefix("role:")))
    return await go(update, context, CHILD_KIND, ask_child_kind)


async def kind_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await show_choice(update)
    context.drafts[KIND_KEY] = query.data.removeprefix("kind:")
    return await go(update, context, DATES.date, ask_child_date)


async def child_confirmed(update: Update, context: GrowWellContext, kind: str, day: date) -> str:
    """A confirmed date becomes a child, if the family has room for one more; then ask about
    more children."""
    async with context.family.editing() as edit:
        family = edit.family
        room = families.has_room_for_child(family)
        if room:
            if kind == "born":
                child = families.add_child(family, born=day)
            else:
                child = families.add_child(family, due_date=day)
            await life_events.child_added(
                edit.session, context.services.plan, family, child, context.now(), context.today()
            )
    if not room:
        await no_room_for_a_child(update, context)
    return await go(update, context, MORE, ask_more)


async def no_room_for_a_child(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(await family_locale(update, context))
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id, _("I can't add more children, sorry.")
    )


async def ask_more(update: Update, context: GrowWellContext) -> None:
    family = await context.family.require()
    locale = family.locale
    _ = gettext_for(locale)
    children = list(family.children)
    listed = "\n".join(f"• {describe_child(c.due_date, c.birth_date, locale)}" for c in children)
    choices = [(_("No, that's everyone"), "more:done")]
    if len(children) < families.MAX_CHILDREN:
        choices = [
            (_("Add a twin (same date)"), "more:twin"),
            (_("Add another child under 5"), "more:another"),
            *choices,
        ]
    await send_question(
        update,
        context,
        _("Thank you. I have:\n{children}\n\nDo you have another child to add?").format(
            children=listed
        ),
        column(choices),
    )


def describe_child(due: date | None, born: date | None, locale: str) -> str:
    _ = gettext_for(locale)
    if born is not None:
        return _("Baby born on {date}").format(date=format_day(born, locale, weekday=False))
    assert due is not None
    return _("Baby due on {date}").format(date=format_day(due, locale, weekday=False))


async def add_twin(update: Update, context: GrowWellContext) -> str:
    """Twins (or more): same date as the child just added."""
    await show_choice(update)
    async with context.family.editing() as edit:
        family = edit.family
        first = not family.children  # a forged button before any child
        room = not first and families.has_room_for_child(family)
        if room:
            last = family.children[-1]
            if last.birth_date is not None:
                child = families.add_child(family, born=last.birth_date)
            else:
                child = families.add_child(family, due_date=last.due_date)
            await life_events.child_added(
                edit.session, context.services.plan, family, child, context.now(), context.today()
            )
    if first:
        return await go(update, context, CHILD_KIND, ask_child_kind)
    if not room:
        await no_room_for_a_child(update, context)
    return await go(update, context, MORE, ask_more)


async def add_another(update: Update, context: GrowWellContext) -> str:
    """Another child with its own date, while there is room (the button can be forged)."""
    await show_choice(update)
    if not families.has_room_for_child(await context.family.require()):
        await no_room_for_a_child(update, context)
        return await go(update, context, MORE, ask_more)
    return await go(update, context, CHILD_KIND, ask_child_kind)


async def area_chosen(update: Update, context: GrowWellContext) -> str | None:
    """A town button, 'not in Sefton', or a typed postcode district."""
    if not await save_area(update, context):
        return None
    return await go(update, context, TIME, ask_time)


async def time_chosen(update: Update, context: GrowWellContext) -> int:
    """The last answer: finish sign-up, show the summary and the menu."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert update.effective_chat is not None
    await show_choice(update)
    async with context.family.editing() as edit:
        family = edit.family
        families.set_send_time(family, SendTime(query.data.removeprefix("time:")))
        families.complete_registration(family, context.now())
        await life_events.registration_completed(
            edit.session, context.services.plan, family, context.now(), context.today()
        )
        summary = registration_summary(family, context)
        locale, source = family.locale, family.source
    await finish(update, context)
    await context.bot.send_message(update.effective_chat.id, summary, parse_mode=ParseMode.HTML)
    await send_menu(update, context, locale)
    article = linked_article(source, context)
    if article is not None:  # they came from a link to an article: open it now
        await open_article(update, context, article, new=True)
    return END


def registration_summary(family: Family, context: GrowWellContext) -> str:
    locale = family.locale
    _ = gettext_for(locale)
    lines = [
        _("<b>All done, thank you!</b> Here is what you told me:"),
        _("Language: {language}").format(language=LANGUAGE_NAMES[locale]),
        _("You are: {role}").format(role=_(ROLE_LABELS[family.role]) if family.role else "–"),
        *(
            f"• {describe_child(c.due_date, c.birth_date, locale)}"
            for c in families.active_children(family)
        ),
        _("Area: {area}").format(area=escape(area_name(family.area, context, locale))),
        _("Messages: {time}").format(
            time=time_label(family.send_time, context, locale) if family.send_time else "–"
        ),
        "",
        _("You can change any of this with /settings."),
    ]
    return "\n".join(lines)


def flow() -> Flow:
    kind = Need(KIND_KEY, CHILD_KIND, ask_child_kind)
    return Flow(
        name="signup",
        open=start,
        commands=("start",),
        buttons=(),
        steps={
            CONSENT: step(
                ask_consent,
                CallbackQueryHandler(consent_given, pattern=rf"^c:yes:({LOCALES}):{SOURCE_DATA}$"),
                CallbackQueryHandler(consent_declined, pattern="^c:no$"),
                CallbackQueryHandler(
                    consent_language, pattern=rf"^c:show:({LOCALES}):{SOURCE_DATA}$"
                ),
            ),
            LANGUAGE: step(
                ask_language,
                CallbackQueryHandler(
                    current_only(ask_language, language_chosen), pattern=rf"^lang:({LOCALES})$"
                ),
            ),
            ROLE: step(
                ask_role,
                CallbackQueryHandler(
                    current_only(ask_role, role_chosen), pattern="^role:(mum|dad|partner|carer)$"
                ),
            ),
            CHILD_KIND: step(
                ask_child_kind,
                CallbackQueryHandler(
                    current_only(ask_child_kind, kind_chosen), pattern="^kind:(due|born)$"
                ),
            ),
            **child_date_steps(DATES, child_confirmed, kind=kind),
            MORE: step(
                ask_more,
                CallbackQueryHandler(current_only(ask_more, add_twin), pattern="^more:twin$"),
                CallbackQueryHandler(
                    current_only(ask_more, add_another), pattern="^more:another$"
                ),
                CallbackQueryHandler(
                    current_only(ask_more, move_to(ask_area, AREA)), pattern="^more:done$"
                ),
            ),
            AREA: step(
                ask_area,
                CallbackQueryHandler(
                    current_only(ask_area, area_chosen), pattern=r"^area:[a-z][a-z0-9_]{0,20}$"
                ),
                MessageHandler(filters.TEXT & ~filters.COMMAND, area_chosen),
                expects_text=True,
            ),
            TIME: step(
                ask_time,
                CallbackQueryHandler(
                    current_only(ask_time, time_chosen),
                    pattern="^time:(morning|afternoon|evening)$",
                ),
            ),
        },
    )
