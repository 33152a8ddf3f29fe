"""The staff side in Telegram: linking an account (`/staff <code>`), the staff menu and queue
lists, the buttons on each team group post, and writing to a family by replying to a request.

Registered in a handler group before every family handler (`STAFF_GROUP`). For a linked staff
member's private chat, and for the queue's buttons, it stops further handling
(ApplicationHandlerStop), so staff never see the family menu or the family's safety replies;
families' updates pass through untouched. Every change goes through domain/referrals.py, which
decides and refuses; this module turns the result into words.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import GrowWellContext
from domain import referrals, staff
from domain.referrals import ActionResult, Done, Lost, QueueView, Refusal, Refused
from domain.staff import LinkRefused, Permission, staff_can_act
from locales import gettext_for, normalise_locale
from scheduler.jobs import STAFF_QUEUE_KEY
from scheduler.staff_queue import StaffQueue
from scheduler.staff_texts import (
    ACTION_PATTERN,
    CHOICE_PATTERN,
    action_data,
    choices_keyboard,
    post_keyboard,
)
from store.models import Referral, StaffMember

STAFF_GROUP = -3  # before the safety check (-1) and every family handler (0)
MENU_PATTERN = r"^sm:(open|unassigned|mine|overdue)$"
REFERENCE = re.compile(r"\bGW-[0-9A-Z]{5}\b")
LISTED = 20  # requests listed per queue view; the rest are counted


def _locale(update: Update) -> str:
    """Staff read their Telegram app's language if we have it, else English."""
    user = update.effective_user
    return normalise_locale(user.language_code if user else None, "en")


def _queue(context: GrowWellContext) -> StaffQueue:
    desk: StaffQueue = context.application.bot_data[STAFF_QUEUE_KEY]
    return desk


async def _member(context: GrowWellContext, user_id: int) -> StaffMember | None:
    async with context.services.sessions() as session:
        return await staff.staff_by_telegram(session, user_id)


# ------------------------------------------------------------------------------- linking


def _link_refusal(reason: LinkRefused, locale: str) -> str:
    _ = gettext_for(locale)
    return {
        LinkRefused.UNKNOWN_CODE: _(
            "That code does not work: it may be mistyped or already used. "
            "Ask your admin for a new one."
        ),
        LinkRefused.EXPIRED: _(
            "That code has expired (codes last 24 hours). Ask your admin for a new one."
        ),
        LinkRefused.DISABLED: _("That staff account is switched off. Please talk to your admin."),
        LinkRefused.ACCOUNT_TAKEN: _(
            "This Telegram account is already linked to another staff member."
        ),
    }[reason]


async def link(update: Update, context: GrowWellContext) -> None:
    """`/staff <code>`: link this Telegram account to a staff account, in a private chat only."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    locale = _locale(update)
    _ = gettext_for(locale)
    if message.chat.type != ChatType.PRIVATE:
        await message.reply_text(
            _(
                "Please send /staff with your code to me in a private chat, never in a group. "
                "Anyone here may have seen this code: ask your admin for a new one."
            )
        )
        raise ApplicationHandlerStop
    code = context.args[0] if context.args else ""
    if not code:
        await message.reply_text(_("Send /staff followed by the code your admin gave you."))
        raise ApplicationHandlerStop
    async with context.services.sessions.begin() as session:
        linked = await staff.link_telegram(session, code, user.id, context.now())
    if isinstance(linked, LinkRefused):
        await message.reply_text(_link_refusal(linked, locale))
        raise ApplicationHandlerStop
    await message.reply_text(
        _("Welcome, %(name)s. Your account is linked: this chat is now your staff desk.")
        % {"name": linked.name}
    )
    await send_staff_menu(update, context, linked)
    raise ApplicationHandlerStop


# ---------------------------------------------------------------------------- staff menu


def staff_menu_markup(locale: str) -> InlineKeyboardMarkup:
    _ = gettext_for(locale)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("📋 Open requests"), callback_data="sm:open"),
                InlineKeyboardButton(_("🆕 Unassigned"), callback_data="sm:unassigned"),
            ],
            [
                InlineKeyboardButton(_("🙋 Mine"), callback_data="sm:mine"),
                InlineKeyboardButton(_("⏰ Overdue"), callback_data="sm:overdue"),
            ],
        ]
    )


async def send_staff_menu(update: Update, context: GrowWellContext, member: StaffMember) -> None:
    assert update.effective_chat is not None
    locale = _locale(update)
    _ = gettext_for(locale)
    team = context.services.spokes.teams.get(member.team_id or "")
    where = team.name if team is not None else _("all teams")
    await context.bot.send_message(
        update.effective_chat.id,
        _("Staff desk: %(name)s, %(team)s. Which requests would you like to see?")
        % {"name": member.name, "team": where},
        reply_markup=staff_menu_markup(locale),
    )


def _queue_line(referral: Referral, context: GrowWellContext, locale: str) -> str:
    _ = gettext_for(locale)
    spoke = context.services.spokes.get(referral.spoke_id)
    urgent = "🔴 " if referral.priority == "urgent" else ""
    due = referral.due_by.astimezone(context.services.zone).strftime("%d %b %H:%M")
    return _("%(urgent)s%(reference)s · %(spoke)s · %(status)s · due %(due)s") % {
        "urgent": urgent,
        "reference": referral.reference,
        "spoke": spoke.name[locale] if spoke else referral.spoke_id,
        "status": referral.status.value,
        "due": due,
    }


async def show_queue(update: Update, context: GrowWellContext) -> None:
    """One of the staff menu's lists, each request with its Open button."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    locale = _locale(update)
    _ = gettext_for(locale)
    view = QueueView(query.data.split(":", 1)[1])
    async with context.services.sessions() as session:
        member = await staff.staff_by_telegram(session, update.effective_user.id)
        if member is None:
            await query.answer(_refusal_text(Refused(Refusal.NOT_STAFF), context, locale), True)
            raise ApplicationHandlerStop
        found = await referrals.queue(session, member, view, context.now())
    await query.answer()
    titles = {
        QueueView.OPEN: _("Open requests"),
        QueueView.UNASSIGNED: _("Unassigned requests"),
        QueueView.MINE: _("Your requests"),
        QueueView.OVERDUE: _("Overdue requests"),
    }
    if not found:
        text = titles[view] + ": " + _("none right now.")
        markup = staff_menu_markup(locale)
    else:
        lines = [_queue_line(r, context, locale) for r in found[:LISTED]]
        if len(found) > LISTED:
            lines.append(_("…and %(n)d more") % {"n": len(found) - LISTED})
        text = f"{titles[view]} ({len(found)}):\n" + "\n".join(lines)
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("📂 Open %(reference)s") % {"reference": r.reference},
                        callback_data=action_data("open", r.id),
                    )
                ]
                for r in found[:LISTED]
            ]
        )
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    raise ApplicationHandlerStop


# ------------------------------------------------------------------------- queue buttons


def _refusal_text(result: Refused | Lost, context: GrowWellContext, locale: str) -> str:
    _ = gettext_for(locale)
    if isinstance(result, Lost):
        if result.holder is None:
            return _("Too late: this request was closed meanwhile.")
        return _("This request is held by %(name)s.") % {"name": result.holder.name}
    reason = result.reason
    if reason is Refusal.NOT_STAFF:
        return _("Link your account first: send /staff <code> to me privately.")
    if reason is Refusal.DISABLED:
        return _("Your staff account is switched off. Please talk to your admin.")
    if reason is Refusal.OTHER_TEAM:
        team = None
        if result.referral is not None:
            team = context.services.spokes.teams.get(result.referral.team_id)
        return _("Only the %(team)s team can act on this.") % {
            "team": team.name if team else result.referral.team_id if result.referral else "?"
        }
    if reason is Refusal.NOT_HOLDER:
        name = result.holder.name if result.holder is not None else _("someone else")
        return _("This request is held by %(name)s.") % {"name": name}
    if reason is Refusal.WRONG_STATUS and result.referral is not None:
        return _("That cannot be done now: this request is %(status)s.") % {
            "status": result.referral.status.value
        }
    if reason is Refusal.NOT_FOUND:
        return _("This request no longer exists.")
    if reason is Refusal.EMPTY_TEXT:
        return _("There were no words to send.")
    return _("That cannot be done now.")


def _done_text(action: str, referral: Referral, locale: str) -> str:
    _ = gettext_for(locale)
    words = {
        "claim": _("%(reference)s is yours. Press Open for the details."),
        "contacted": _("%(reference)s: first contact recorded."),
        "outcome": _("%(reference)s is closed."),
        "reason": _("%(reference)s is declined."),
    }
    return words[action] % {"reference": referral.reference}


async def _act(
    action: str, referral_id: int, choice: str | None, member: StaffMember | None,
    context: GrowWellContext,
) -> ActionResult:  # fmt: skip
    """One staff action in one transaction; the domain decides and writes the log."""
    spokes, now = context.services.spokes, context.now()
    async with context.services.sessions.begin() as session:
        if action == "claim":
            return await referrals.claim(session, referral_id, member, now)
        if action == "contacted":
            return await referrals.mark_contacted(session, referral_id, member, now)
        if action == "outcome":
            return await referrals.close(session, referral_id, member, choice or "", spokes, now)
        return await referrals.decline(session, referral_id, member, choice or "", spokes, now)


async def queue_action(update: Update, context: GrowWellContext) -> None:
    """Claim, Contacted, Close, Decline, Back and Open on a group post (or a queue list)."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    match = re.fullmatch(ACTION_PATTERN, query.data)
    assert match is not None
    action, referral_id = match.group(1), int(match.group(2))
    locale = _locale(update)
    member = await _member(context, update.effective_user.id)
    if action == "open":
        await _open(update, context, referral_id, member, locale)
    elif action in ("close", "decline", "back"):
        await _choose(update, context, action, referral_id, member, locale)
    else:
        result = await _act(action, referral_id, None, member, context)
        await _answer(update, context, action, referral_id, result, locale)
    raise ApplicationHandlerStop


async def queue_choice(update: Update, context: GrowWellContext) -> None:
    """An outcome (Close) or a reason (Decline) chosen."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    match = re.fullmatch(CHOICE_PATTERN, query.data)
    assert match is not None
    action, referral_id, choice = match.group(1), int(match.group(2)), match.group(3)
    locale = _locale(update)
    member = await _member(context, update.effective_user.id)
    result = await _act(action, referral_id, choice, member, context)
    await _answer(update, context, action, referral_id, result, locale)
    raise ApplicationHandlerStop


async def _answer(
    update: Update, context: GrowWellContext, action: str, referral_id: int,
    result: ActionResult, locale: str,
) -> None:  # fmt: skip
    """Tell the presser what happened; bring the group post up to date at once."""
    query = update.callback_query
    assert query is not None
    if isinstance(result, Done):
        await query.answer(_done_text(action, result.referral, locale))
    else:
        await query.answer(_refusal_text(result, context, locale), show_alert=True)
    await _queue(context).sync_posts(referral_id)


async def _choose(
    update: Update, context: GrowWellContext, action: str, referral_id: int,
    member: StaffMember | None, locale: str,
) -> None:  # fmt: skip
    """Close and Decline first offer their choices on the same message; Back puts the post's
    buttons back. Only members who may act on the request get the choices."""
    query = update.callback_query
    assert query is not None and query.message is not None
    async with context.services.sessions() as session:
        referral = await session.get(Referral, referral_id)
    if referral is None:
        await query.answer(_refusal_text(Refused(Refusal.NOT_FOUND), context, locale), True)
        return
    permission = staff_can_act(member, referral)
    if permission is not Permission.ALLOWED:
        refusal = Refusal.NOT_STAFF if member is None else Refusal(permission.value)
        await query.answer(_refusal_text(Refused(refusal, referral), context, locale), True)
        return
    spokes = context.services.spokes
    group_locale = "en"
    if action == "back" or referral.status not in referrals.OPEN:
        markup = post_keyboard(referral, group_locale)
    elif action == "close":
        choices = [(o.id, o.label[group_locale]) for o in spokes.outcomes]
        markup = choices_keyboard(referral.id, "outcome", choices, group_locale)
    else:
        choices = [(r.id, r.label[group_locale]) for r in spokes.decline_reasons]
        markup = choices_keyboard(referral.id, "reason", choices, group_locale)
    await query.answer()
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def _open(
    update: Update, context: GrowWellContext, referral_id: int, member: StaffMember | None,
    locale: str,
) -> None:  # fmt: skip
    """The details, privately to the presser; the view is logged only if they got them."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    _ = gettext_for(locale)
    try:
        async with context.services.sessions.begin() as session:
            result = await referrals.record_view(session, referral_id, member, context.now())
            if isinstance(result, Done):
                details = await _queue(context).details(session, result.referral, locale)
                # Inside the transaction: if it cannot be sent, the view is not logged.
                await context.bot.send_message(update.effective_user.id, details)
    except (Forbidden, BadRequest):
        await query.answer(
            _("I cannot write to you privately yet: open a private chat with me, send /start, "
              "then press Open again."),
            show_alert=True,
        )  # fmt: skip
        return
    if isinstance(result, Done):
        in_private = query.message is not None and query.message.chat.type == ChatType.PRIVATE
        await query.answer(None if in_private else _("Details sent to you privately."))
    else:
        await query.answer(_refusal_text(result, context, locale), show_alert=True)


# -------------------------------------------------------------------- staff private chat


async def _referral_replied_to(update: Update, context: GrowWellContext) -> int | None:
    """The request a reply is about: the reference in the bot message replied to."""
    message = update.effective_message
    assert message is not None
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    found = REFERENCE.search(replied.text or "")
    if found is None:
        return None
    reference = referrals.normalise_reference(found.group(0))
    async with context.services.sessions() as session:
        return await session.scalar(select(Referral.id).where(Referral.reference == reference))


async def _send_to_family(
    update: Update, context: GrowWellContext, member: StaffMember, referral_id: int,
    locale: str,
) -> None:  # fmt: skip
    message = update.effective_message
    assert message is not None
    _ = gettext_for(locale)
    if not message.text:
        await message.reply_text(_("Only text can be passed to the family."))
        return
    async with context.services.sessions.begin() as session:
        result = await referrals.add_staff_message(
            session, referral_id, member, message.text, context.now()
        )
    if isinstance(result, Done):
        await message.reply_text(
            _("✉️ Sent to the family of %(reference)s.") % {"reference": result.referral.reference}
        )
    else:
        await message.reply_text(_refusal_text(result, context, locale))


async def staff_private_message(update: Update, context: GrowWellContext) -> None:
    """A linked member's private chat is their staff desk: /start and /menu show the staff
    menu; a reply to a request's message goes to the family. Families carry on as before."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    member = await _member(context, user.id)
    if member is None:
        return  # a family: the family handlers answer
    locale = _locale(update)
    _ = gettext_for(locale)
    referral_id = await _referral_replied_to(update, context)
    if referral_id is not None:
        await _send_to_family(update, context, member, referral_id, locale)
    elif message.text and message.text.split()[0].split("@")[0] in ("/start", "/menu"):
        await send_staff_menu(update, context, member)
    else:
        await message.reply_text(
            _("To write to a family, reply to the message about their request "
              "(the one that starts with its reference).")
        )  # fmt: skip
        await send_staff_menu(update, context, member)
    raise ApplicationHandlerStop


async def quiet_in_groups(update: Update, context: GrowWellContext) -> None:
    """The team talks among itself in its group: the bot does not answer there."""
    raise ApplicationHandlerStop


def handlers() -> list[BaseHandler[Update, GrowWellContext, None]]:
    return [
        CommandHandler("staff", link),
        CallbackQueryHandler(queue_action, pattern=ACTION_PATTERN),
        CallbackQueryHandler(queue_choice, pattern=CHOICE_PATTERN),
        CallbackQueryHandler(show_queue, pattern=MENU_PATTERN),
        MessageHandler(filters.ChatType.GROUPS, quiet_in_groups),
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, staff_private_message
        ),
    ]
