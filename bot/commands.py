"""The command list Telegram shows in the chat menu, registered in every supported language."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand
from telegram.ext import Application

from locales import N_, SUPPORTED_LOCALES, gettext_for

COMMANDS = (
    ("start", N_("Sign up, or open the menu")),
    ("menu", N_("Open the main menu")),
    ("library", N_("Trusted answers for parents")),
    ("reminders", N_("What is coming up, and your tips")),
    ("appointment", N_("Add an appointment to be reminded of")),
    ("support", N_("Ask the health visiting team for support")),
    ("requests", N_("My requests for support")),
    ("settings", N_("Change your details")),
    ("pause", N_("Pause messages")),
    ("resume", N_("Start messages again")),
    ("mydata", N_("See what I keep about you")),
    ("delete", N_("Delete all your details")),
    ("help", N_("Help, and what to do in an emergency")),
)


def commands_for(locale: str) -> list[BotCommand]:
    _ = gettext_for(locale)
    return [BotCommand(name, _(description)) for name, description in COMMANDS]


async def register_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """English is also the default for any language we do not support."""
    await application.bot.set_my_commands(commands_for("en"))
    for locale in SUPPORTED_LOCALES:
        await application.bot.set_my_commands(commands_for(locale), language_code=locale)
