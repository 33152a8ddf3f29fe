"""A family's own commands outside any conversation: menu, pause, resume, data export, erasure.

/delete asks first. Its buttons carry a one-time code kept with the question, so only a tap on
the question asked last (and within the conversation timeout) erases anything.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from html import escape
from io import BytesIO

from telegram import ChatMember, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot.context import ERASURE_KEY, GrowWellContext
from bot.help_text import help_text
from bot.keyboards import column
from bot.language import family_locale
from bot.menu import registered_family, send_menu
from bot.steps import END, Handler, show_choice
from domain import referrals
from locales import gettext_for

ERASURE_CODE = r"[A-Za-z0-9_-]{8}"  # secrets.token_urlsafe(6)
ERASE = rf"^del:yes:{ERASURE_CODE}$"
KEEP = rf"^del:no:{ERASURE_CODE}$"


async def _reply(update: Update, text: str) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)


async def _answer_query(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


async def show_help(update: Update, context: GrowWellContext) -> None:
    """/help: what the bot does, its commands, and that it is not watched around the clock."""
    await _answer_query(update)
    await _reply(update, help_text(await family_locale(update, context)))


async def show_menu(update: Update, context: GrowWellContext) -> None:
    """/menu: the main menu, or a nudge to sign up first."""
    family = await registered_family(update, context)
    if family is not None:
        await send_menu(update, context, family.locale)


async def _set_paused(update: Update, context: GrowWellContext, paused: bool) -> None:
    await _answer_query(update)
    if await registered_family(update, context) is None:
        return
    async with context.family.editing() as edit:
        edit.family.paused = paused
        _ = gettext_for(edit.family.locale)
    if paused:
        text = _("I have paused your messages. Send /resume when you would like them again.")
    else:
        text = _("Welcome back! Your messages will start again.")
    await _reply(update, text)


async def pause(update: Update, context: GrowWellContext) -> None:
    """/pause: no reminders until the family resumes."""
    await _set_paused(update, context, True)


async def resume(update: Update, context: GrowWellContext) -> None:
    """/resume: reminders start again."""
    await _set_paused(update, context, False)


async def my_data(update: Update, context: GrowWellContext) -> None:
    """/mydata: everything stored about the family, as a JSON file in the chat."""
    await _answer_query(update)
    assert update.effective_chat is not None
    export = await context.family.export()
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    if export is None:
        await _reply(update, _("I don't keep any details about you."))
        return
    document = BytesIO(json.dumps(export, indent=2, ensure_ascii=False).encode())
    await context.bot.send_document(
        update.effective_chat.id,
        document,
        filename="grow-well-my-data.json",
        caption=_("Here is everything I keep about you."),
    )


async def ask_delete(update: Update, context: GrowWellContext) -> None:
    """/delete: ask before erasing; nothing is deleted by one tap on a stray button."""
    await _answer_query(update)
    assert update.effective_chat is not None
    locale = await family_locale(update, context)
    _ = gettext_for(locale)
    if await context.family.find() is None:
        context.drafts.pop(ERASURE_KEY, None)
        await _reply(
            update, _("I don't keep any details about you, so there is nothing to delete.")
        )
        return
    code = secrets.token_urlsafe(6)
    context.drafts[ERASURE_KEY] = {"code": code, "at": context.now().isoformat()}
    await context.bot.send_message(
        update.effective_chat.id,
        _(
            "Do you want me to delete all your details? "
            "I will stop all messages, and this cannot be undone."
        ),
        reply_markup=column(
            [
                (_("Yes, delete everything"), f"del:yes:{code}"),
                (_("No, keep my details"), f"del:no:{code}"),
            ]
        ),
    )


def _pressed_code_is_current(update: Update, context: GrowWellContext) -> bool:
    """The button carries the code of the /delete question asked last, and it is still fresh."""
    query = update.callback_query
    asked = context.drafts.get(ERASURE_KEY)
    if query is None or query.data is None or not isinstance(asked, dict):
        return False
    age = context.now() - datetime.fromisoformat(asked["at"])
    pressed = query.data.rsplit(":", 1)[-1]
    return secrets.compare_digest(pressed, asked["code"]) and (
        age <= context.services.rules.conversations.timeout
    )


async def erase_if_confirmed(update: Update, context: GrowWellContext) -> bool:
    """Erase the family if the tap answers the /delete question asked last; True if erased."""
    query = update.callback_query
    assert query is not None
    if not _pressed_code_is_current(update, context):
        _ = gettext_for(await family_locale(update, context))
        await query.answer(_("That button is from an earlier message."))
        return False
    context.drafts.pop(ERASURE_KEY)
    await _erase(update, context)
    return True


async def confirm_delete(update: Update, context: GrowWellContext) -> None:
    """'Yes, delete everything' on the question asked last; any other such tap is refused."""
    await erase_if_confirmed(update, context)


async def _erase(update: Update, context: GrowWellContext) -> None:
    """Erase the family and every row about it."""
    assert update.effective_chat is not None
    locale = await family_locale(update, context)
    await show_choice(update)
    try:
        await context.family.erase()
    except referrals.ErasureRefused as refused:
        await _erasure_waits(update, context, refused.held, locale)
        return
    context.drafts.clear()
    context.application.drop_chat_data(update.effective_chat.id)
    _ = gettext_for(locale)
    await _reply(
        update,
        _(
            "All your details have been deleted. Thank you for using Grow Well. "
            "If you want to come back, just send /start."
        ),
    )


async def _erasure_waits(
    update: Update, context: GrowWellContext, held: list[referrals.HeldRequest], locale: str
) -> None:
    """Staff are still helping with a request: nothing is deleted yet. Each held request tells
    its team (its action log and group post), and the family is told which and why."""
    async with context.family.editing() as edit:
        for request in held:
            await referrals.note_erasure_asked(edit.session, request.referral_id, context.now())
    _ = gettext_for(locale)
    spokes = context.services.spokes
    names = "\n".join(
        f"• {request.reference} ({escape(spoke.name[locale] if spoke else request.spoke_id)})"
        for request, spoke in ((r, spokes.get(r.spoke_id)) for r in held)
    )
    await _reply(
        update,
        _(
            "I can't delete your details yet, because the team is still helping you with:\n"
            "{requests}\n\n"
            "They need your details to finish this. I have told them that you asked me to "
            "delete everything, and they will talk to you about it. Nothing has been deleted, "
            "and your messages carry on as before."
        ).format(requests=names),
    )


async def keep_data(update: Update, context: GrowWellContext) -> None:
    """The family changed its mind about deleting."""
    if _pressed_code_is_current(update, context):
        context.drafts.pop(ERASURE_KEY)
    await show_choice(update)
    _ = gettext_for(await family_locale(update, context))
    await _reply(update, _("OK, I have kept your details."))


async def end_and_ask_delete(update: Update, context: GrowWellContext) -> int:
    """/delete in the middle of a conversation: leave it, then ask as usual."""
    context.forget_answers()
    await ask_delete(update, context)
    return END


async def membership_changed(update: Update, context: GrowWellContext) -> None:
    """The family blocked the bot (or came back): stop or allow sends at once."""
    change = update.my_chat_member
    if change is None or update.effective_chat is None:
        return
    if change.new_chat_member.status == ChatMember.BANNED:
        await context.family.record_blocked()


def handlers() -> list[Handler]:
    return [
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        CommandHandler("help", show_help),
        CommandHandler("menu", show_menu),
        CommandHandler("pause", pause),
        CommandHandler("resume", resume),
        CommandHandler("mydata", my_data),
        CommandHandler("delete", ask_delete),
        CallbackQueryHandler(confirm_delete, pattern=ERASE),
        CallbackQueryHandler(keep_data, pattern=KEEP),
        CallbackQueryHandler(show_help, pattern="^menu:help$"),
        CallbackQueryHandler(pause, pattern="^menu:pause$"),
        CallbackQueryHandler(my_data, pattern="^menu:mydata$"),
    ]
