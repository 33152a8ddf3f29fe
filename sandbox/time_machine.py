"""The time machine: moves the sandbox's clock forward and runs the real reminder jobs on the
way, day by day, as production's timer would have run them.

For every day passed, the planner and the "forget unfinished sign-ups" job run just after
midnight, and the dispatcher runs at each moment a message could go: the end of quiet hours,
each send time, each exact moment a timed row (a welcome, an appointment reminder, a retry)
is due, and the moment a family who was typing becomes idle or its conversation times out.
Each dispatcher run is a whole production cycle (`dispatch_job`): the staff
queue first (new requests posted to their team's group, family messages passed to staff, and
overdue requests posted again from 09:00, the start of the working day, which is one more
moment of each day while a request is open), then the families' messages.
The dispatcher itself decides what goes, with every rule of production (quiet hours, one
planned message a day, idle families only, paused and blocked families skipped); the machine
only saves the minutes in between where nothing could happen. Each message is sent while the
clock reads the moment it goes, so the chat shows the date and time it would have arrived.

While time moves, the periodic jobs wait: they and the machine share one lock.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext

from config.logs import describe_error
from domain.referrals import OPEN
from sandbox.clock import SandboxClock
from scheduler.dispatcher import IDLE_AFTER
from scheduler.jobs import (
    DISPATCHER_EVERY,
    FORGET_EVERY,
    ONE_AT_A_TIME,
    PLANNER_EVERY,
    STAFF_QUEUE_KEY,
    dispatch_job,
    forget_job,
    plan_job,
)
from store.models import (
    Child,
    ChildStatus,
    ConversationState,
    Delivery,
    DeliveryStatus,
    Family,
    Referral,
)

log = logging.getLogger(__name__)
Job = Callable[[CallbackContext[Any, Any, Any, Any]], Coroutine[Any, Any, None]]
# The planner runs this long after local midnight, as the five-minute timer would.
PLANNER_AFTER_MIDNIGHT = timedelta(seconds=30)
# A moment that waits for something (a family going idle) is taken just after it.
JUST_AFTER = timedelta(seconds=1)
# "To the birth" lands on the due date at this local time, after the morning's messages.
BIRTH_LANDING = clock_time(10, 0)
# The dispatcher claims in batches; a moment is done when a run sends nothing more.
_MOST_RUNS_PER_MOMENT = 20


class CannotJump(Exception):
    """The jump asked for makes no sense now (no family expecting, a date already past)."""


@dataclass(frozen=True)
class JumpReport:
    start: datetime
    end: datetime
    days: int
    sent: int
    seconds: float


def months_later(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months later (the 31st becomes the last day)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class TimeMachine:
    """Owns when the reminder jobs run in the sandbox: on the usual timer, or during a jump."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        clock: SandboxClock,
    ) -> None:
        services = application.bot_data["services"]
        self._context: CallbackContext[Any, Any, Any, Any] = CallbackContext(application)
        self._clock = clock
        self._sessions: async_sessionmaker[AsyncSession] = services.sessions
        self._zone: ZoneInfo = services.zone
        rules = services.rules
        self._moments_of_day = sorted(
            {rules.quiet_hours.end, *rules.send_times.model_dump().values()}
        )
        # The staff queue's overdue reposts start with the working day.
        self._working_day_starts: clock_time = services.spokes.working_hours.start
        self._idle_after = IDLE_AFTER
        self._conversation_timeout: timedelta = rules.conversations.timeout
        self._lock = asyncio.Lock()
        self.moving = False

    def schedule(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """The production timer (see scheduler.jobs), each run waiting for any jump to end."""
        queue = application.job_queue
        assert queue is not None, "install python-telegram-bot[job-queue]"
        for job, every, first in (
            (plan_job, PLANNER_EVERY, 1.0),
            (dispatch_job, DISPATCHER_EVERY, 3.0),
            (forget_job, FORGET_EVERY, 60.0),
        ):
            queue.run_repeating(
                self._between_jumps(job),
                every,
                first=first,
                name=job.__name__,
                job_kwargs=ONE_AT_A_TIME,
            )

    def _between_jumps(self, job: Job) -> Job:
        """The job, skipped while time moves: the jump runs it itself, at the right moments."""

        async def run(context: CallbackContext[Any, Any, Any, Any]) -> None:
            if self._lock.locked():
                return
            async with self._lock:
                await job(context)

        run.__name__ = job.__name__
        return run

    async def forward(self, delta: timedelta) -> JumpReport:
        return await self.move_to(self._clock() + delta)

    async def forward_months(self, months: int) -> JumpReport:
        local = self._clock().astimezone(self._zone)
        return await self.move_to(months_later(local, months))

    async def to_birth(self, chat_id: int) -> JumpReport:
        """To the due date of the family's first expected baby."""
        async with self._sessions() as session:
            due = await session.scalar(
                select(Child.due_date)
                .join(Family, Family.id == Child.family_id)
                .where(
                    Family.chat_id == chat_id,
                    Child.status == ChildStatus.ACTIVE,
                    Child.birth_date.is_(None),
                    Child.due_date.is_not(None),
                )
                .order_by(Child.due_date)
            )
        if due is None:
            raise CannotJump("This family is not expecting a baby.")
        landing = datetime.combine(due, BIRTH_LANDING, tzinfo=self._zone)
        if landing <= self._clock():
            raise CannotJump("The due date has already come.")
        return await self.move_to(landing)

    async def move_to(self, target: datetime) -> JumpReport:
        """Run every day from now to ``target``, then leave the clock there."""
        async with self._lock:
            self.moving = True
            try:
                return await self._travel(target)
            finally:
                self.moving = False

    async def _travel(self, target: datetime) -> JumpReport:
        began = time.perf_counter()
        start = self._clock()
        if target <= start:
            raise CannotJump("Time only moves forward.")
        sent = 0
        day = start.astimezone(self._zone).date()
        last_day = target.astimezone(self._zone).date()
        while day <= last_day:
            planning = self._at(day, clock_time(0)) + PLANNER_AFTER_MIDNIGHT
            if start < planning <= target:
                self._clock.move_to(planning)
            await plan_job(self._context)
            await forget_job(self._context)
            if await self._anything_open(day):
                end_of_day = min(self._at(day + timedelta(days=1), clock_time(0)), target)
                while (moment := await self._next_moment(day, end_of_day)) is not None:
                    self._clock.move_to(moment)
                    sent += await self._dispatch()
            day += timedelta(days=1)
        self._clock.move_to(target)
        sent += await self._dispatch()
        days = (last_day - start.astimezone(self._zone).date()).days
        return JumpReport(start, target, days, sent, time.perf_counter() - began)

    async def _dispatch(self) -> int:
        """One cycle as `dispatch_job` runs it: the staff queue, then the dispatcher until a run
        sends nothing more; how many messages went to families."""
        try:
            await self._context.application.bot_data[STAFF_QUEUE_KEY].run_once()
        except Exception as error:  # as in dispatch_job: the families' messages still go
            log.error("staff queue failed: %s", describe_error(error))
        dispatcher = self._context.application.bot_data["dispatcher"]
        sent = 0
        for _ in range(_MOST_RUNS_PER_MOMENT):
            report = await dispatcher.run_once()
            if not report.outcomes:
                break
            sent += report.outcomes["sent"]
        return sent

    def _at(self, day: date, moment: clock_time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self._zone)

    async def _anything_open(self, day: date) -> bool:
        """Whether any row could go out today, or any request is open (the staff queue may
        post it again): if not, a cycle would find nothing."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(Delivery.id)
                .where(
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.due_on <= day,
                )
                .limit(1)
            )
            if found is None:
                found = await self._open_request(session)
        return found is not None

    async def _open_request(self, session: AsyncSession) -> int | None:
        return await session.scalar(select(Referral.id).where(Referral.status.in_(OPEN)).limit(1))

    async def _next_moment(self, day: date, end: datetime) -> datetime | None:
        """The next moment of ``day``, up to ``end``, at which the dispatcher could send."""
        now = self._clock()
        candidates = [self._at(day, moment) for moment in self._moments_of_day]
        async with self._sessions() as session:
            if await self._open_request(session) is not None:
                candidates.append(self._at(day, self._working_day_starts))
            timed = await session.scalars(
                select(Delivery.send_at).where(
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.send_at > now,
                    Delivery.send_at <= end,
                )
            )
            candidates += [moment for moment in timed if moment is not None]
            retries = await session.scalars(
                select(Delivery.next_attempt_at).where(
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.next_attempt_at > now,
                    Delivery.next_attempt_at <= end,
                )
            )
            candidates += [moment for moment in retries if moment is not None]
            seen = await session.scalars(
                select(Family.last_seen_at).where(Family.last_seen_at > now - self._idle_after)
            )
            candidates += [
                moment + self._idle_after + JUST_AFTER for moment in seen if moment is not None
            ]
            talking = await session.scalars(
                select(ConversationState.updated_at).where(
                    ConversationState.updated_at > now - self._conversation_timeout
                )
            )
            candidates += [moment + self._conversation_timeout + JUST_AFTER for moment in talking]
        upcoming = [moment for moment in candidates if now < moment <= end]
        return min(upcoming, default=None)
