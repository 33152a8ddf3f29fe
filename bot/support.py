"""'Get support': a family asks the hub or one of its spokes for help (resources/spokes.yaml).

Steps: choose the support (only what fits the family; the hub always), answer its questions,
say how to be contacted (a message here, or a call to a UK number at a time of day), agree to
share the answers, then the request is made (domain/referrals.py) and its reference shown.
Emergency words in any typed answer get the safety reply first (bot/safety.py) and mark the
request urgent. Callback data: `menu:support`, `sup:s:<spoke>` (an article or reminder opens
the flow at that spoke), and `sup:...` inside the flow.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import GrowWellContext
from bot.conversation import Flow, Need, finish, go, step
from bot.keyboards import column
from bot.language import family_locale
from bot.menu import registered_family, send_menu
from bot.my_requests import send_request, spoke_name, urgent_reason
from bot.safety import safety_net_line
from bot.steps import END, Ask, Callback, Handler, current_only, send_question, show_choice
from domain import families, referrals
from domain.dates import months_old
from domain.phone import CALL_WINDOWS, national_format, parse_uk_phone
from locales import N_, format_clock, gettext_for
from resources.spokes import HUB, Question, QuestionKind, Spoke
from store.models import ContactMethod, Family, Referral

CHOOSE, QUESTION, CONTACT, PHONE, WINDOW, CONSENT = (
    "support.spoke",
    "support.question",
    "support.contact",
    "support.phone",
    "support.window",
    "support.consent",
)
# drafts
SPOKE_KEY, ANSWERS_KEY, AT_KEY = "sup_spoke", "sup_answers", "sup_q"
CONTACT_KEY, PHONE_KEY, WINDOW_KEY, URGENT_KEY = (
    "sup_contact",
    "sup_phone",
    "sup_window",
    "sup_urgent",
)

SPOKE_ID = r"[a-z][a-z0-9_]{0,23}"  # resources/spokes.py ids


def _open_spokes(family: Family, context: GrowWellContext) -> list[Spoke]:
    """The support this family may ask for now, in the file's order; the hub always."""
    today = context.today()
    born = [c.birth_date for c in families.active_children(family) if c.birth_date is not None]
    fits = context.services.spokes.open_to(
        pregnant=bool(families.expected_children(family)),
        children_months=[months_old(day, today) for day in born],
    )
    return [s for s in context.services.spokes.spokes if s.id == HUB or s in fits]


def age_band(family: Family, context: GrowWellContext) -> str | None:
    """All the team's group post shows of the family: the youngest child's age, or pregnancy."""
    today = context.today()
    born = [c.birth_date for c in families.active_children(family) if c.birth_date is not None]
    if born:
        months = months_old(max(born), today)
        return f"{months} months" if months < 24 else f"{months // 12} years"
    return "pregnant" if families.expected_children(family) else None


def _spoke(context: GrowWellContext) -> Spoke:
    return context.services.spokes.spoke(context.drafts[SPOKE_KEY])


def _question(context: GrowWellContext) -> Question:
    questions = _spoke(context).questions
    return questions[min(int(context.drafts.get(AT_KEY, 0)), len(questions) - 1)]


def _back_and_cancel(locale: str) -> list[tuple[str, str]]:
    _ = gettext_for(locale)
    return [(_("⬅️ Back"), "sup:back"), (_("✖️ Cancel"), "sup:cancel")]


def _markup(choices: list[tuple[str, str]], locale: str) -> InlineKeyboardMarkup:
    return column([*choices, *_back_and_cancel(locale)])


# --- asking -----------------------------------------------------------------------------------


async def ask_spoke(update: Update, context: GrowWellContext) -> None:
    family = await context.family.require()
    locale = family.locale
    _ = gettext_for(locale)
    offered = _open_spokes(family, context)
    lines = [_("<b>What would you like support with?</b>")]
    lines += [
        f"• <b>{escape(s.name[locale])}</b>: {escape(s.description[locale])}" for s in offered
    ]
    lines += ["", _("If you are not sure, choose the first one.")]
    choices = [(s.name[locale], f"sup:pick:{s.id}") for s in offered]
    await send_question(
        update,
        context,
        "\n".join(lines),
        column([*choices, (_("✖️ Cancel"), "sup:cancel")]),
    )


async def ask_question(update: Update, context: GrowWellContext) -> None:
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    question = _question(context)
    choices: list[tuple[str, str]] = []
    if question.kind is QuestionKind.CHOICE:
        choices = [(option.label[locale], f"sup:o:{option.id}") for option in question.options]
    elif question.kind is QuestionKind.YES_NO:
        choices = [(_("Yes"), "sup:yes"), (_("No"), "sup:no")]
    if not question.required:
        choices.append((_("Skip this question"), "sup:skip"))
    text = f"<b>{escape(_spoke(context).name[locale])}</b>\n{escape(question.prompt[locale])}"
    if question.kind is QuestionKind.TEXT:
        text += "\n\n" + _("Please type your answer.")
    await send_question(update, context, text, _markup(choices, locale))


async def ask_contact(update: Update, context: GrowWellContext) -> None:
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    await send_question(
        update,
        context,
        _("How would you like the team to contact you?"),
        _markup(
            [
                (_("💬 A message in this chat"), "sup:c:message"),
                (_("📞 A phone call"), "sup:c:phone"),
            ],
            locale,
        ),
    )


async def ask_phone(update: Update, context: GrowWellContext) -> None:
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    await send_question(
        update,
        context,
        _("What UK phone number should the team call? For example 07911 123456."),
        _markup([], locale),
    )


async def ask_window(update: Update, context: GrowWellContext) -> None:
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    hours = context.services.spokes.working_hours
    await send_question(
        update,
        context,
        _(
            "When is the best time to call you? The team calls on weekdays, "
            "between {start} and {end}."
        ).format(start=format_clock(hours.start, locale), end=format_clock(hours.end, locale)),
        _markup([(_(label), f"sup:w:{window}") for window, label in CALL_WINDOWS.items()], locale),
    )


def _answer_text(question: Question, answer: object, locale: str) -> str:
    _ = gettext_for(locale)
    if answer is None:
        return _("(skipped)")
    if isinstance(answer, bool):
        return _("Yes") if answer else _("No")
    option = question.option(str(answer))
    return option.label[locale] if option else str(answer)


def _contact_text(context: GrowWellContext, locale: str) -> str:
    _ = gettext_for(locale)
    if context.drafts[CONTACT_KEY] == ContactMethod.MESSAGE.value:
        return _("A message in this chat")
    return _("A phone call to {phone}, {when}").format(
        phone=national_format(context.drafts[PHONE_KEY]),
        when=_(CALL_WINDOWS[context.drafts[WINDOW_KEY]]).lower(),
    )


async def ask_consent(update: Update, context: GrowWellContext) -> None:
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    spoke = _spoke(context)
    answers = context.drafts.get(ANSWERS_KEY, {})
    name = escape(spoke.name[locale])
    lines = [_("<b>Please check your request</b>"), ""]
    for question in spoke.questions:
        shown = _answer_text(question, answers.get(question.id), locale)
        lines += [f"<i>{escape(question.prompt[locale])}</i>", escape(shown)]
    lines += [
        "",
        _("<i>How to contact you:</i> {how}").format(how=escape(_contact_text(context, locale))),
        "",
        _(
            "To help you, I will share these answers with the team for <b>{spoke}</b>. Is that OK?"
        ).format(spoke=name),
    ]
    await send_question(
        update,
        context,
        "\n".join(lines),
        _markup([(_("✅ Yes, send my request"), "sup:send")], locale),
    )


# --- opening ----------------------------------------------------------------------------------


async def _already_open(update: Update, context: GrowWellContext, spoke: Spoke) -> bool:
    """A second request to the same spoke: the open one is shown instead (True)."""
    async with context.family.editing() as edit:
        existing = await referrals.open_request(edit.session, edit.family.id, spoke.id)
        locale = edit.family.locale
    if existing is None:
        return False
    await _show_existing(update, context, existing, locale)
    return True


async def _show_existing(
    update: Update, context: GrowWellContext, existing: Referral, locale: str
) -> None:
    _ = gettext_for(locale)
    intro = _(
        "You already have a request open for {spoke}, so I have not made a new one. "
        "Here it is. You can add a message to it for the team."
    ).format(
        spoke=f"<b>{escape(spoke_name(context.services.spokes, existing.spoke_id, locale))}</b>"
    )
    await send_request(update, context, existing, locale, intro)


async def _start_spoke(update: Update, context: GrowWellContext, spoke: Spoke) -> str | int:
    if await _already_open(update, context, spoke):
        return await finish(update, context)
    context.drafts.update({SPOKE_KEY: spoke.id, ANSWERS_KEY: {}, AT_KEY: 0})
    return await go(update, context, QUESTION, ask_question)


async def open_support(update: Update, context: GrowWellContext) -> str | int:
    """The menu's 'Get support', or a spoke's button under an article or reminder."""
    query = update.callback_query
    if query is not None:
        await query.answer()
    family = await registered_family(update, context)
    if family is None:
        return END
    wanted = (query.data or "").removeprefix("sup:s:") if query is not None else ""
    offered = {s.id: s for s in _open_spokes(family, context)}
    if wanted in offered:
        return await _start_spoke(update, context, offered[wanted])
    spoke = context.services.spokes.get(wanted)
    if spoke is not None:  # a button for support this family cannot ask for now
        _ = gettext_for(family.locale)
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id,
            _(
                "{spoke} is for families at a different stage, so I can't send a request "
                "there. Here is the support you can ask for."
            ).format(spoke=f"<b>{escape(spoke.name[family.locale])}</b>"),
            parse_mode=ParseMode.HTML,
        )
    return await go(update, context, CHOOSE, ask_spoke)


async def spoke_picked(update: Update, context: GrowWellContext) -> str | int | None:
    query = update.callback_query
    assert query is not None and query.data is not None
    family = await context.family.require()
    offered = {s.id: s for s in _open_spokes(family, context)}
    spoke = offered.get(query.data.removeprefix("sup:pick:"))
    if spoke is None:
        await query.answer()
        await ask_spoke(update, context)
        return None
    await show_choice(update)
    return await _start_spoke(update, context, spoke)


# --- answering the questions ------------------------------------------------------------------


async def _answered(update: Update, context: GrowWellContext, answer: object) -> str:
    """Keep the answer, then the next question, or how to be contacted after the last."""
    question = _question(context)
    answers = dict(context.drafts.get(ANSWERS_KEY, {}))
    if answer is None:
        answers.pop(question.id, None)
    else:
        answers[question.id] = answer
    context.drafts[ANSWERS_KEY] = answers
    at = int(context.drafts.get(AT_KEY, 0)) + 1
    if at < len(_spoke(context).questions):
        context.drafts[AT_KEY] = at
        return await go(update, context, QUESTION, ask_question)
    return await go(update, context, CONTACT, ask_contact)


async def button_answer(update: Update, context: GrowWellContext) -> str | None:
    """A choice, yes or no, or Skip; a button that does not fit this question asks again."""
    query = update.callback_query
    assert query is not None and query.data is not None
    question = _question(context)
    data = query.data.removeprefix("sup:")
    answer: object
    if data == "skip" and not question.required:
        answer = None
    elif data in ("yes", "no") and question.kind is QuestionKind.YES_NO:
        answer = data == "yes"
    elif question.kind is QuestionKind.CHOICE and question.option(data.removeprefix("o:")):
        answer = data.removeprefix("o:")
    else:
        await query.answer()
        await ask_question(update, context)
        return None
    await show_choice(update)
    return await _answered(update, context, answer)


def _note_emergency(context: GrowWellContext, text: str) -> bool:
    """Emergency words: the safety reply has gone out; the request will be urgent (True)."""
    emergency = context.services.safety.assess(text).emergency
    if emergency is not None:
        context.drafts[URGENT_KEY] = emergency.value
    return emergency is not None


async def typed_answer(update: Update, context: GrowWellContext) -> str | None:
    message = update.message
    assert message is not None and message.text is not None
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    question = _question(context)
    urgent = _note_emergency(context, message.text)
    if question.kind is not QuestionKind.TEXT:
        if not urgent:
            await message.reply_text(_("Please tap one of the buttons to answer."))
        await ask_question(update, context)
        return None
    text = message.text.strip()
    assert question.max_length is not None
    if len(text) > question.max_length:
        await message.reply_text(
            _("That is a bit long. Please use {count} letters or fewer.").format(
                count=question.max_length
            )
        )
        await ask_question(update, context)
        return None
    if urgent:
        await message.reply_text(
            _("I have kept your answer. I will mark your request as urgent for the team.")
        )
    return await _answered(update, context, text)


# --- how to be contacted ----------------------------------------------------------------------


async def contact_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await show_choice(update)
    method = query.data.removeprefix("sup:c:")
    context.drafts[CONTACT_KEY] = method
    if method == ContactMethod.PHONE.value:
        return await go(update, context, PHONE, ask_phone)
    context.drafts.pop(PHONE_KEY, None)
    context.drafts.pop(WINDOW_KEY, None)
    return await go(update, context, CONSENT, ask_consent)


async def phone_typed(update: Update, context: GrowWellContext) -> str | None:
    message = update.message
    assert message is not None and message.text is not None
    phone = parse_uk_phone(message.text)
    if phone is None:
        if not _note_emergency(context, message.text):
            _ = gettext_for(await family_locale(update, context))
            await message.reply_text(
                _(
                    "Sorry, that doesn't look like a UK phone number. Please type it like "
                    "07911 123456 or +44 7911 123456."
                )
            )
        await ask_phone(update, context)
        return None
    context.drafts[PHONE_KEY] = phone.e164
    return await go(update, context, WINDOW, ask_window)


async def window_chosen(update: Update, context: GrowWellContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await show_choice(update)
    context.drafts[WINDOW_KEY] = query.data.removeprefix("sup:w:")
    return await go(update, context, CONSENT, ask_consent)


# --- back, cancel, send -----------------------------------------------------------------------


def _back_to(state: str) -> Callback:
    """Back: the step before this one, its answer kept until it is given again."""

    async def back(update: Update, context: GrowWellContext) -> str:
        await show_choice(update)
        if state == QUESTION:  # from the first question back to the choice of support
            at = int(context.drafts.get(AT_KEY, 0))
            if at == 0:
                return await go(update, context, CHOOSE, ask_spoke)
            context.drafts[AT_KEY] = at - 1
            return await go(update, context, QUESTION, ask_question)
        if state == CONTACT:
            context.drafts[AT_KEY] = len(_spoke(context).questions) - 1
            return await go(update, context, QUESTION, ask_question)
        if state == CONSENT:
            if context.drafts.get(CONTACT_KEY) == ContactMethod.PHONE.value:
                return await go(update, context, WINDOW, ask_window)
            return await go(update, context, CONTACT, ask_contact)
        if state == WINDOW:
            return await go(update, context, PHONE, ask_phone)
        return await go(update, context, CONTACT, ask_contact)

    return back


async def cancelled(update: Update, context: GrowWellContext) -> int:
    await show_choice(update)
    await finish(update, context)
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _("OK, I have not sent anything. You can ask for support at any time from the menu.")
    )
    await send_menu(update, context, locale)
    return END


def _contact(context: GrowWellContext) -> referrals.Contact:
    method = ContactMethod(context.drafts[CONTACT_KEY])
    if method is ContactMethod.MESSAGE:
        return referrals.Contact(method)
    return referrals.Contact(method, context.drafts[PHONE_KEY], context.drafts[WINDOW_KEY])


def _next_steps(referral: Referral, spoke: Spoke, locale: str) -> str:
    _ = gettext_for(locale)
    days = spoke.target_working_days
    if days == 0:
        when = _("The team aims to contact you by the end of the working day.")
    elif days == 1:
        when = _("The team aims to contact you within 1 working day.")
    else:
        when = _("The team aims to contact you within {days} working days.").format(days=days)
    if referral.contact_method is ContactMethod.PHONE and referral.phone:
        how = _("They will call you on {phone}.").format(phone=national_format(referral.phone))
    else:
        how = _("They will send you a message here.")
    return f"{when} {how}"


async def send_request_now(update: Update, context: GrowWellContext) -> int:
    """Consent given: the request is made (with its group post due) in one transaction."""
    await show_choice(update)
    now = context.now()
    spoke = _spoke(context)
    urgent = context.drafts.get(URGENT_KEY)
    async with context.family.editing() as edit:
        made = await referrals.create(
            edit.session,
            family=edit.family,
            spoke=spoke,
            answers=context.drafts.get(ANSWERS_KEY, {}),
            contact=_contact(context),
            consent_at=now,
            now=now,
            calendar=context.services.calendar,
            child_age_band=age_band(edit.family, context),
            urgent_reason=urgent_reason(urgent) if urgent else None,
        )
        if not made.created and urgent:  # the open request now carries the emergency too
            await referrals.mark_urgent(edit.session, made.referral.id, urgent_reason(urgent), now)
        locale = edit.family.locale
    await finish(update, context)
    if not made.created:
        await _show_existing(update, context, made.referral, locale)
        return END
    _ = gettext_for(locale)
    lines = [
        _("✅ Thank you. Your request has been sent to the team for <b>{spoke}</b>.").format(
            spoke=escape(spoke.name[locale])
        ),
        _("Your reference is <b>{reference}</b>.").format(reference=made.referral.reference),
        "",
        _next_steps(made.referral, spoke, locale),
        _(
            "I will tell you here when someone picks it up. "
            "You can see it, add a message or cancel it with /requests."
        ),
    ]
    if urgent:
        lines += ["", _("I have marked it as urgent for the team."), safety_net_line(locale)]
    assert update.effective_message is not None
    await update.effective_message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)
    return END


def _on(ask: Ask, callback: Callback, pattern: str) -> Handler:
    return CallbackQueryHandler(current_only(ask, callback), pattern=pattern)


def _leaving(ask: Ask, state: str) -> list[Handler]:
    return [_on(ask, _back_to(state), "^sup:back$"), _on(ask, cancelled, "^sup:cancel$")]


def flow() -> Flow:
    spoke = Need(SPOKE_KEY, CHOOSE, ask_spoke)
    contact = Need(CONTACT_KEY, CONTACT, ask_contact)
    phone = Need(PHONE_KEY, PHONE, ask_phone)
    text = filters.TEXT & ~filters.COMMAND
    windows = "|".join(CALL_WINDOWS)
    return Flow(
        name="support",
        open=open_support,
        commands=("support",),
        buttons=("^menu:support$", rf"^sup:s:{SPOKE_ID}$"),
        leave_question=N_(
            "We have not finished your request for support. Do you want to leave it? "
            "It will not be sent."
        ),
        steps={
            CHOOSE: step(
                ask_spoke,
                _on(ask_spoke, spoke_picked, rf"^sup:pick:{SPOKE_ID}$"),
                _on(ask_spoke, cancelled, "^sup:cancel$"),
            ),
            QUESTION: step(
                ask_question,
                _on(ask_question, button_answer, rf"^sup:(o:{SPOKE_ID}|yes|no|skip)$"),
                MessageHandler(text, typed_answer),
                *_leaving(ask_question, QUESTION),
                expects_text=True,
                needs=[spoke],
            ),
            CONTACT: step(
                ask_contact,
                _on(ask_contact, contact_chosen, "^sup:c:(message|phone)$"),
                *_leaving(ask_contact, CONTACT),
                needs=[spoke],
            ),
            PHONE: step(
                ask_phone,
                MessageHandler(text, phone_typed),
                *_leaving(ask_phone, PHONE),
                expects_text=True,
                needs=[spoke, contact],
            ),
            WINDOW: step(
                ask_window,
                _on(ask_window, window_chosen, rf"^sup:w:({windows})$"),
                *_leaving(ask_window, WINDOW),
                needs=[spoke, contact, phone],
            ),
            CONSENT: step(
                ask_consent,
                _on(ask_consent, send_request_now, "^sup:send$"),
                *_leaving(ask_consent, CONSENT),
                needs=[spoke, contact],
            ),
        },
    )
