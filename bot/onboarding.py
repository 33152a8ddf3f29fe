"""Sign-up (/start): consent, language, role, children, area and message time, then the menu.

The conversation is persistent: a restart of the bot leaves the family at the same question.
Nothing but the chat id is stored before the family agrees to the privacy notice.
"""

from __future__ import annotations

import re
import warnings
from datetime import date

from telegram import InlineKeyboardMarkup, Update
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
from bot.keyboards import column, keyboard
from bot.language import family_locale
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
from bot.steps import END, current_only, move_to, send_question, show_choice, step
from domain import families, life_events
from locales import LANGUAGE_NAMES, SUPPORTED_LOCALES, format_day, gettext_for, normalise_locale
from store.models import Family, Role, SendTime

CONSENT, LANGUAGE, ROLE, CHILD_KIND, MORE, AREA, TIME = (
    "consent",
    "language",
    "role",
    "child_kind",
    "more",
    "area",
    "time",
)
SOURCE = re.compile(r"^[a-z0-9_-]{1,40}$")  # a poster code, or a_<article> from a link
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
    user = update.effective_user
    locale = normalise_locale(
        user.language_code if user else None, context.services.default_locale
    )
    await context.bot.send_message(
        update.effective_chat.id,
        _consent_text(locale),
        reply_markup=_consent_markup(locale, source),
        parse_mode=ParseMode.HTML,
    )


async def start(update: Update, context: GrowWellContext) -> str | int:
    """/start: the menu for a registered family; otherwise sign-up, resuming where it stopped."""
    assert update.effective_chat is not None
    payload = context.args[0].lower() if context.args else ""
    async with context.services.sessions() as session:
        family = await families.find_family(session, update.effective_chat.id)
    if family is None:
        await ask_consent(update, context, payload if SOURCE.match(payload) else "")
        return CONSENT
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
        await ask_role(update, context)
        return ROLE
    if missing == "child":
        await ask_child_kind(update, context)
        return CHILD_KIND
    if missing == "area":
        await ask_area(update, context)
        return AREA
    await ask_time(update, context)
    return TIME


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
    assert update.effective_chat is not None
    _, _, locale, source = query.data.split(":", 3)
    await show_choice(update)
    async with context.services.sessions.begin() as session:
        await families.record_consent(
            session,
            update.effective_chat.id,
            locale=locale,
            source=source or None,
            now=context.now(),
        )
    await ask_language(update, context)
    return LANGUAGE


async def consent_declined(update: Update, context: GrowWellContext) -> int:
    """No consent: nothing is kept, and the door stays open."""
    await show_choice(update)
    _ = gettext_for(await family_locale(update, context))
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _(
            "That's fine. I have not kept any details about you. "
            "If you change your mind, just send /start."
        )
    )
    return END


async def consent_again(update: Update, context: GrowWellContext) -> None:
    """Anything but a button at the privacy notice: show it again."""
    await ask_consent(update, context)


async def language_chosen(update: Update, context: GrowWellContext) -> str:
    """Store the language; every question from here on is in it."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert update.effective_chat is not None
    locale = query.data.removeprefix("lang:")
    await show_choice(update)
    async with context.services.sessions.begin() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
        family.locale = locale
    await ask_role(update, context)
    return ROLE


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
    assert update.effective_chat is not None
    await show_choice(update)
    async with context.services.sessions.begin() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
        families.set_role(family, Role(query.data.removeprefix("role:")))
    await ask_child_kind(update, context)
    return CHILD_KIND


async def kind_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await show_choice(update)
    context.drafts[KIND_KEY] = query.data.removeprefix("kind:")
    await ask_child_date(update, context)
    return CHILD_DATE


async def child_confirmed(update: Update, context: GrowWellContext, kind: str, day: date) -> str:
    """A confirmed date becomes a child; then ask about more children."""
    assert update.effective_chat is not None
    async with context.services.sessions.begin() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
        if kind == "born":
            child = families.add_child(family, born=day)
        else:
            child = families.add_child(family, due_date=day)
        await life_events.child_added(
            session, context.services.plan, family, child, context.now(), context.today()
        )
    await ask_more(update, context)
    return MORE


async def ask_more(update: Update, context: GrowWellContext) -> None:
    assert update.effective_chat is not None
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    async with context.services.sessions() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
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
    assert update.effective_chat is not None
    await show_choice(update)
    async with context.services.sessions.begin() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
        if len(family.children) < families.MAX_CHILDREN:
            last = family.children[-1]
            if last.birth_date is not None:
                child = families.add_child(family, born=last.birth_date)
            else:
                child = families.add_child(family, due_date=last.due_date)
            await life_events.child_added(
                session, context.services.plan, family, child, context.now(), context.today()
            )
    await ask_more(update, context)
    return MORE


async def area_chosen(update: Update, context: GrowWellContext) -> str | None:
    """A town button, 'not in Sefton', or a typed postcode district."""
    if not await save_area(update, context):
        return None
    await ask_time(update, context)
    return TIME


async def time_chosen(update: Update, context: GrowWellContext) -> int:
    """The last answer: finish sign-up, show the summary and the menu."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert update.effective_chat is not None
    await show_choice(update)
    async with context.services.sessions.begin() as session:
        family = await families.find_family(session, update.effective_chat.id)
        assert family is not None
        families.set_send_time(family, SendTime(query.data.removeprefix("time:")))
        families.complete_registration(family, context.now())
        await life_events.registration_completed(
            session, context.services.plan, family, context.now(), context.today()
        )
        summary = registration_summary(family, context)
        locale, source = family.locale, family.source
    context.drafts.clear()
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
        _("Area: {area}").format(area=area_name(family.area, context, locale)),
        _("Messages: {time}").format(
            time=time_label(family.send_time, context, locale) if family.send_time else "–"
        ),
        "",
        _("You can change any of this with /settings."),
    ]
    return "\n".join(lines)


def conversation() -> ConversationHandler[GrowWellContext]:
    on_delete = end_and_ask_delete
    # Per-message tracking is done by `current_only`, which also knows which question is current.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={
                CONSENT: [
                    CallbackQueryHandler(
                        consent_given, pattern=rf"^c:yes:({LOCALES}):[a-z0-9_-]*$"
                    ),
                    CallbackQueryHandler(consent_declined, pattern="^c:no$"),
                    CallbackQueryHandler(
                        consent_language, pattern=rf"^c:show:({LOCALES}):[a-z0-9_-]*$"
                    ),
                    CommandHandler("delete", on_delete),
                    MessageHandler(filters.ALL, consent_again),
                    CallbackQueryHandler(consent_again),
                ],
                LANGUAGE: step(
                    ask_language,
                    CallbackQueryHandler(
                        current_only(ask_language, language_chosen), pattern=rf"^lang:({LOCALES})$"
                    ),
                    on_delete=on_delete,
                ),
                ROLE: step(
                    ask_role,
                    CallbackQueryHandler(
                        current_only(ask_role, role_chosen),
                        pattern="^role:(mum|dad|partner|carer)$",
                    ),
                    on_delete=on_delete,
                ),
                CHILD_KIND: step(
                    ask_child_kind,
                    CallbackQueryHandler(
                        current_only(ask_child_kind, kind_chosen), pattern="^kind:(due|born)$"
                    ),
                    on_delete=on_delete,
                ),
                **child_date_states(child_confirmed, on_delete=on_delete),
                MORE: step(
                    ask_more,
                    CallbackQueryHandler(current_only(ask_more, add_twin), pattern="^more:twin$"),
                    CallbackQueryHandler(
                        current_only(ask_more, move_to(ask_child_kind, CHILD_KIND)),
                        pattern="^more:another$",
                    ),
                    CallbackQueryHandler(
                        current_only(ask_more, move_to(ask_area, AREA)), pattern="^more:done$"
                    ),
                    on_delete=on_delete,
                ),
                AREA: step(
                    ask_area,
                    CallbackQueryHandler(
                        current_only(ask_area, area_chosen), pattern=r"^area:[a-z][a-z0-9_]{0,20}$"
                    ),
                    MessageHandler(filters.TEXT & ~filters.COMMAND, area_chosen),
                    expects_text=True,
                    on_delete=on_delete,
                ),
                TIME: step(
                    ask_time,
                    CallbackQueryHandler(
                        current_only(ask_time, time_chosen),
                        pattern="^time:(morning|afternoon|evening)$",
                    ),
                    on_delete=on_delete,
                ),
            },
            fallbacks=[],
            name="onboarding",
            persistent=True,
            allow_reentry=False,
        )
