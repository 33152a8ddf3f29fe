"""The callback context every handler gets: the database, the clock and the family's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from resources.areas import Areas
from resources.library import Library
from resources.library_search import LibrarySearch
from resources.message_plan import MessagePlan
from resources.service import ServiceRules


@dataclass(frozen=True)
class Services:
    """What the handlers need from outside Telegram, wired once in `bot.app`."""

    sessions: async_sessionmaker[AsyncSession]
    zone: ZoneInfo
    clock: Callable[[], datetime]
    areas: Areas
    rules: ServiceRules
    plan: MessagePlan
    library: Library
    search: LibrarySearch
    article_ids: frozenset[str]
    default_locale: str


_Data = dict[str, Any]


class GrowWellContext(CallbackContext[ExtBot[None], _Data, _Data, _Data]):
    """Adds our services, and a per-update flag so a safety reply is not followed by a scolding."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.emergency_shown = False

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data["services"]
        return services

    def now(self) -> datetime:
        return self.services.clock()

    def today(self) -> date:
        return self.now().astimezone(self.services.zone).date()

    @property
    def drafts(self) -> dict[str, Any]:
        """Unconfirmed answers of this chat; persisted, and cleared when a conversation ends."""
        assert self.chat_data is not None
        return self.chat_data
