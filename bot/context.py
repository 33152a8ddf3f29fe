"""The callback context every handler gets: the family's data, the clock and the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from bot.family_access import FamilyAccess
from domain.safety import EmergencyDetector
from domain.working_days import WorkingCalendar
from resources.areas import Areas
from resources.library import Library
from resources.library_search import LibrarySearch
from resources.message_plan import MessagePlan
from resources.service import ServiceRules
from resources.spokes import Spokes


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
    safety: EmergencyDetector
    article_ids: frozenset[str]
    default_locale: str
    spokes: Spokes  # requests for support: the spokes, teams and notices
    calendar: WorkingCalendar  # working days and hours, for targets to first contact


_Data = dict[str, Any]

ERASURE_KEY = "erase"  # drafts: the one-time code of the /delete question asked last


class GrowWellContext(CallbackContext[ExtBot[None], _Data, _Data, _Data]):
    """Adds our services, and per-update safety flags: a safety reply is not followed by a
    scolding, and answers about a red flag carry the line on when to call 999."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.emergency_shown = False
        # The message names a red-flag symptom without reading as an emergency now.
        self.red_flag_named = False
        self._family: FamilyAccess | None = None

    @property
    def family(self) -> FamilyAccess:
        """This chat's family; PTB makes one context per update, so one session per update."""
        if self._family is None:
            self._family = FamilyAccess(self.services.sessions, self._chat_id)
        return self._family

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

    def forget_answers(self) -> None:
        """A conversation ended: its answers go, but a /delete question still open stays."""
        kept = {key: value for key, value in self.drafts.items() if key == ERASURE_KEY}
        self.drafts.clear()
        self.drafts.update(kept)
