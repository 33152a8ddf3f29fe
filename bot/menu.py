"""The main menu: what a registered family can do, as buttons; the way to it for the rest."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.context import GrowWellContext
from bot.keyboards import keyboard
from bot.language import app_locale, family_locale
from locales import gettext_for
from store.models import Family


def menu_markup(locale: str) -> InlineKeyboardMarkup:
    _ = gettext_for(locale)
    return keyboard(
        [
            [(_("🤝 Get support"), "menu:support"), (_("📨 My requests"), "menu:requests")],
            [(_("📚 Library"), "menu:library"), (_("🔔 My reminders"), "menu:reminders")],
            [(_("⚙️ Settings"), "menu:settings"), (_("⏸ Pause messages"), "menu:pause")],
            [(_("📄 My data"), "menu:mydata"), (_("❓ Help"), "menu:help")],
        ]
    )


async def send_menu(update: Update, context: GrowWellContext, locale: str) -> None:
    assert update.effective_chat is not None
    _ = gettext_for(locale)
    await context.bot.send_message(
        update.effective_chat.id,
        _("What would you like to do?"),
        reply_markup=menu_markup(locale),
        parse_mode=ParseMode.HTML,
    )


async def send_way_back(update: Update, context: GrowWellContext) -> None:
    """After something went wrong or ran out: the menu, or what to send to (carry on) sign up."""
    assert update.effective_chat is not None
    family = await context.family.find()
    if family is not None and family.registered_at is not None:
        await send_menu(update, context, family.locale)
        return
    _ = gettext_for(family.locale if family is not None else app_locale(update, context))
    text = (
        _("Send /start to carry on signing up where you left off.")
        if family is not None
        else _("Send /start to sign up.")
    )
    await context.bot.send_message(update.effective_chat.id, text)


async def registered_family(update: Update, context: GrowWellContext) -> Family | None:
    """The family, if it has signed up; otherwise None, and it is asked to sign up first."""
    family = await context.family.registered()
    if family is None:
        _ = gettext_for(await family_locale(update, context))
        assert update.effective_message is not None
        await update.effective_message.reply_text(_("Please send /start to sign up first."))
    return family
