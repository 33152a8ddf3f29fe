"""A family's own commands outside any conversation: menu, pause, resume, data export, erasure."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

from telegram import ChatMember, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot.context import GrowWellContext
from bot.help_text import help_text
from bot.keyboards import column
from bot.language import family_locale
from bot.menu import send_menu
from bot.steps import END, Handler, show_choice
from domain.families import erase_family, export_family, find_family, record_blocked
from locales import gettext_for


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
    locale = await family_locale(update, context)
    if not await _registered(update, context):
        await _reply(update, gettext_for(locale)("Please send /start to sign up first."))
        return
    await send_menu(update, context, locale)


async def _registered(update: Update, context: GrowWellContext) -> bool:
    assert update.effective_chat is not None
    async with context.services.sessions() as session:
        family = await find_family(session, update.effective_chat.id)
    return family is not None and family.registered_at is not None


async def _set_paused(update: Update, context: GrowWellContext, paused: bool) -> None:
    await _answer_query(update)
    assert update.effective_chat is not None
    async with context.services.sessions.begin() as session:
        family = await find_family(session, update.effective_chat.id)
        if family is None or family.registered_at is None:
            locale = await family_locale(update, context)
            await _reply(update, gettext_for(locale)("Please send /start to sign up first."))
            return
        family.paused = paused
        _ = gettext_for(family.locale)
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
    async with context.services.sessions() as session:
        family = await find_family(session, update.effective_chat.id)
        export: dict[str, Any] | None = await export_family(session, family) if family else None
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
    async with context.services.sessions() as session:
        family = await find_family(session, update.effective_chat.id)
    if family is None:
        context.drafts.clear()
        await _reply(
            update, _("I don't keep any details about you, so there is nothing to delete.")
        )
        return
    await context.bot.send_message(
        update.effective_chat.id,
        _(
            "Do you want me to delete all your details? "
            "I will stop all messages, and this cannot be undone."
        ),
        reply_markup=column(
            [(_("Yes, delete everything"), "del:yes"), (_("No, keep my details"), "del:no")]
        ),
    )


async def confirm_delete(update: Update, context: GrowWellContext) -> None:
    """Erase the family and every row about it."""
    assert update.effective_chat is not None
    locale = await family_locale(update, context)
    await show_choice(update)
    async with context.services.sessions.begin() as session:
        await erase_family(session, update.effective_chat.id)
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


async def keep_data(update: Update, context: GrowWellContext) -> None:
    """The family changed its mind about deleting."""
    await show_choice(update)
    _ = gettext_for(await family_locale(update, context))
    await _reply(update, _("OK, I have kept your details."))


async def end_and_ask_delete(update: Update, context: GrowWellContext) -> int:
    """/delete in the middle of a conversation: leave it, then ask as usual."""
    context.drafts.clear()
    await ask_delete(update, context)
    return END


async def membership_changed(update: Update, context: GrowWellContext) -> None:
    """The family blocked the bot (or came back): stop or allow sends at once."""
    change = update.my_chat_member
    if change is None or update.effective_chat is None:
        return
    if change.new_chat_member.status == ChatMember.BANNED:
        async with context.services.sessions.begin() as session:
            await record_blocked(session, update.effective_chat.id)


def handlers() -> list[Handler]:
    return [
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        CommandHandler("help", show_help),
        CommandHandler("menu", show_menu),
        CommandHandler("pause", pause),
        CommandHandler("resume", resume),
        CommandHandler("mydata", my_data),
        CommandHandler("delete", ask_delete),
        CallbackQueryHandler(confirm_delete, pattern="^del:yes$"),
        CallbackQueryHandler(keep_data, pattern="^del:no$"),
        CallbackQueryHandler(show_help, pattern="^menu:help$"),
        CallbackQueryHandler(pause, pattern="^menu:pause$"),
        CallbackQueryHandler(my_data, pattern="^menu:mydata$"),
    ]
