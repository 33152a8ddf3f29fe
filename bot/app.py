"""The composition root: builds the PTB application and wires every conversation into it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot import (
    account,
    campaign_opt_out,
    fallbacks,
    library,
    my_requests,
    onboarding,
    reminders,
    safety,
    screening,
    settings_conversation,
    staff,
    support,
)
from bot.aiohttp_request import AiohttpRequest
from bot.commands import register_commands
from bot.context import GrowWellContext, Services
from bot.conversation import conversation
from bot.errors import on_error
from bot.persistence import DatabasePersistence
from bot.rate_limit import RepliesFirst
from bot.update_order import ChatOrderedUpdates
from config.settings import Settings
from domain.referrals import calendar_for
from domain.safety import EmergencyDetector
from resources.bundle import Resources, load_resources
from resources.library_search import LibrarySearch
from scheduler.jobs import schedule_jobs

SAFETY_GROUP, MAIN_GROUP, FLUSH_GROUP = -1, 0, 100

GrowWellApplication = Application[Any, GrowWellContext, Any, Any, Any, Any]


async def flush_after_update(update: Update, context: GrowWellContext) -> None:
    """Write conversation state through at once, so a crash or kill loses no answer; note that
    the family is active, so reminders wait until it is idle.

    PTB marks a chat's data for saving only after the last handler group, so it is marked here
    first: otherwise this update's answers would be written with the next update.
    """
    chat = update.effective_chat
    if chat is not None:
        context.application.mark_data_for_update_persistence(chat_ids=chat.id)
    await context.application.update_persistence()
    if chat is not None and (update.message is not None or update.callback_query is not None):
        await context.family.record_seen(context.now())


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
    clock = clock or (lambda: datetime.now(UTC))
    # Families are answered at the same time, each family's updates in order; a reply never
    # waits behind the dispatcher's scheduled sends (bench/concurrent_replies.py).
    updates = ChatOrderedUpdates()
    application: GrowWellApplication = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.removesuffix("/bot") + "/file/bot")
        .request(AiohttpRequest(connection_pool_size=64))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .concurrent_updates(updates)
        .persistence(
            DatabasePersistence(
                sessions,
                clock=clock,
                timeout=data.rules.conversations.timeout,
                handled_elsewhere=updates.handled_elsewhere,
            )
        )
        .context_types(ContextTypes(context=GrowWellContext))
        .rate_limiter(RepliesFirst(is_reply=updates.is_handling))
        .post_init(register_commands)
        .build()
    )
    application.bot_data["services"] = Services(
        sessions=sessions,
        zone=settings.zone,
        clock=clock,
        areas=data.areas,
        rules=data.rules,
        plan=data.plan,
        library=data.library,
        search=LibrarySearch(data.library),
        safety=EmergencyDetector(data.safety),
        article_ids=frozenset(data.library.ids),
        default_locale=settings.default_locale,
        spokes=data.spokes,
        calendar=calendar_for(data.spokes),
    )
    # Staff desks and the queue buttons first: they stop here, so staff never get family replies.
    application.add_handlers(staff.handlers(), group=staff.STAFF_GROUP)
    application.add_handlers(safety.handlers(), group=SAFETY_GROUP)
    application.add_handlers(
        [
            *screening.handlers(),
            conversation(
                [
                    onboarding.flow(),
                    settings_conversation.flow(),
                    reminders.appointment_flow(),
                    support.flow(),
                    my_requests.message_flow(),
                ],
                timeout=data.rules.conversations.timeout,
            ),
            *reminders.handlers(),
            *campaign_opt_out.handlers(),
            *library.handlers(),
            *my_requests.handlers(),
            *account.handlers(),
            *fallbacks.handlers(),
        ],
        group=MAIN_GROUP,
    )
    application.add_handler(TypeHandler(Update, flush_after_update), group=FLUSH_GROUP)
    application.add_error_handler(on_error)
    schedule_jobs(application, run=run_jobs)
    return application
