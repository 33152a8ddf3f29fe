"""The dispatcher: claims due outbox rows in batches, renders them and sends them through PTB.

It runs every few seconds. Sends go out concurrently but bounded, through the bot's rate limiter;
429s are retried after Telegram's retry_after, network faults with backoff, a 403 marks the
family blocked and a 400 fails at once. Any other error fails that row alone, counted as an
attempt. The rules for each status change are domain/outbox.py's; this module only runs them.

Each send is written down as soon as Telegram confirms it, together with any others confirmed
within a few hundredths of a second: a dispatcher killed mid-batch repeats at most the sends in
flight then (and those waiting for their write), and the rest of its batch is reclaimed
minutes later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from config.logs import describe_error
from domain import outbox
from domain.outbox import Claimed
from resources.message_plan import MessagePlan
from resources.service import ServiceRules
from resources.spokes import Spokes
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


# Planned messages wait until the family has not written or tapped for this long.
IDLE_AFTER = timedelta(minutes=10)
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
        idle_after: timedelta = IDLE_AFTER,
        spokes: Spokes | None = None,
    ) -> None:
        self._sessions = sessions
        self._spokes = spokes
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
            report.recovered = await outbox.recover_abandoned(session, now)
        deadline = time.monotonic() + self._budget
        while time.monotonic() < deadline:
            async with self._sessions.begin() as session:
                # Notices about requests for support go first: a family is waiting for them.
                notices = await outbox.claim_notices(session, now=now, limit=self._batch_size)
                batch = await outbox.claim_batch(
                    session,
                    now=now,
                    today=today,
                    passed_slots=passed,
                    idle_after=self._idle_after,
                    conversation_timeout=self._rules.conversations.timeout,
                    limit=self._batch_size,
                )
            if not batch and not notices:
                return report
            if notices:  # a claim of its own, so a batch of its own
                report.outcomes.update(await self._send_batch(notices, now))
            if batch:
                report.outcomes.update(await self._send_batch(batch, now))
            await asyncio.sleep(0)  # let families' button presses in between batches
        return report

    async def _send_batch(self, batch: list[Claimed], now: datetime) -> list[str]:
        """Send a claimed batch, each row written down as it goes; the kind of each outcome.

        A database fault while writing is raised once every send of the batch has ended: the
        rows it could not write stay claimed and are reclaimed when the claim is abandoned.
        """
        recorder = _Recorder(self._sessions, batch, now)
        results = await asyncio.gather(
            *(self._deliver(row, now, recorder) for row in batch), return_exceptions=True
        )
        kinds = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            kinds.append(result)
        return kinds

    async def _deliver(self, row: Claimed, now: datetime, recorder: _Recorder) -> str:
        """One row: unless its claim was taken back (a loss), send it and write how it went.

        Its place among the sends in flight goes to the next row as soon as Telegram answers,
        not after the write: sends never wait for the database (bench/dispatcher.py)."""
        async with self._sending:
            if recorder.taken_back(row):
                return "taken_back"
            outcome = await self._send(row, now)
        await recorder.record(outcome)
        return outcome.kind

    async def _send(self, row: Claimed, now: datetime) -> _Outcome:
        try:
            return await self._try_send(row, now)
        except Exception as error:  # a bad row fails alone, never its batch
            log.warning("delivery %s: %s", row.delivery_id, describe_error(error))
            return self._again_later(row, now, type(error).__name__)

    async def _try_send(self, row: Claimed, now: datetime) -> _Outcome:
        today = now.astimezone(self._zone).date()
        message = render(
            row,
            self._plan,
            today=today,
            zone=self._zone,
            article_ids=self._article_ids,
            spokes=self._spokes,
        )
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
            return self._again_later(row, now, type(error).__name__)
        return _Outcome(row, "sent")

    @staticmethod
    def _again_later(row: Claimed, now: datetime, error: str) -> _Outcome:
        retry_at = outbox.next_try(row, now)
        if retry_at is None:
            return _Outcome(row, "failed", f"gave up: {error}")
        return _Outcome(row, "retry", error, retry_at)


# While answers from Telegram are still to come, a write waits up to this long for more to join
# it: a backlog is written dozens of rows at a time instead of a few, which keeps the database
# free for families' button presses (bench/interactive_latency.py).
WRITE_GATHER = 0.03  # seconds


class _Recorder:
    """Writes the outcomes of one claimed batch as they come, all those waiting in one
    transaction, and learns at each write which rows not yet sent were taken back from the
    claim (cancelled by a loss, or reclaimed), so they are not sent."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], batch: list[Claimed], now: datetime
    ) -> None:
        self._sessions = sessions
        self._claim = batch[0].claim
        self._now = now
        self._unsent = {row.delivery_id for row in batch}
        self._taken_back: set[int] = set()
        self._to_answer = len(batch)
        self._all_answered = asyncio.Event()
        self._waiting: list[tuple[_Outcome, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    def taken_back(self, row: Claimed) -> bool:
        """Whether the row is no longer ours to send, as of the last write. Either way its
        send is decided now, so later writes stop asking about it."""
        self._unsent.discard(row.delivery_id)
        if row.delivery_id in self._taken_back:
            self._answered()
            return True
        return False

    def _answered(self) -> None:
        self._to_answer -= 1
        if not self._to_answer:
            self._all_answered.set()

    async def record(self, outcome: _Outcome) -> None:
        """Return once the outcome is written (with any others that came meanwhile)."""
        self._answered()
        written = asyncio.get_running_loop().create_future()
        self._waiting.append((outcome, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await written

    async def _write(self) -> None:
        while self._waiting:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WRITE_GATHER):
                    await self._all_answered.wait()
            taken, self._waiting = self._waiting, []
            try:
                async with self._sessions.begin() as session:
                    await _record(session, (outcome for outcome, _ in taken), self._now)
                    self._taken_back |= await outbox.taken_back(session, self._claim, self._unsent)
            except Exception as error:
                for _, written in taken:
                    written.set_exception(error)
            else:
                for _, written in taken:
                    written.set_result(None)


async def _record(session: AsyncSession, outcomes: Iterable[_Outcome], now: datetime) -> None:
    """How each send went, through the outbox's guarded changes."""
    sent = []
    for outcome in outcomes:
        if outcome.kind == "sent":
            sent.append(outcome.row)
        elif outcome.kind in ("retry", "rate_limited"):
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
    if sent:
        await outbox.mark_sent(session, sent, now)
