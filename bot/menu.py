"""The main menu: what a registered family can do, as buttons."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.context import GrowWellContext
from bot.keyboards import keyboard
from locales import gettext_for


def menu_markup(locale: str) -> InlineKeyboardMarkup:
    _ = gettext_for(locale)
    return keyboard(
        [
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
