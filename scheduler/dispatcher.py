"""The dispatcher: claims due outbox rows in batches, renders them and sends them through PTB.

It runs every few seconds. Sends go out concurrently but bounded, through the bot's rate limiter;
429s are retried after Telegram's retry_after, network faults with backoff, a 403 marks the
family blocked and a 400 fails at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from resources.message_plan import MessagePlan
from resources.service import ServiceRules
from scheduler import outbox
from scheduler.outbox import Claimed
from scheduler.rendering import render
from store.models import SendTime

log = logging.getLogger(__name__)


@dataclass
class DispatchReport:
    outcomes: Counter[str] = field(default_factory=Counter)
    recovered: int = 0
    quiet_hours: bool = False


@dataclass(frozen=True)
class _Outcome:
    row: Claimed
    kind: str  # sent | retry | rate_limited | failed | blocked
    error: str = ""
    retry_at: datetime | None = None


# SQLite runs its queries on a thread of the bot's own process, so smaller batches leave more
# room for families' button presses; PostgreSQL does that work in its own process.
SQLITE_BATCH = 50
POSTGRESQL_BATCH = 100


def batch_size_for(sessions: async_sessionmaker[AsyncSession]) -> int:
    """The batch size measured best for the database behind `sessions` (see bench/README.md)."""
    bind = sessions.kw.get("bind")
    return (
        POSTGRESQL_BATCH
        if bind is not None and bind.dialect.name == "postgresql"
        else SQLITE_BATCH
    )


class Dispatcher:
    """Sends what is due now. Safe to run in several processes at once (see `outbox`)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        plan: MessagePlan,
        rules: ServiceRules,
        zone: ZoneInfo,
        clock: Callable[[], datetime],
        article_ids: frozenset[str] = frozenset(),
        batch_size: int = SQLITE_BATCH,
        concurrency: int = 4,
        budget: timedelta = timedelta(seconds=5),
        idle_after: timedelta = timedelta(minutes=10),
    ) -> None:
        self._sessions = sessions
        self._bot = bot
        self._plan = plan
        self._rules = rules
        self._zone = zone
        self._clock = clock
        self._article_ids = article_ids
        self._batch_size = batch_size
        self._sending = asyncio.Semaphore(concurrency)
        self._idle_after = idle_after
        self._budget = budget.total_seconds()
        self._send_times = {
            SendTime(name): moment for name, moment in rules.send_times.model_dump().items()
        }

    async def run_once(self) -> DispatchReport:
        """Send what is due now, batch after batch, for at most `budget` (the next run goes on).

        Small batches and few sends in flight keep the bot quick for families while a backlog
        goes out (bench/interactive_latency.py), and a short run lets a shutdown finish soon.
        """
        report = DispatchReport()
        now = self._clock()
        local = now.astimezone(self._zone)
        if self._rules.quiet_hours.contains(local.time()):
            report.quiet_hours = True
            return report
        today = local.date()
        passed = outbox.passed_send_times(self._send_times, local.time())
        async with self._sessions.begin() as session:
            report.recovered = await outbox.recover_stuck(session, now)
        deadline = time.monotonic() + self._budget
        while time.monotonic() < deadline:
            async with self._sessions.begin() as session:
                batch = await outbox.claim_batch(
                    session,
                    now=now,
                    today=today,
                    passed_slots=passed,
                    idle_after=self._idle_after,
                    limit=self._batch_size,
                )
            if not batch:
                return report
            outcomes = await asyncio.gather(*(self._send(row, now) for row in batch))
            async with self._sessions.begin() as session:
                await self._record(session, outcomes, now)
            report.outcomes.update(o.kind for o in outcomes)
            await asyncio.sleep(0)  # let families' button presses in between batches
        return report

    async def _send(self, row: Claimed, now: datetime) -> _Outcome:
        today = now.astimezone(self._zone).date()
        try:
            message = render(
                row, self._plan, today=today, zone=self._zone, article_ids=self._article_ids
            )
        except KeyError:
            return _Outcome(row, "failed", "unknown plan entry")
        markup = (
            InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(label, callback_data=data)]
                    for label, data in message.buttons
                ]
            )
            if message.buttons
            else None
        )
        async with self._sending:
            try:
                await self._bot.send_message(
                    row.chat_id,
                    message.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            except RetryAfter as error:
                with warnings.catch_warnings():  # PTB 22 warns that this becomes a timedelta
                    warnings.simplefilter("ignore", PTBDeprecationWarning)
                    wait = error.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                return _Outcome(row, "rate_limited", "429", now + timedelta(seconds=seconds))
            except Forbidden as error:
                return _Outcome(row, "blocked", f"403 {error.message}")
            except BadRequest as error:
                return _Outcome(row, "failed", f"400 {error.message}")
            except TelegramError as error:
                if row.attempts >= outbox.MAX_ATTEMPTS:
                    return _Outcome(row, "failed", f"gave up: {type(error).__name__}")
                retry_at = now + outbox.backoff(row.attempts)
                return _Outcome(row, "retry", type(error).__name__, retry_at)
        return _Outcome(row, "sent")

    async def _record(
        self, session: AsyncSession, outcomes: list[_Outcome], now: datetime
    ) -> None:
        today = now.astimezone(self._zone).date()
        await outbox.mark_sent(
            session, [o.row for o in outcomes if o.kind == "sent"], now=now, today=today
        )
        for outcome in outcomes:
            if outcome.kind in ("retry", "rate_limited"):
                assert outcome.retry_at is not None
                await outbox.mark_retry(
                    session,
                    outcome.row,
                    at=outcome.retry_at,
                    error=outcome.error,
                    counts=outcome.kind == "retry",
                )
            elif outcome.kind == "failed":
                log.warning("delivery %s failed: %s", outcome.row.delivery_id, outcome.error)
                await outbox.mark_failed(session, outcome.row, outcome.error)
            elif outcome.kind == "blocked":
                await outbox.mark_blocked(session, outcome.row, outcome.error)
