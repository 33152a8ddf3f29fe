"""Polling mode: the bot asks Telegram (or any Bot API server) for updates. Needs only a token."""

from __future__ import annotations

import logging

from telegram import Update

from bot.app import build_application
from config.settings import Settings
from resources.bundle import Resources
from store.engine import create_engine, session_factory
from store.migrate import upgrade_in_child

log = logging.getLogger(__name__)


def run_polling(settings: Settings, resources: Resources) -> None:
    """Migrate the database, then poll until interrupted (Ctrl+C or SIGTERM)."""
    upgrade_in_child(settings.database_url)
    engine = create_engine(settings.database_url)
    application = build_application(settings, session_factory(engine), resources=resources)

    async def dispose(_: object) -> None:
        await engine.dispose()

    application.post_shutdown = dispose
    log.info("Grow Well is running in polling mode against %s", _host(settings))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


def _host(settings: Settings) -> str:
    """The Bot API host only: the URL never carries the token, but keep logs minimal anyway."""
    return settings.telegram_api_base_url.split("/")[2]
