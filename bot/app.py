"""The composition root: builds the PTB application and wires every conversation into it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot import (
    account,
    fallbacks,
    library,
    onboarding,
    reminders,
    safety,
    settings_conversation,
)
from bot.aiohttp_request import AiohttpRequest
from bot.commands import register_commands
from bot.context import GrowWellContext, Services
from bot.language import family_locale
from bot.persistence import DatabasePersistence
from config.settings import Settings
from domain.families import record_seen
from locales import gettext_for
from resources.bundle import Resources, load_resources
from resources.library_search import LibrarySearch
from scheduler.jobs import schedule_jobs

log = logging.getLogger(__name__)

SAFETY_GROUP, MAIN_GROUP, FLUSH_GROUP = -1, 0, 100

GrowWellApplication = Application[Any, GrowWellContext, Any, Any, Any, Any]


async def flush_after_update(update: Update, context: GrowWellContext) -> None:
    """Write conversation state through at once, so a crash or kill loses no answer; note that
    the family is active, so reminders wait until it is idle."""
    await context.application.update_persistence()
    chat = update.effective_chat
    if chat is not None and (update.message is not None or update.callback_query is not None):
        async with context.services.sessions.begin() as session:
            await record_seen(session, chat.id, context.now())


async def on_error(update: object, context: GrowWellContext) -> None:
    """Log the fault (never the message text) and tell the family kindly."""
    log.error("handler failed: %s", type(context.error).__name__, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            _ = gettext_for(await family_locale(update, context))
            await context.bot.send_message(
                update.effective_chat.id,
                _("Sorry, something went wrong on my side. Please try again in a moment."),
            )
        except Exception:  # the fault may be the network itself; nothing more to do
            log.warning("could not tell the family about the error")


@cache
def shipped_resources() -> Resources:
    """Loaded once per process (tests build many applications)."""
    return load_resources()


def build_application(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    clock: Callable[[], datetime] | None = None,
    resources: Resources | None = None,
    run_jobs: bool = True,
) -> GrowWellApplication:
    """The whole bot. Tests pass a clock, and switch the periodic jobs off to drive them."""
    if settings.token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is needed to build the application")
    data = resources or shipped_resources()
    application: GrowWellApplication = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.removesuffix("/bot") + "/file/bot")
        .request(AiohttpRequest(connection_pool_size=64))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .persistence(DatabasePersistence(sessions))
        .context_types(ContextTypes(context=GrowWellContext))
        # One message every 1/29 s instead of bursts of 30: Telegram's 30/s is per second, and
        # bursts drew 429s (bench/rate_limited.py).
        .rate_limiter(
            AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 29, max_retries=2)
        )
        .post_init(register_commands)
        .build()
    )
    application.bot_data["services"] = Services(
        sessions=sessions,
        zone=settings.zone,
        clock=clock or (lambda: datetime.now(UTC)),
        areas=data.areas,
        rules=data.rules,
        plan=data.plan,
        library=data.library,
        search=LibrarySearch(data.library),
        article_ids=frozenset(data.library.ids),
        default_locale=settings.default_locale,
    )
    application.add_handlers(safety.handlers(), group=SAFETY_GROUP)
    application.add_handlers(
        [
            onboarding.conversation(),
            settings_conversation.conversation(),
            *reminders.handlers(),
            *library.handlers(),
            *account.handlers(),
            *fallbacks.handlers(),
        ],
        group=MAIN_GROUP,
    )
    application.add_handler(TypeHandler(Update, flush_after_update), group=FLUSH_GROUP)
    application.add_error_handler(on_error)
    schedule_jobs(application, run=run_jobs)
    return application
