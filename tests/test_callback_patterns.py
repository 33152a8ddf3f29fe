"""Every button handler of the app reads only the callback data it was made for: each pattern is
anchored at both ends and bounded in length, so forged data of any size is matched cheaply or
not at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import BaseHandler, CallbackQueryHandler, ConversationHandler

from bot.app import build_application
from config.settings import load_settings
from tests.e2e.conftest import TOKEN

# `*`, `+` or `{n,}` not escaped: a repeat with no upper bound.
UNBOUNDED = re.compile(r"(?<!\\)(?:[*+]|\{\d*,\})")


def every_handler(
    handlers: list[BaseHandler[Any, Any, Any]],
) -> Iterator[BaseHandler[Any, Any, Any]]:
    for handler in handlers:
        yield handler
        if isinstance(handler, ConversationHandler):
            yield from every_handler(handler.entry_points)
            for state in handler.states.values():
                yield from every_handler(state)
            yield from every_handler(handler.fallbacks)


def test_every_callback_pattern_is_anchored_and_bounded(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    settings = load_settings(telegram_bot_token=TOKEN, database_url=database_url)
    application = build_application(settings, sessions, run_jobs=False)
    patterns = {
        handler.pattern.pattern
        for group in application.handlers.values()
        for handler in every_handler(group)
        if isinstance(handler, CallbackQueryHandler) and isinstance(handler.pattern, re.Pattern)
    }
    assert len(patterns) > 30
    unsafe = sorted(
        pattern
        for pattern in patterns
        if not (pattern.startswith("^") and pattern.endswith("$")) or UNBOUNDED.search(pattern)
    )
    assert unsafe == []


def test_conversations_time_out_after_the_minutes_the_service_file_says(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    settings = load_settings(telegram_bot_token=TOKEN, database_url=database_url)
    application = build_application(settings, sessions, run_jobs=False)
    [conversation] = [
        handler
        for group in application.handlers.values()
        for handler in group
        if isinstance(handler, ConversationHandler)
    ]
    rules = application.bot_data["services"].rules
    assert rules.conversations.timeout_minutes == 30
    assert conversation.conversation_timeout == rules.conversations.timeout
