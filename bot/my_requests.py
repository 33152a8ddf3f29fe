"""'My requests': a family's requests for support, what is happening with each, and what the
family can do about one (cancel it before the team has been in touch, or write to the team).

Callback data: `req:cancel:<ref>` asks to cancel, `req:yes:<ref>` / `req:no:<ref>` answer that;
`req:msg:<ref>` (here) and `req:reply:<ref>` (under a message from the team) open the one-step
conversation that takes a message for the team. `<ref>` is the request's reference.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import GrowWellContext
from bot.conversation import Flow, finish, go, step
from bot.keyboards import column
from bot.language import family_locale
from bot.menu import registered_family
from bot.steps import END, Handler, current_only, send_question, show_choice
from domain import referrals
from locales import N_, format_day, gettext_for
from resources.spokes import Spokes
from store.models import Referral, ReferralPriority, ReferralStatus

REFERENCE = r"GW-[0-9A-Z]{5}"
MESSAGE = "request.message"
MESSAGE_KEY = "req_ref"  # drafts: the reference of the request the message is for
SHOWN = 10  # the newest requests listed; older ones are in /mydata

STATUS_WORDS = {
    ReferralStatus.NEW: N_("Sent. Waiting for the team to pick it up"),
    ReferralStatus.CLAIMED: N_("A member of the team is looking after it"),
    ReferralStatus.CONTACTED: N_("The team has been in touch"),
    ReferralStatus.CLOSED: N_("Closed"),
    ReferralStatus.DECLINED: N_("The team could not take it"),
    ReferralStatus.CANCELLED: N_("Cancelled"),
}
CANCELLABLE = (ReferralStatus.NEW, ReferralStatus.CLAIMED)


def spoke_name(spokes: Spokes, spoke_id: str, locale: str) -> str:
    """A spoke removed from the file since shows as its id: the family still sees the request."""
    spoke = spokes.get(spoke_id)
    return spoke.name[locale] if spoke else spoke_id


def request_card(referral: Referral, context: GrowWellContext, locale: str) -> str:
    """One request as the family sees it: what, its reference, where it is, when it was made."""
    _ = gettext_for(locale)
    made = referral.created_at.astimezone(context.services.zone).date()
    lines = [
        f"<b>{escape(spoke_name(context.services.spokes, referral.spoke_id, locale))}</b>",
        _("Reference: {reference}").format(reference=referral.reference),
        _("Status: {status}").format(status=_(STATUS_WORDS[referral.status])),
        _("Asked on {date}").format(date=format_day(made, locale, weekday=False)),
    ]
    if referral.priority is ReferralPriority.URGENT and referral.status in referrals.OPEN:
        lines.append(_("Marked as urgent for the team"))
    return "\n".join(lines)


def request_buttons(referral: Referral, locale: str) -> list[tuple[str, str]]:
    """What the family can do with a request: write to the team while it is open, cancel it
    before anyone has been in touch."""
    _ = gettext_for(locale)
    buttons = []
    if referral.status in referrals.OPEN:
        buttons.append(
            (_("✉️ Message the team ({reference})").format(reference=referral.reference),
             f"req:msg:{referral.reference}")
        )  # fmt: skip
    if referral.status in CANCELLABLE:
        buttons.append(
            (_("✖️ Cancel {reference}").format(reference=referral.reference),
             f"req:cancel:{referral.reference}")
        )  # fmt: skip
    return buttons


async def send_request(
    update: Update, context: GrowWellContext, referral: Referral, locale: str, intro: str
) -> None:
    """A request on its own, under a line saying why it is shown."""
    assert update.effective_chat is not None
    buttons = request_buttons(referral, locale)
    await context.bot.send_message(
        update.effective_chat.id,
        f"{intro}\n\n{request_card(referral, context, locale)}",
        parse_mode=ParseMode.HTML,
        reply_markup=column(buttons) if buttons else None,
    )


async def show_requests(update: Update, context: GrowWellContext) -> None:
    """/requests or the menu: every request, newest first, with what can be done with each."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    family = await registered_family(update, context)
    if family is None:
        return
    async with context.family.editing() as edit:
        found = await referrals.requests_of_family(edit.session, edit.family.id)
    locale = family.locale
    _ = gettext_for(locale)
    assert update.effective_chat is not None
    if not found:
        await context.bot.send_message(
            update.effective_chat.id,
            _("You have not asked for support yet. When you do, you will see it here."),
            reply_markup=column([(_("🤝 Get support"), "menu:support")]),
        )
        return
    shown = found[:SHOWN]
    cards = [request_card(r, context, locale) for r in shown]
    buttons = [b for r in shown for b in request_buttons(r, locale)]
    await context.bot.send_message(
        update.effective_chat.id,
        "\n\n".join([_("<b>My requests</b>"), *cards]),
        parse_mode=ParseMode.HTML,
        reply_markup=column([*buttons, (_("🤝 Get support"), "menu:support")]),
    )


async def family_request(context: GrowWellContext, reference: str) -> Referral | None:
    """The family's own request with this reference (another family's is not found)."""
    async with context.family.editing() as edit:
        found = await referrals.requests_of_family(edit.session, edit.family.id)
    return next((r for r in found if r.reference == reference), None)


def _reference(update: Update) -> str:
    assert update.callback_query is not None and update.callback_query.data is not None
    return update.callback_query.data.rsplit(":", 1)[-1]


async def ask_cancel(update: Update, context: GrowWellContext) -> None:
    """Cancel pressed: ask first, naming the request."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    family = await registered_family(update, context)
    if family is None:
        return
    referral = await family_request(context, _reference(update))
    if referral is None:
        return
    _ = gettext_for(family.locale)
    assert update.effective_chat is not None
    name = (
        f"<b>{escape(spoke_name(context.services.spokes, referral.spoke_id, family.locale))}</b>"
    )
    await context.bot.send_message(
        update.effective_chat.id,
        _(
            "Do you want to cancel your request {reference} ({spoke})? "
            "The team will not contact you about it."
        ).format(reference=referral.reference, spoke=name),
        parse_mode=ParseMode.HTML,
        reply_markup=column(
            [
                (_("Yes, cancel it"), f"req:yes:{referral.reference}"),
                (_("No, keep it"), f"req:no:{referral.reference}"),
            ]
        ),
    )


async def cancel_confirmed(update: Update, context: GrowWellContext) -> None:
    await show_choice(update)
    family = await registered_family(update, context)
    if family is None:
        return
    referral = await family_request(context, _reference(update))
    if referral is None:
        return
    referral_id, reference = referral.id, referral.reference  # read afresh next
    async with context.family.editing() as edit:
        result = await referrals.cancel_by_family(
            edit.session, referral_id, edit.family, context.now()
        )
    _ = gettext_for(family.locale)
    assert update.effective_message is not None
    if isinstance(result, referrals.Done):
        text = _(
            "I have cancelled your request {reference}. You can ask for support again at any time."
        ).format(reference=reference)
    else:
        text = _(
            "The team has already been in touch about {reference}, so I can't cancel it here. "
            "You can send them a message instead."
        ).format(reference=reference)
    await update.effective_message.reply_text(text)


async def cancel_dropped(update: Update, context: GrowWellContext) -> None:
    await show_choice(update)
    _ = gettext_for(await family_locale(update, context))
    assert update.effective_message is not None
    await update.effective_message.reply_text(_("OK, your request stays as it is."))


# --- a message to the team --------------------------------------------------------------------


def _cancel_markup(locale: str) -> InlineKeyboardMarkup:
    _ = gettext_for(locale)
    return column([(_("✖️ Cancel"), "reqm:cancel")])


async def ask_message(update: Update, context: GrowWellContext) -> None:
    _ = gettext_for(locale := await family_locale(update, context))
    await send_question(
        update,
        context,
        _("Please type your message for the team about {reference}.").format(
            reference=context.drafts[MESSAGE_KEY]
        ),
        _cancel_markup(locale),
    )


async def _closed(update: Update, context: GrowWellContext, reference: str) -> None:
    _ = gettext_for(await family_locale(update, context))
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _(
            "Your request {reference} is closed now, so I can't pass on messages about it. "
            "You can ask for support again from the menu."
        ).format(reference=reference)
    )


async def open_message(update: Update, context: GrowWellContext) -> str | int:
    """'Message the team' or 'Reply': the request must be the family's and still open."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    if await registered_family(update, context) is None:
        return END
    referral = await family_request(context, _reference(update))
    if referral is None:
        return END
    if referral.status not in referrals.OPEN:
        await _closed(update, context, referral.reference)
        return END
    context.drafts[MESSAGE_KEY] = referral.reference
    return await go(update, context, MESSAGE, ask_message)


async def message_typed(update: Update, context: GrowWellContext) -> str | int | None:
    message = update.message
    assert message is not None and message.text is not None
    reference = context.drafts[MESSAGE_KEY]
    _ = gettext_for(await family_locale(update, context))
    text = message.text.strip()
    if len(text) > referrals.MAX_MESSAGE_CHARS:
        await message.reply_text(
            _("That is a bit long. Please use {count} letters or fewer.").format(
                count=referrals.MAX_MESSAGE_CHARS
            )
        )
        await ask_message(update, context)
        return None
    emergency = context.services.safety.assess(text).emergency
    referral = await family_request(context, reference)
    if referral is None:  # gone meanwhile (erased elsewhere): nothing to add it to
        return await finish(update, context)
    referral_id = referral.id  # the next transaction reads the request afresh
    async with context.family.editing() as edit:
        result = await referrals.add_family_message(
            edit.session, referral_id, edit.family, text, context.now()
        )
        if isinstance(result, referrals.Done) and emergency is not None:
            await referrals.mark_urgent(
                edit.session, referral_id, urgent_reason(emergency.value), context.now()
            )
    await finish(update, context)
    if not isinstance(result, referrals.Done):
        await _closed(update, context, reference)
        return END
    reply = _("Thank you. I have passed your message to the team ({reference}).").format(
        reference=reference
    )
    if emergency is not None:
        reply += "\n\n" + _("I have marked your request as urgent for the team.")
    await message.reply_text(reply)
    return END


def urgent_reason(emergency: str) -> str:
    """What staff read on an urgent request: why, never the family's own words."""
    return f"emergency words in the family's answer ({emergency})"


async def message_cancelled(update: Update, context: GrowWellContext) -> int:
    await show_choice(update)
    await finish(update, context)
    _ = gettext_for(await family_locale(update, context))
    assert update.effective_message is not None
    await update.effective_message.reply_text(_("OK, I have not sent anything."))
    return END


def message_flow() -> Flow:
    return Flow(
        name="request_message",
        open=open_message,
        commands=(),
        buttons=(rf"^req:(msg|reply):{REFERENCE}$",),
        leave_question=N_(
            "We have not finished your message to the team. Do you want to leave it? "
            "It will not be sent."
        ),
        steps={
            MESSAGE: step(
                ask_message,
                MessageHandler(filters.TEXT & ~filters.COMMAND, message_typed),
                CallbackQueryHandler(
                    current_only(ask_message, message_cancelled), pattern="^reqm:cancel$"
                ),
                expects_text=True,
            )
        },
    )


def handlers() -> list[Handler]:
    return [
        CommandHandler("requests", show_requests),
        CallbackQueryHandler(show_requests, pattern="^menu:requests$"),
        CallbackQueryHandler(ask_cancel, pattern=rf"^req:cancel:{REFERENCE}$"),
        CallbackQueryHandler(cancel_confirmed, pattern=rf"^req:yes:{REFERENCE}$"),
        CallbackQueryHandler(cancel_dropped, pattern=rf"^req:no:{REFERENCE}$"),
    ]
